using System.Text;
using ChangeDetection.Overlay;
using NetTopologySuite.Geometries;
using static ChangeDetection.Tests.Overlay.OverlayFixtures;

namespace ChangeDetection.Tests.Overlay;

[TestFixture]
public sealed class PolygonLayerReaderTests
{
    private static Encoding Gbk()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(936);
    }

    private static readonly (string Code, string Name)[] Names = [("320305", "贾汪区"), ("370405", "台儿庄区")];

    private static void WriteCounties(string shp, Encoding encoding) =>
        WriteShapefile(shp, Names.Select((n, i) => Feature(Box(i * 100, 0, i * 100 + 100, 100), ("XZQDM", n.Code), ("XZQMC", n.Name))), encoding);

    [Test]
    public void Utf8Shapefile_ChineseValuesAndCrsReadBack()
    {
        using var dir = new TempDir();
        string shp = dir.File("counties.shp");
        WriteCounties(shp, new UTF8Encoding(false));
        Assert.That(File.ReadAllText(dir.File("counties.cpg")).Trim(), Is.EqualTo("UTF-8").IgnoreCase);

        var layer = PolygonLayerReader.Read(shp);
        Assert.Multiple(() =>
        {
            Assert.That(layer.Crs.Epsg, Is.EqualTo(4527), "identified from the ESRI .prj");
            Assert.That(layer.Features.Select(f => f.Text("XZQMC")), Is.EqualTo(Names.Select(n => n.Name)));
            Assert.That(layer.Features.Select(f => f.Text("XZQDM")), Is.EqualTo(Names.Select(n => n.Code)));
            Assert.That(layer.Features[1].Geometry.Area, Is.EqualTo(10_000.0).Within(1e-6));
            Assert.That(layer.Warnings, Is.Empty);
        });
    }

    [Test]
    public void GbkShapefile_ChineseValuesReadBack()
    {
        using var dir = new TempDir();
        string shp = dir.File("counties.shp");
        WriteCounties(shp, Gbk());
        string cpg = File.ReadAllText(dir.File("counties.cpg")).Trim();
        Assert.That(cpg, Is.Not.EqualTo("UTF-8").IgnoreCase, "the fixture really is GBK");
        byte[] dbf = File.ReadAllBytes(dir.File("counties.dbf"));
        Assert.That(Contains(dbf, Gbk().GetBytes("台儿庄区")), Is.True, "GBK bytes in the .dbf");
        Assert.That(Contains(dbf, Encoding.UTF8.GetBytes("台儿庄区")), Is.False, "no UTF-8 bytes in the .dbf");

        var layer = PolygonLayerReader.Read(shp);
        Assert.That(layer.Features.Select(f => f.Text("XZQMC")), Is.EqualTo(Names.Select(n => n.Name)));
    }

    [Test]
    public void GbkShapefile_CpgSaysGbk_DecodedAsGbk()
    {
        using var dir = new TempDir();
        string shp = dir.File("counties.shp");
        WriteCounties(shp, Gbk());
        File.WriteAllText(dir.File("counties.cpg"), "GBK");
        Assert.That(PolygonLayerReader.Read(shp).Features[0].Text("XZQMC"), Is.EqualTo("贾汪区"));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    [Test]
    public void GeoJsonWithCrsMember_ReadInThatCrs()
    {
        using var dir = new TempDir();
        string path = dir.File("redline.geojson");
        WriteGeoJson(path, 4527, [Feature(Box(0, 0, 30, 20), ("name", "生态红线"))]);
        var layer = PolygonLayerReader.Read(path);
        Assert.Multiple(() =>
        {
            Assert.That(layer.Crs.Epsg, Is.EqualTo(4527));
            Assert.That(layer.Features[0].Geometry.Area, Is.EqualTo(600.0).Within(1e-6));
            Assert.That(layer.Features[0].Text("name"), Is.EqualTo("生态红线"));
        });
    }

    [Test]
    public void GeoJsonWithoutCrsMember_IsLonLat()
    {
        using var dir = new TempDir();
        string path = dir.File("plain.geojson");
        File.WriteAllText(path, """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"k":1},"geometry":{"type":"Polygon","coordinates":[[[117.5,34.5],[117.51,34.5],[117.51,34.51],[117.5,34.51],[117.5,34.5]]]}}]}""");
        var layer = PolygonLayerReader.Read(path);
        Assert.Multiple(() =>
        {
            Assert.That(layer.Crs.Epsg, Is.EqualTo(4326));
            Assert.That(layer.Crs.IsGeographic, Is.True);
            Assert.That(layer.TransformTo(new ChangeDetection.Geo.Crs(4527)).Features[0].Geometry.EnvelopeInternal.MinX, Is.InRange(39_500_000.0, 39_600_000.0));
        });
    }

    [Test]
    public void GeoPackage_ReadWithCrsAndAttributes()
    {
        using var dir = new TempDir();
        string path = dir.File("zones.gpkg");
        WriteGeoPackage(path, 4527, [(Box(0, 0, 10, 10), "370404", "峄城区"), (Box(10, 0, 30, 10), "370405", "台儿庄区")]);
        var layer = PolygonLayerReader.Read(path);
        Assert.Multiple(() =>
        {
            Assert.That(layer.Crs.Epsg, Is.EqualTo(4527));
            Assert.That(layer.Features, Has.Count.EqualTo(2));
            Assert.That(layer.Features[1].Text("name"), Is.EqualTo("台儿庄区"));
            Assert.That(layer.Features[1].Geometry.Area, Is.EqualTo(200.0).Within(1e-6));
        });
    }

    [Test]
    public void GeoPackage_NonEpsgOrganization_IdentifiedFromDefinition()
    {
        using var dir = new TempDir();
        string path = dir.File("zones.gpkg");
        WriteGeoPackage(path, 4527, [(Box(0, 0, 10, 10), "370404", "峄城区")], organization: "CUSTOM");
        Assert.That(PolygonLayerReader.Read(path).Crs.Epsg, Is.EqualTo(4527));
    }

    [Test]
    public void BowTiePolygon_IsRepairedAndReported()
    {
        using var dir = new TempDir();
        string path = dir.File("bowtie.geojson");
        // A figure-eight ring crossing itself at (5, 5): two 25 m² triangles.
        var bowTie = Factory.CreatePolygon([new(X0, Y0), new(X0 + 10, Y0 + 10), new(X0 + 10, Y0), new(X0, Y0 + 10), new(X0, Y0)]);
        Assert.That(bowTie.IsValid, Is.False, "the fixture is invalid");
        WriteGeoJson(path, 4527, [Feature(Box(100, 100, 110, 110), ("id", 1)), Feature(bowTie, ("id", 2))]);

        var layer = PolygonLayerReader.Read(path);
        Assert.Multiple(() =>
        {
            Assert.That(layer.Features, Has.Count.EqualTo(2), "not dropped");
            Assert.That(layer.RepairedCount, Is.EqualTo(1));
            Assert.That(layer.Warnings, Has.One.Contains("bowtie.geojson").And.Contains("feature 2").And.Contains("repaired"));
            Assert.That(layer.Features[1].Geometry.IsValid, Is.True);
            Assert.That(layer.Features[1].Geometry.Area, Is.EqualTo(50.0).Within(1e-6));
        });
    }

    [Test]
    public void BowTiePolygonInShapefile_IsRepairedAndReported()
    {
        using var dir = new TempDir();
        string shp = dir.File("bowtie.shp");
        var bowTie = Factory.CreatePolygon([new(X0, Y0), new(X0 + 10, Y0 + 10), new(X0 + 10, Y0), new(X0, Y0 + 10), new(X0, Y0)]);
        WriteShapefile(shp, [Feature(Box(100, 100, 110, 110), ("k", "a")), Feature(bowTie, ("k", "b"))], new UTF8Encoding(false));
        var layer = PolygonLayerReader.Read(shp);
        Assert.Multiple(() =>
        {
            Assert.That(layer.Features, Has.Count.EqualTo(2), "not dropped");
            Assert.That(layer.RepairedCount, Is.EqualTo(1));
            Assert.That(layer.Warnings, Has.One.Contains("bowtie.shp").And.Contains("record 2"));
            Assert.That(layer.Features[1].Geometry.IsValid, Is.True);
            Assert.That(layer.Features[1].Geometry.Area, Is.EqualTo(50.0).Within(1e-6));
        });
    }

    [Test]
    public void NonPolygonFeature_IsSkippedWithAWarning()
    {
        using var dir = new TempDir();
        string path = dir.File("mixed.geojson");
        WriteGeoJson(path, 4527, [Feature(Box(0, 0, 1, 1)), Feature(Factory.CreateLineString([new(X0, Y0), new(X0 + 5, Y0)]))]);
        var layer = PolygonLayerReader.Read(path);
        Assert.Multiple(() =>
        {
            Assert.That(layer.Features, Has.Count.EqualTo(1));
            Assert.That(layer.Warnings, Has.One.Contains("feature 2").And.Contains("LineString"));
        });
    }

    [Test]
    public void MissingFile_ErrorNamesIt()
    {
        using var dir = new TempDir();
        string path = dir.File("nope.shp");
        Assert.That(() => PolygonLayerReader.Read(path), Throws.InstanceOf<ChangeDetectionException>().With.Message.Contains(path));
    }

    [TestCase("broken.shp")]
    [TestCase("broken.geojson")]
    [TestCase("broken.gpkg")]
    public void CorruptFile_ErrorNamesIt(string name)
    {
        using var dir = new TempDir();
        string path = dir.File(name);
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("this is not a layer file at all, just some text that goes on for a while ......................................................................"));
        if (name.EndsWith(".shp", StringComparison.Ordinal))
        {
            File.WriteAllText(dir.File("broken.prj"), EsriPrj4527);
            File.WriteAllText(dir.File("broken.dbf"), "garbage");
        }
        Assert.That(() => PolygonLayerReader.Read(path), Throws.InstanceOf<ChangeDetectionException>().With.Message.Contains(path));
    }

    [Test]
    public void ShapefileWithUnknownPrj_ErrorNamesTheFile()
    {
        using var dir = new TempDir();
        string shp = dir.File("lambert.shp");
        WriteShapefile(shp, [Feature(Box(0, 0, 1, 1), ("k", "v"))], new UTF8Encoding(false),
            "PROJCS[\"Asia_Lambert_Conformal_Conic\",GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Lambert_Conformal_Conic\"],PARAMETER[\"Central_Meridian\",105.0],UNIT[\"Meter\",1.0]]");
        Assert.That(() => PolygonLayerReader.Read(shp), Throws.InstanceOf<ChangeDetectionException>().With.Message.Contains(shp).And.Message.Contains("CRS"));
    }

    [Test]
    public void ShapefileWithoutPrj_ErrorNamesTheFile()
    {
        using var dir = new TempDir();
        string shp = dir.File("noprj.shp");
        WriteShapefile(shp, [Feature(Box(0, 0, 1, 1), ("k", "v"))], new UTF8Encoding(false));
        File.Delete(dir.File("noprj.prj"));
        Assert.That(() => PolygonLayerReader.Read(shp), Throws.InstanceOf<ChangeDetectionException>().With.Message.Contains(shp).And.Message.Contains(".prj"));
    }

    /// <summary>A GeoJSON with one EPSG:4527 box and no "crs" member, as many tools write projected layers.</summary>
    private static string ProjectedGeoJsonWithoutCrs(TempDir dir)
    {
        string path = dir.File("projected.geojson");
        string ring = string.Join(",", new[] { (0, 0), (100, 0), (100, 100), (0, 100), (0, 0) }
            .Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{X0 + p.Item1},{Y0 + p.Item2}]")));
        File.WriteAllText(path, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"XZQDM\":\"320305\"},"
            + "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[" + ring + "]]}}]}");
        return path;
    }

    [Test]
    public void ProjectedGeoJsonWithoutCrs_IsRefusedWithTheFix()
    {
        using var dir = new TempDir();
        string path = ProjectedGeoJsonWithoutCrs(dir);
        Assert.That(() => PolygonLayerReader.Read(path), Throws.InstanceOf<ChangeDetectionException>()
            .With.Message.Contains(path).And.Message.Contains("cannot be longitude/latitude").And.Message.Contains("\"crs\"").And.Message.Contains("region config"));
    }

    [Test]
    public void ProjectedGeoJsonWithoutCrs_ReadsInTheDeclaredCrs()
    {
        using var dir = new TempDir();
        var layer = PolygonLayerReader.Read(ProjectedGeoJsonWithoutCrs(dir), declaredEpsg: 4527);
        Assert.Multiple(() =>
        {
            Assert.That(layer.Crs.Epsg, Is.EqualTo(4527));
            Assert.That(layer.Features.Single().Geometry.Area, Is.EqualTo(10_000).Within(1e-6));
        });
    }

    [Test]
    public void ADeclaredCrsThatContradictsTheFile_IsAnError()
    {
        using var dir = new TempDir();
        string path = dir.File("zones.gpkg");
        WriteGeoPackage(path, 4527, [(Box(0, 0, 10, 10), "370404", "峄城区")]);
        Assert.That(() => PolygonLayerReader.Read(path, declaredEpsg: 4528), Throws.InstanceOf<ChangeDetectionException>()
            .With.Message.Contains(path).And.Message.Contains("EPSG:4527").And.Message.Contains("EPSG:4528"));
        Assert.That(PolygonLayerReader.Read(path, declaredEpsg: 4527).Crs.Epsg, Is.EqualTo(4527));
    }

    [Test]
    public void ShapefileWithoutPrj_ReadsInTheDeclaredCrs()
    {
        using var dir = new TempDir();
        string shp = dir.File("noprj.shp");
        WriteShapefile(shp, [Feature(Box(0, 0, 1, 1), ("k", "v"))], new UTF8Encoding(false));
        File.Delete(dir.File("noprj.prj"));
        Assert.That(PolygonLayerReader.Read(shp, declaredEpsg: 4527).Crs.Epsg, Is.EqualTo(4527));
    }
}
