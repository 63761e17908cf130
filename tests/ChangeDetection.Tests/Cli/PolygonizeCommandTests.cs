using static ChangeDetection.Tests.Cli.CdxRunner;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tests.Vectorization;
using Microsoft.Data.Sqlite;

namespace ChangeDetection.Tests.Cli;

[TestFixture]
public class PolygonizeCommandTests
{
    private static long Count(string gpkg, string where = "1")
    {
        using var db = new SqliteConnection($"Data Source={gpkg};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM patches WHERE {where}";
        return (long)cmd.ExecuteScalar()!;
    }

    [Test]
    public void WritesOnePatchPerComponentAboveTheMinimumArea()
    {
        using var dir = new TempDir();
        const int w = 160, h = 140;
        var m = TestMasks.Make("holes", w, h, seed: 21);
        string mask = MaskFiles.Write(dir.File("m.tif"), m, w, h, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39);
        var (_, components) = TestMasks.FloodFill(m, w, h, eight: false);
        var sizes = new long[components];
        foreach (int l in TestMasks.FloodFill(m, w, h, eight: false).Labels) if (l >= 0) sizes[l]++;

        var (code, stdout, stderr) = Cdx("polygonize", mask, dir.File("all.gpkg"), "--min-area", "0", "--tile", "33", "--simplify", "0");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain($"{components} patches"));
        Assert.That(Count(dir.File("all.gpkg")), Is.EqualTo(components));

        (code, _, stderr) = Cdx("polygonize", mask, dir.File("big.gpkg"), "--min-area", "400", "--simplify", "0");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(Count(dir.File("big.gpkg")), Is.EqualTo(sizes.Count(s => s * 4 >= 400)));
        Assert.That(Count(dir.File("big.gpkg"), "area_m2 < 400 OR abs(area_mu * 10000 / 15 - area_m2) > 1e-6 OR lon IS NULL"), Is.Zero);
    }

    [Test]
    public void EightConnectivityMergesDiagonalNeighbours()
    {
        using var dir = new TempDir();
        const int w = 40, h = 40;
        var m = TestMasks.Make("noise", w, h, seed: 2);
        string mask = MaskFiles.Write(dir.File("m.tif"), m, w, h, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39);
        Assert.That(Cdx("polygonize", mask, dir.File("4.gpkg"), "--min-area", "0").Code, Is.Zero);
        Assert.That(Cdx("polygonize", mask, dir.File("8.gpkg"), "--min-area", "0", "--connectivity", "8").Code, Is.Zero);
        Assert.That(Count(dir.File("4.gpkg")), Is.EqualTo(TestMasks.FloodFill(m, w, h, eight: false).Count));
        Assert.That(Count(dir.File("8.gpkg")), Is.EqualTo(TestMasks.FloodFill(m, w, h, eight: true).Count));
    }

    [Test]
    [Category("Gdal")]
    public void OgrinfoSeesTheLayerFeatureCountAndSrs()
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        using var dir = new TempDir();
        const int w = 120, h = 100;
        var m = TestMasks.Make("blobs", w, h, seed: 8);
        string mask = MaskFiles.Write(dir.File("m.tif"), m, w, h, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39);
        var (code, _, stderr) = Cdx("polygonize", mask, dir.File("o.gpkg"), "--min-area", "0");
        Assert.That(code, Is.Zero, stderr);
        var info = ExternalTools.Run(ogrinfo, ["-so", "-al", dir.File("o.gpkg")]);
        Assert.That(info.Stdout, Does.Contain($"Feature Count: {TestMasks.FloodFill(m, w, h, eight: false).Count}"));
        Assert.That(info.Stdout, Does.Contain("ID[\"EPSG\",4527]"));
    }

    [Test]
    public void MissingFileExitsWithTwo()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Cdx("polygonize", dir.File("nope.tif"), dir.File("o.gpkg"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("nope.tif"));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void RasterThatIsNotAMaskExitsWithTwo()
    {
        using var dir = new TempDir();
        string path = dir.File("float.tif");
        using (var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions { Width = 8, Height = 8, DataType = RasterDataType.Float32, TileSize = 16 }))
            writer.WriteWindow(new PixelWindow(0, 0, 8, 8), new float[64].AsSpan());
        var (code, _, stderr) = Cdx("polygonize", path, dir.File("o.gpkg"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("float.tif").And.Contain("not a change mask"));
        string garbage = dir.File("garbage.tif");
        File.WriteAllText(garbage, "this is not a tiff");
        (code, _, stderr) = Cdx("polygonize", garbage, dir.File("o.gpkg"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("garbage.tif").And.Not.Contain("   at "));
    }

    [Test]
    public void BadOptionsExitWithTwo()
    {
        using var dir = new TempDir();
        string mask = MaskFiles.Write(dir.File("m.tif"), new byte[16], 4, 4, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39);
        Assert.Multiple(() =>
        {
            Assert.That(Cdx("polygonize", mask, dir.File("o.gpkg"), "--connectivity", "6").Code, Is.EqualTo(2));
            Assert.That(Cdx("polygonize", mask, dir.File("o.gpkg"), "--min-area", "-1").Code, Is.EqualTo(2));
            Assert.That(Cdx("polygonize", mask, dir.File("o.gpkg"), "--tile", "0").Code, Is.EqualTo(2));
            Assert.That(Cdx("polygonize", mask).Code, Is.EqualTo(2));
        });
    }
}
