using System.Globalization;
using System.Text.Json;
using ChangeDetection.Export;
using ChangeDetection.Geo;
using ChangeDetection.Tasks;
using ChangeDetection.Tests.Tasks;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Esri;

namespace ChangeDetection.Tests.Export;

[TestFixture]
public class DeliveryCrsTests
{
    [TestCase("gk3", DeliveryCrsKind.GaussKruger3, null)]
    [TestCase("GK6", DeliveryCrsKind.GaussKruger6, null)]
    [TestCase("image", DeliveryCrsKind.Image, null)]
    [TestCase("EPSG:4490", DeliveryCrsKind.Fixed, 4490)]
    [TestCase("4549", DeliveryCrsKind.Fixed, 4549)]
    public void SettingsParse(string text, DeliveryCrsKind kind, int? epsg)
    {
        var s = DeliveryCrs.Parse(text);
        Assert.That(s, Is.EqualTo(new DeliveryCrs(kind, epsg)));
        Assert.That(DeliveryCrs.Parse(s.ToString()), Is.EqualTo(s), "round trip");
    }

    [TestCase("utm")]
    [TestCase("EPSG:3857")]
    [TestCase("")]
    public void UnknownSettingsAreRefused(string text) =>
        Assert.Throws<FormatException>(() => DeliveryCrs.Parse(text));

    [TestCase(117.2, 4527)] // zone 39, CM 117°E
    [TestCase(118.49, 4527)]
    [TestCase(118.51, 4528)]
    [TestCase(75.0, 4513)]  // zone 25
    [TestCase(135.0, 4533)] // zone 45
    public void ThreeDegreeZoneIsTheNearestCentralMeridian(double lon, int epsg) =>
        Assert.That(CrsRegistry.GaussKruger3Degree(lon), Is.EqualTo(epsg));

    [TestCase(117.2, 4498)] // zone 20, 114–120°E, CM 117°E
    [TestCase(120.1, 4499)]
    [TestCase(72.5, 4491)]  // zone 13
    [TestCase(137.9, 4501)] // zone 23
    public void SixDegreeZoneHoldsTheLongitude(double lon, int epsg) =>
        Assert.That(CrsRegistry.GaussKruger6Degree(lon), Is.EqualTo(epsg));

    [TestCase(10.0)]
    [TestCase(140.0)]
    public void LongitudesOutsideChinaHaveNoZone(double lon)
    {
        Assert.That(CrsRegistry.GaussKruger3Degree(lon), Is.Null);
        Assert.That(CrsRegistry.GaussKruger6Degree(lon), Is.Null);
        var ex = Assert.Throws<ChangeDetectionException>(() => DeliveryCrs.Default.ProjectedFor(DeliveryCrsGdalTests.Utm50, lon));
        Assert.That(ex!.Message, Does.Contain("--crs"));
    }

    [TestCase(4491, 75, 13_500_000)]
    [TestCase(4498, 117, 20_500_000)]
    [TestCase(4501, 135, 23_500_000)]
    [TestCase(4502, 75, 500_000)]
    [TestCase(4512, 135, 500_000)]
    public void SixDegreeZonesAreKnownWithTheirCentralMeridianAndFalseEasting(int epsg, int cm, int falseEasting)
    {
        string wkt = CrsRegistry.Wkt(epsg)!;
        Assert.That(wkt, Does.Contain($"PARAMETER[\"central_meridian\",{cm}]").And.Contain($"PARAMETER[\"false_easting\",{falseEasting}]"));
        Assert.That(CrsRegistry.GeographicBase(epsg), Is.EqualTo(4490));
        Assert.That(CrsRegistry.Name(epsg), Does.StartWith("CGCS2000 / Gauss-Kruger"));
    }

    [Test]
    public void AnImageCrsThatCannotBeLocatedNeedsCrsImage()
    {
        using var dir = new TempDir();
        var tasks = TaskSamples.TwoProvinces();
        var ex = Assert.Throws<ChangeDetectionException>(() => ProvincePackage.Write(dir.Path, tasks, Crs.Unknown));
        Assert.That(ex!.Message, Does.Contain("province 13").And.Contain("--crs image"));
    }
}

