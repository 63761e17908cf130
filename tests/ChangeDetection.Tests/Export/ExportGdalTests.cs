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
    private string _folder = null!;

    [OneTimeSetUp]
    public void WritePackage()
    {
        _dir = new TempDir();
        _henan = TaskSamples.TwoProvinces().Where(t => t.Province == "41").ToList();
        _folder = ProvincePackage.Write(_dir.Path, TaskSamples.TwoProvinces(), TaskSamples.Gk39, new ProvincePackageOptions { ShapefileEncoding = DbfEncoding.Gbk })
            .Single(r => r.Province == "41").Folder;
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    [Test]
    public void OgrinfoReadsTheGbkShapefileWithChineseTextAndCrs()
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-al", "-q", Path.Combine(_folder, "tasks.shp")]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("XZQMC (String) = 中原区").And.Contain("XZQMC (String) = 二七区"));
        Assert.That(stdout, Does.Contain("BHLXMC (String) = 坑塘/挖湖"));
        Assert.That(stdout, Does.Contain("JCBH (String) = 4101022026Q30001"));
        var so = ExternalTools.Run(ogrinfo, ["-so", "-al", Path.Combine(_folder, "tasks.shp")]);
        Assert.That(so.Stdout, Does.Contain("Gauss-Kruger zone 39").Or.Contain("Gauss_Kruger_zone_39").Or.Contain("4527"));
    }

    [TestCase("tasks.shp")]
    [TestCase("tasks.gpkg")]
    [TestCase("tasks.geojson")]
    [TestCase("tasks.kml")]
    [TestCase("tasks.csv")]
    public void FeatureCountsAgreeAcrossFormats(string file)
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-so", "-al", Path.Combine(_folder, file)]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain($"Feature Count: {_henan.Count}"));
    }

    [Test]
    public void ValidateGpkgAcceptsTheGeoPackage()
    {
        const string validator = "/usr/share/doc/python3-gdal/examples/validate_gpkg.py";
        if (!File.Exists(validator)) Assert.Ignore($"{validator} is absent.");
        var v = ExternalTools.Run(ExternalTools.RequireGdalPython(), [validator, Path.Combine(_folder, "tasks.gpkg")]);
        Assert.That(v.ExitCode, Is.Zero, v.Stdout + v.Stderr);
        Assert.That(v.Stdout + v.Stderr, Is.Empty);
    }
}
