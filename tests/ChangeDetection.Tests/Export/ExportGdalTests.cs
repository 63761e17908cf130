using ChangeDetection.Export;
using ChangeDetection.Tasks;
using ChangeDetection.Tests.Tasks;

namespace ChangeDetection.Tests.Export;

/// <summary>GDAL, the reference reader, on a province package with a GBK Shapefile.</summary>
[TestFixture]
[Category("Gdal")]
public class ExportGdalTests
{
    private TempDir _dir = null!;
    private IReadOnlyList<VerificationTask> _henan = null!;
    private ProvincePackageResult _package = null!;

    [OneTimeSetUp]
    public void WritePackage()
    {
        _dir = new TempDir();
        _henan = TaskSamples.TwoProvinces().Where(t => t.Province == "41").ToList();
        _package = ProvincePackage.Write(_dir.Path, TaskSamples.TwoProvinces(), TaskSamples.Gk39, new ProvincePackageOptions { ShapefileEncoding = DbfEncoding.Gbk })
            .Single(r => r.Province == "41");
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    [Test]
    public void OgrinfoReadsTheGbkShapefileWithChineseTextAndCrs()
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-al", "-q", _package.PathOf("tasks.shp")]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("XZQMC (String) = 中原区").And.Contain("XZQMC (String) = 二七区"));
        Assert.That(stdout, Does.Contain("BHLXMC (String) = 坑塘/挖湖"));
        Assert.That(stdout, Does.Contain("JCBH (String) = 4101022026Q30001"));
        var so = ExternalTools.Run(ogrinfo, ["-so", "-al", _package.PathOf("tasks.shp")]);
        Assert.That(so.Stdout, Does.Contain("Gauss-Kruger zone 39").Or.Contain("Gauss_Kruger_zone_39").Or.Contain("4527"));
    }

    [Test]
    public void OgrinfoReadsAGbkCountyNameOutsideGb2312()
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        using var dir = new TempDir();
        // 浉 is in GBK but not in GB2312: a .cpg naming GB2312 turns it into mojibake with a warning.
        var tasks = TaskNumbering.Assign([TaskSamples.Make("411502", "浉河区", TaskSamples.Square(39_554_000, 3_824_000, 30))], "2026Q3");
        ShapefileTaskWriter.Write(dir.File("gbk.shp"), tasks, TaskSamples.Gk39, DbfEncoding.Gbk);
        Assert.That(File.ReadAllText(dir.File("gbk.cpg")).Trim(), Is.AnyOf("GBK", "936"));
        var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-al", "-q", dir.File("gbk.shp")]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("XZQMC (String) = 浉河区"));
        Assert.That(stderr, Does.Not.Contain("Warning").And.Not.Contain("ERROR"));
    }

    /// <summary>
    /// Every format but KML (whose ExtendedData is text by definition) gives back, through GDAL, every
    /// task and every column, with the type of the one field table: the XLSX included (GDAL before 3.9.2
    /// read MiniExcel's workbooks as empty), dates as Date and whole areas as Real, overlaps not checked as null.
    /// </summary>
    [TestCase("tasks.shp")]
    [TestCase("tasks.gpkg")]
    [TestCase("tasks.geojson")]
    [TestCase("tasks.csv")]
    [TestCase("tasks.xlsx")]
    public void GdalReadsEveryTaskAndColumnWithTheFieldTableTypes(string file)
    {
        var layer = OgrLayer.Read(_package.PathOf(file));
        var tasks = _henan.OrderBy(t => t.JCBH, StringComparer.Ordinal).ToList();
        var fields = TaskFields.For(tasks);
        Assert.That(layer.FeatureCount, Is.EqualTo(tasks.Count));
        Assert.That(layer.Features, Has.Count.EqualTo(tasks.Count));
        Assert.That(layer.FieldTypes.Keys, Is.EqualTo(fields.Select(f => f.Name)), "columns, in order");
        foreach (var f in fields)
            Assert.That(layer.FieldTypes[f.Name], Is.EqualTo(f.Kind switch { TaskFieldKind.Real => "Real", TaskFieldKind.Date => "Date", _ => "String" }), $"{file} {f.Name}");
        Assert.That(tasks.Select(t => t.CZKFMJ), Does.Contain(null), "the sample has an overlap that was not checked");
        for (int i = 0; i < tasks.Count; i++)
        {
            foreach (var f in fields)
            {
                string what = $"{file} {tasks[i].JCBH}.{f.Name}";
                string? actual = layer.Features[i].GetValueOrDefault(f.Name);
                switch (f.Export(tasks[i]))
                {
                    case null: Assert.That(actual, Is.Null, what); break;
                    case double d: Assert.That(double.Parse(actual!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(d).Within(1e-9), what); break;
                    case DateOnly day: Assert.That(actual, Is.EqualTo(day.ToString("yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture)), what); break;
                    case var text: Assert.That(actual, Is.EqualTo(text), what); break;
                }
            }
        }
    }

    [TestCase("tasks.shp")]
    [TestCase("tasks.gpkg")]
    [TestCase("tasks.geojson")]
    [TestCase("tasks.kml")]
    [TestCase("tasks.csv")]
    public void FeatureCountsAgreeAcrossFormats(string file)
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-so", "-al", _package.PathOf(file)]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain($"Feature Count: {_henan.Count}"));
    }

    [Test]
    public void GeoPackageHasAnRTreeIndexGdalUsesForAreaQueries()
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        string gpkg = _package.PathOf("tasks.gpkg");
        var has = ExternalTools.Run(ogrinfo, ["-q", "-sql", "SELECT HasSpatialIndex('tasks', 'geom')", gpkg]);
        Assert.That(has.Stdout, Does.Contain("HasSpatialIndex (Integer) = 1"), has.Stdout + has.Stderr);
        // A window around the first task only: the index (and GDAL's exact filter) must give just the tasks it touches.
        var first = _henan.OrderBy(t => t.JCBH, StringComparer.Ordinal).First().Geometry.EnvelopeInternal;
        int expected = _henan.Count(t => t.Geometry.EnvelopeInternal.Intersects(first));
        Assert.That(expected, Is.LessThan(_henan.Count), "the window leaves some tasks out");
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-so", "-spat", first.MinX.ToString(inv), first.MinY.ToString(inv), first.MaxX.ToString(inv), first.MaxY.ToString(inv), gpkg, "tasks"]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain($"Feature Count: {expected}"));
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={gpkg};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM rtree_tasks_geom";
        Assert.That(Convert.ToInt32(cmd.ExecuteScalar(), inv), Is.EqualTo(_henan.Count));
    }

    [Test]
    public void ValidateGpkgAcceptsTheGeoPackage()
    {
        const string validator = "/usr/share/doc/python3-gdal/examples/validate_gpkg.py";
        if (!File.Exists(validator)) Assert.Ignore($"{validator} is absent.");
        var v = ExternalTools.Run(ExternalTools.RequireGdalPython(), [validator, _package.PathOf("tasks.gpkg")]);
        Assert.That(v.ExitCode, Is.Zero, v.Stdout + v.Stderr);
        Assert.That(v.Stdout + v.Stderr, Is.Empty);
    }
}