/// <summary>A package from tasks in WGS 84 / UTM 50N (a Landsat pair), delivered in CGCS2000, checked against GDAL.</summary>
[TestFixture]
[Category("Gdal")]
public class DeliveryCrsGdalTests
{
    public static Crs Utm50 => new(32650, "WGS 84 / UTM zone 50N");
    private TempDir _dir = null!;
    private IReadOnlyList<VerificationTask> _tasks = null!;

    [OneTimeSetUp]
    public void MakeTasks()
    {
        _dir = new TempDir();
        var measurer = new MapMeasurer(Utm50);
        var raw = new[] { (450_000.0, 3_820_000.0, 40.0), (450_130.0, 3_819_950.0, 25.0), (451_000.0, 3_821_000.0, 60.0) }
            .Select(s =>
            {
                var g = TaskSamples.Square(s.Item1, s.Item2, s.Item3, hole: s.Item3 > 50);
                var c = g.Centroid;
                var ll = measurer.ToLonLat(c.X, c.Y)!.Value;
                return TaskSamples.Make("320305", "贾汪区", g) with { ZXDX = c.X, ZXDY = c.Y, JD = ll.Lon, WD = ll.Lat, TBMJ = g.Area };
            }).ToList();
        _tasks = TaskNumbering.Assign(raw, "2026Q3");
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    private ProvincePackageResult Package(string setting) =>
        ProvincePackage.Write(_dir.File(setting), _tasks, Utm50, new ProvincePackageOptions { Crs = DeliveryCrs.Parse(setting) }).Single();

    [TestCase("gk3", 4527, "3-degree Gauss-Kruger zone 39")]
    [TestCase("gk6", 4498, "Gauss-Kruger zone 20")]
    public void ShapefileAndGeoPackageAreInTheZoneOfTheCentreAndMatchGdaltransform(string setting, int epsg, string name)
    {
        var package = Package(setting);
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        foreach (var file in new[] { "tasks.shp", "tasks.gpkg" })
        {
            var so = ExternalTools.Run(ogrinfo, ["-so", "-al", package.PathOf(file)]);
            Assert.That(so.Stdout, Does.Contain(name), file);
            Assert.That(so.Stdout, Does.Contain("\"False easting\"," + (epsg == 4527 ? "39500000" : "20500000")), file);
        }
        using (var db = new SqliteConnection($"Data Source={package.PathOf("tasks.gpkg")};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT srs_id FROM gpkg_geometry_columns";
            Assert.That(Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture), Is.EqualTo(epsg));
        }
        Assert.That(PackageManifest.Read(Path.Combine(package.Folder, PackageManifest.FileName)).Crs, Is.EqualTo($"EPSG:{epsg}"));

        // Every vertex, taken to CGCS2000 degrees by GDAL from our zone coordinates, lands within 1e-7°
        // of where GDAL takes the image coordinates (PROJ treats WGS 84 and CGCS2000 as one datum here, as we do).
        // The GeoPackage keeps the vertex order (a Shapefile turns outer rings clockwise).
        var delivered = GeoPackageGeometries(package.PathOf("tasks.gpkg")).SelectMany(g => g.Coordinates).ToList();
        var features = Shapefile.ReadAllFeatures(package.PathOf("tasks.shp"));
        Assert.That(features.Select(f => f.Geometry.Area), Is.EqualTo(GeoPackageGeometries(package.PathOf("tasks.gpkg")).Select(g => g.Area)).Within(1e-6), "SHP and GPKG hold the same outlines");
        var original = _tasks.OrderBy(t => t.JCBH, StringComparer.Ordinal).SelectMany(t => t.Geometry.Coordinates).ToList();
        Assert.That(delivered, Has.Count.EqualTo(original.Count));
        var fromZone = Gdaltransform($"EPSG:{epsg}", "EPSG:4490", delivered);
        var fromImage = Gdaltransform("EPSG:32650", "EPSG:4490", original);
        for (int i = 0; i < original.Count; i++)
        {
            Assert.That(fromZone[i].X, Is.EqualTo(fromImage[i].X).Within(1e-7), $"vertex {i} lon");
            Assert.That(fromZone[i].Y, Is.EqualTo(fromImage[i].Y).Within(1e-7), $"vertex {i} lat");
        }
        // ZXDX/ZXDY are the centroid in the zone, as GDAL puts it there (1 cm ≈ 1e-7°).
        var centres = Gdaltransform("EPSG:32650", $"EPSG:{epsg}", _tasks.OrderBy(t => t.JCBH, StringComparer.Ordinal).Select(t => new Coordinate(t.ZXDX, t.ZXDY)).ToList());
        for (int i = 0; i < features.Length; i++)
        {
            Assert.That((double)features[i].Attributes["ZXDX"], Is.EqualTo(centres[i].X).Within(0.01), "ZXDX");
            Assert.That((double)features[i].Attributes["ZXDY"], Is.EqualTo(centres[i].Y).Within(0.01), "ZXDY");
        }
    }

    [Test]
    public void GeoJsonIsCgcs2000LonLatMatchingGdaltransform()
    {
        var package = Package("gk3");
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        var so = ExternalTools.Run(ogrinfo, ["-so", "-al", package.PathOf("tasks.geojson")]);
        Assert.That(so.Stdout, Does.Contain("ID[\"EPSG\",4490]"));
        using var doc = JsonDocument.Parse(File.ReadAllText(package.PathOf("tasks.geojson")));
        var lonLat = doc.RootElement.GetProperty("features").EnumerateArray()
            .SelectMany(f => f.GetProperty("geometry").GetProperty("coordinates").EnumerateArray().SelectMany(ring => ring.EnumerateArray()))
            .Select(p => new Coordinate(p[0].GetDouble(), p[1].GetDouble())).ToList();
        var expected = Gdaltransform("EPSG:32650", "EPSG:4490", _tasks.OrderBy(t => t.JCBH, StringComparer.Ordinal).SelectMany(t => t.Geometry.Coordinates).ToList());
        Assert.That(lonLat, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(lonLat[i].X, Is.EqualTo(expected[i].X).Within(1e-7), $"vertex {i} lon");
            Assert.That(lonLat[i].Y, Is.EqualTo(expected[i].Y).Within(1e-7), $"vertex {i} lat");
        }
    }

    [Test]
    public void AreasAreTheImageCrsAreasInEveryFormat()
    {
        var package = Package("gk3");
        var ordered = _tasks.OrderBy(t => t.JCBH, StringComparer.Ordinal).ToList();
        var expected = ordered.Select(t => Math.Round(t.TBMJ, 2)).ToList();
        var shp = Shapefile.ReadAllFeatures(package.PathOf("tasks.shp"));
        Assert.That(shp.Select(f => (double)f.Attributes["TBMJ"]), Is.EqualTo(expected));
        // The zone's scale differs from UTM's 0.9996: recomputing the area there would change it.
        Assert.That(Math.Abs(shp[0].Geometry.Area - ordered[0].TBMJ), Is.GreaterThan(0.5));
        foreach (var file in new[] { "tasks.gpkg", "tasks.geojson", "tasks.csv", "tasks.xlsx" })
        {
            var layer = OgrLayer.Read(package.PathOf(file));
            Assert.That(layer.Features.Select(f => double.Parse(f["TBMJ"]!, CultureInfo.InvariantCulture)), Is.EqualTo(expected), file);
        }
    }

    private static List<Geometry> GeoPackageGeometries(string path)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT geom FROM tasks ORDER BY fid";
        using var r = cmd.ExecuteReader();
        var reader = new NetTopologySuite.IO.GeoPackageGeoReader { HandleSRID = true };
        var list = new List<Geometry>();
        while (r.Read()) list.Add(reader.Read((byte[])r[0]));
        return list;
    }

    private static List<Coordinate> Gdaltransform(string from, string to, IReadOnlyList<Coordinate> points)
    {
        string tool = ExternalTools.RequireTool("gdaltransform");
        string input = string.Join("\n", points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:R} {p.Y:R}"))) + "\n";
        var (code, stdout, stderr) = ExternalTools.Run(tool, ["-s_srs", from, "-t_srs", to, "-output_xy"], input);
        Assert.That(code, Is.Zero, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => new Coordinate(double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
    }
}
