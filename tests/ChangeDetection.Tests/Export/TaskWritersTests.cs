using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using ChangeDetection.Export;
using ChangeDetection.Geo;
using ChangeDetection.Tasks;
using ChangeDetection.Tests.Tasks;
using CsvHelper;
using Microsoft.Data.Sqlite;
using MiniExcelLibs;
using NetTopologySuite.Features;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Converters;
using NetTopologySuite.IO.Esri;

namespace ChangeDetection.Tests.Export;

[TestFixture]
public class TaskWritersTests
{
    private static readonly Crs Crs = TaskSamples.Gk39;
    internal static readonly JsonSerializerOptions GeoJsonOptions = new() { Converters = { new GeoJsonConverterFactory() } };
    private IReadOnlyList<VerificationTask> _tasks = null!;
    private IReadOnlyList<TaskField> _fields = null!;
    private TempDir _dir = null!;

    [OneTimeSetUp]
    public void WriteEveryFormat()
    {
        _tasks = TaskSamples.TwoProvinces();
        _fields = TaskFields.For(_tasks);
        _dir = new TempDir();
        ShapefileTaskWriter.Write(_dir.File("utf8.shp"), _tasks, Crs);
        ShapefileTaskWriter.Write(_dir.File("gbk.shp"), _tasks, Crs, DbfEncoding.Gbk);
        GeoPackageTaskWriter.Write(_dir.File("tasks.gpkg"), _tasks, Crs);
        GeoJsonTaskWriter.Write(_dir.File("tasks.geojson"), _tasks, Crs);
        CsvTaskWriter.Write(_dir.File("tasks.csv"), _tasks);
        XlsxTaskWriter.Write(_dir.File("tasks.xlsx"), _tasks);
        KmlTaskWriter.Write(_dir.File("tasks.kml"), _tasks, Crs);
        FieldDictionaryWriter.Write(_dir.File("fields.csv"), _fields);
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    [TestCase("utf8", "UTF-8")]
    [TestCase("gbk", "GBK")]
    public void ShapefileReadsBackFieldByFieldWithChineseText(string name, string cpg)
    {
        Assert.That(File.ReadAllText(_dir.File(name + ".cpg")).Trim(), Is.EqualTo(cpg));
        Assert.That(File.ReadAllText(_dir.File(name + ".prj")), Is.EqualTo(CrsRegistry.Wkt(4527)));
        var features = Shapefile.ReadAllFeatures(_dir.File(name + ".shp"));
        Assert.That(features, Has.Length.EqualTo(_tasks.Count));
        for (int i = 0; i < _tasks.Count; i++)
        {
            var t = _tasks[i];
            var f = features[i];
            TaskReadBack.AssertFields(t, _fields, n => f.Attributes[n], "shp");
            Assert.That(f.Geometry.EqualsTopologically(t.Geometry), Is.True, $"{t.JCBH} geometry");
            Assert.That(f.Geometry.Area, Is.EqualTo(t.Geometry.Area).Within(1e-6));
        }
        Assert.That(features.Select(f => f.Attributes["XZQMC"]), Does.Contain("中原区"));
    }

    [Test]
    public void GbkDbfHoldsGbkBytesAndUtf8DbfHoldsUtf8Bytes()
    {
        var gbk = ShapefileTaskWriter.EncodingOf(DbfEncoding.Gbk);
        byte[] gbkDbf = File.ReadAllBytes(_dir.File("gbk.dbf")), utf8Dbf = File.ReadAllBytes(_dir.File("utf8.dbf"));
        Assert.That(IndexOf(gbkDbf, gbk.GetBytes("中原区")), Is.GreaterThan(0));
        Assert.That(IndexOf(gbkDbf, Encoding.UTF8.GetBytes("中原区")), Is.EqualTo(-1));
        Assert.That(IndexOf(utf8Dbf, Encoding.UTF8.GetBytes("中原区")), Is.GreaterThan(0));
    }

    [Test]
    public void GeoPackageReadsBackFieldByField()
    {
        using var db = new SqliteConnection($"Data Source={_dir.File("tasks.gpkg")};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT geom, {string.Join(", ", _fields.Select(f => $"\"{f.Name}\""))} FROM tasks ORDER BY fid";
        using var r = cmd.ExecuteReader();
        var reader = new GeoPackageGeoReader { HandleSRID = true };
        int i = 0;
        while (r.Read())
        {
            var t = _tasks[i++];
            var g = reader.Read((byte[])r[0]);
            Assert.That(g.EqualsExact(t.Geometry), Is.True, $"{t.JCBH} geometry");
            Assert.That(g.SRID, Is.EqualTo(4527));
            TaskReadBack.AssertFields(t, _fields, n => r[r.GetOrdinal(n)], "gpkg");
        }
        Assert.That(i, Is.EqualTo(_tasks.Count));
    }

    [Test]
    public void GeoJsonIsLonLatWithReadableChineseAndEveryField()
    {
        string text = File.ReadAllText(_dir.File("tasks.geojson"));
        Assert.That(text, Does.Contain("中原区").And.Contain("建(构)筑物"));
        var fc = JsonSerializer.Deserialize<FeatureCollection>(text, GeoJsonOptions)!;
        using var doc = JsonDocument.Parse(text);
        var jsonFeatures = doc.RootElement.GetProperty("features").EnumerateArray().ToList();
        Assert.That(fc, Has.Count.EqualTo(_tasks.Count));
        var measurer = new MapMeasurer(Crs);
        for (int i = 0; i < _tasks.Count; i++)
        {
            var t = _tasks[i];
            var props = jsonFeatures[i].GetProperty("properties");
            TaskReadBack.AssertFields(t, _fields, n => props.GetProperty(n) switch
            {
                { ValueKind: JsonValueKind.Null } => null,
                { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
                var e => e.GetString(),
            }, "geojson");
            var first = t.Geometry.Coordinates[0];
            var ll = measurer.ToLonLat(first.X, first.Y)!.Value;
            Assert.That(fc[i].Geometry.Coordinates[0].X, Is.EqualTo(ll.Lon).Within(1e-8));
            Assert.That(fc[i].Geometry.Coordinates[0].Y, Is.EqualTo(ll.Lat).Within(1e-8));
            Assert.That(fc[i].Geometry.NumPoints, Is.EqualTo(t.Geometry.NumPoints));
        }
    }

    [Test]
    public void CsvHasABomAndEveryField()
    {
        byte[] bytes = File.ReadAllBytes(_dir.File("tasks.csv"));
        Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));
        var rows = ReadCsv(bytes);
        Assert.That(rows, Has.Count.EqualTo(_tasks.Count));
        for (int i = 0; i < _tasks.Count; i++)
            TaskReadBack.AssertFields(_tasks[i], _fields, n => rows[i][n], "csv");
    }

    [Test]
    public void FieldDictionaryListsEveryColumnWithItsCaption()
    {
        var rows = ReadCsv(File.ReadAllBytes(_dir.File("fields.csv")));
        Assert.That(rows.Select(r => r["name"]), Is.EqualTo(_fields.Select(f => f.Name)));
        Assert.That(rows.Single(r => r["name"] == "JCBH")["caption"], Is.EqualTo("监测编号"));
        Assert.That(rows.Single(r => r["name"] == "TBMJMU")["unit"], Is.EqualTo("亩"));
        Assert.That(rows.Single(r => r["name"] == "KCZY")["type"], Is.EqualTo("Real"));
    }

    [Test]
    public void XlsxReadsBackFieldByFieldWithADictionarySheet()
    {
        var rows = MiniExcel.Query(_dir.File("tasks.xlsx"), useHeaderRow: true, sheetName: XlsxTaskWriter.TaskSheet)
            .Cast<IDictionary<string, object?>>().ToList();
        Assert.That(rows, Has.Count.EqualTo(_tasks.Count));
        for (int i = 0; i < _tasks.Count; i++)
            TaskReadBack.AssertFields(_tasks[i], _fields, n => rows[i][n], "xlsx");
        var dict = MiniExcel.Query(_dir.File("tasks.xlsx"), useHeaderRow: true, sheetName: XlsxTaskWriter.FieldSheet)
            .Cast<IDictionary<string, object?>>().ToList();
        Assert.That(dict.Select(d => d["name"]), Is.EqualTo(_fields.Select(f => f.Name)));
    }

    [Test]
    public void KmlHasAPlacemarkPerTaskWithOutlineAndExtendedData()
    {
        var doc = XDocument.Load(_dir.File("tasks.kml"));
        var ns = KmlTaskWriter.Ns;
        var placemarks = doc.Descendants(ns + "Placemark").ToList();
        Assert.That(placemarks, Has.Count.EqualTo(_tasks.Count));
        var measurer = new MapMeasurer(Crs);
        for (int i = 0; i < _tasks.Count; i++)
        {
            var t = _tasks[i];
            var p = placemarks[i];
            Assert.That(p.Element(ns + "name")!.Value, Is.EqualTo(t.JCBH));
            Assert.That(p.Element(ns + "styleUrl")!.Value, Is.EqualTo("#" + t.YXJ));
            var data = p.Descendants(ns + "Data").ToDictionary(d => d.Attribute("name")!.Value, d => (object?)d.Element(ns + "value")!.Value);
            TaskReadBack.AssertFields(t, _fields, n => data[n], "kml");
            string outer = p.Descendants(ns + "outerBoundaryIs").Single().Value.Trim();
            var first = outer.Split(' ')[0].Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var c = t.Geometry.Coordinates[0];
            var ll = measurer.ToLonLat(c.X, c.Y)!.Value;
            Assert.That(first[0], Is.EqualTo(ll.Lon).Within(1e-8));
            Assert.That(first[1], Is.EqualTo(ll.Lat).Within(1e-8));
            Assert.That(p.Descendants(ns + "innerBoundaryIs").Count(), Is.EqualTo(((NetTopologySuite.Geometries.Polygon)t.Geometry).NumInteriorRings));
        }
    }

    [Test]
    public void TasksWithoutIdsOrWithDuplicateIdsAreRefused()
    {
        using var dir = new TempDir();
        var noId = _tasks.Select(t => t with { JCBH = "" }).ToList();
        Assert.Throws<ArgumentException>(() => CsvTaskWriter.Write(dir.File("a.csv"), noId));
        var dup = _tasks.Select(t => t with { JCBH = "4101022026Q30001" }).ToList();
        Assert.Throws<ArgumentException>(() => GeoJsonTaskWriter.Write(dir.File("a.geojson"), dup, Crs));
        Assert.That(Directory.GetFiles(dir.Path), Is.Empty, "nothing written, no partial files left");
    }

    [Test]
    public void UnknownCrsCannotBeWrittenAsLonLatButCanAsGeoPackage()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<ChangeDetectionException>(() => KmlTaskWriter.Write(dir.File("a.kml"), _tasks, Crs.Unknown));
        Assert.That(ex!.Message, Does.Contain("KML"));
        GeoPackageTaskWriter.Write(dir.File("a.gpkg"), _tasks, Crs.Unknown);
        ShapefileTaskWriter.Write(dir.File("a.shp"), _tasks, Crs.Unknown);
        Assert.That(File.Exists(dir.File("a.prj")), Is.False);
        Assert.That(Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "a.gpkg", "a.shp", "a.shx", "a.dbf", "a.cpg" }));
    }

    internal static List<Dictionary<string, string>> ReadCsv(byte[] bytes)
    {
        using var csv = CsvReader.Create(bytes, new CsvReaderOptions());
        var rows = new List<Dictionary<string, string>>();
        while (csv.Read())
            rows.Add(csv.Current.ToDictionary().ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? ""));
        return rows;
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
