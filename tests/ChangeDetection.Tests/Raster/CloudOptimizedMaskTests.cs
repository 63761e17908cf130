using System.Text.Json;
using ChangeDetection.Detection;
using ChangeDetection.Geo;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Raster;

/// <summary>The delivered change mask as a Cloud-Optimized GeoTIFF: same pixels, overviews, colour table.</summary>
[TestFixture]
public class CloudOptimizedMaskTests
{
    private const int W = 700, H = 530;

    /// <summary>A streamed mask as the detector writes it (128-px tiles, written out of order), with blobs of change, greening and nodata.</summary>
    internal static string WriteStreamedMask(TempDir dir, string name = "streamed.tif", bool bigTiff = false)
    {
        string path = dir.File(name);
        var rng = new Random(5);
        var px = new byte[W * H];
        for (int i = 0; i < px.Length; i++)
        {
            int x = i % W, y = i / W;
            px[i] = x < 40 ? Morphology.NoData : (x / 23 + y / 17) % 7 == 0 ? Morphology.Change : (x / 31 + y / 13) % 11 == 0 ? Morphology.ChangeVegetationGain : (byte)0;
            if (rng.Next(50) == 0) px[i] = (byte)rng.Next(3);
        }
        var grid = new GeoGrid(W, H, GeoTransform.FromArray([39_500_000, 0.8, 0, 4_400_000, 0, -0.8]), new Crs(4527));
        using var writer = GeoTiffWriter.Create(path, ChangeDetector.MaskFileOptions(grid, 128) with { BigTiff = bigTiff });
        var (across, down) = writer.TileGrid;
        for (int t = across * down - 1; t >= 0; t--)
        {
            var win = writer.TileWindow(t % across, t / across);
            var tile = new byte[win.PixelCount];
            for (int r = 0; r < win.Height; r++) px.AsSpan((win.Y + r) * W + win.X, win.Width).CopyTo(tile.AsSpan(r * win.Width));
            writer.WriteTile<byte>(t % across, t / across, tile);
        }
        return path;
    }

    [TestCase(new byte[] { 0, 1, 255, 255 }, 1, TestName = "Mode: a tie goes to change")]
    [TestCase(new byte[] { 0, 0, 1, 2 }, 0, TestName = "Mode: the majority wins")]
    [TestCase(new byte[] { 2, 2, 1, 255 }, 2, TestName = "Mode: nodata does not count")]
    [TestCase(new byte[] { 255, 255, 255, 255 }, 255, TestName = "Mode: all nodata stays nodata")]
    public void ModeOfTwoByTwo(byte[] values, int expected) =>
        Assert.That(CloudOptimizedMask.Mode(values), Is.EqualTo((byte)expected));

    [Test]
    public void CogKeepsEveryPixelAndHasOverviewsDownTo256()
    {
        using var dir = new TempDir();
        string streamed = WriteStreamedMask(dir);
        string cog = dir.File("mask.tif");
        CloudOptimizedMask.Write(streamed, cog);

        using var a = GeoTiffReader.Open(streamed);
        using var b = GeoTiffReader.Open(cog);
        var before = CogLayout.Inspect(streamed);
        var after = CogLayout.Inspect(cog);
        Assert.Multiple(() =>
        {
            Assert.That(b.ReadBand<byte>(0), Is.EqualTo(a.ReadBand<byte>(0)));
            Assert.That(b.Info.Transform, Is.EqualTo(a.Info.Transform));
            Assert.That(b.Info.Crs.Epsg, Is.EqualTo(4527));
            Assert.That(b.Info.NoData, Is.EqualTo(255));
            Assert.That(b.Info.BandNames, Is.EqualTo(new[] { "change" }));
            Assert.That(after.Overviews, Is.EqualTo(new[] { new OverviewSize(350, 265), new OverviewSize(175, 133) }));
            Assert.That(after.IsCog, Is.True, after.NotCogReason);
            Assert.That(before.Overviews, Is.Empty);
            Assert.That(before.IsCog, Is.False, "the streamed mask has its directory after the data and no overviews");
        });
    }

    /// <summary>A mask too big for classic TIFF uncompressed is streamed as BigTIFF; its compressed COG is classic.</summary>
    [Test]
    public void ABigTiffStreamedMaskBecomesAClassicCogWithTheSamePixels()
    {
        using var dir = new TempDir();
        string streamed = WriteStreamedMask(dir, bigTiff: true);
        CloudOptimizedMask.Write(streamed, dir.File("mask.tif"));
        using var a = GeoTiffReader.Open(streamed);
        using var b = GeoTiffReader.Open(dir.File("mask.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(a.Info.BigTiff, Is.True);
            Assert.That(b.Info.BigTiff, Is.False);
            Assert.That(b.ReadBand<byte>(0), Is.EqualTo(a.ReadBand<byte>(0)));
            Assert.That(CogLayout.Inspect(dir.File("mask.tif")).IsCog, Is.True);
            Assert.That(b.Info.Crs.Epsg, Is.EqualTo(4527));
        });
    }

    [Test]
    public void ASmallMaskIsACogWithoutOverviews()
    {
        using var dir = new TempDir();
        string path = dir.File("small.tif");
        using (var w = GeoTiffWriter.Create(path, ChangeDetector.MaskFileOptions(new GeoGrid(200, 90, GeoTransform.Identity, Crs.Unknown), 128)))
            w.WriteWindow(new PixelWindow(0, 0, 200, 90), new byte[200 * 90].AsSpan());
        CloudOptimizedMask.Write(path, dir.File("cog.tif"));
        var layout = CogLayout.Inspect(dir.File("cog.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(layout.Overviews, Is.Empty);
            Assert.That(layout.IsCog, Is.True, layout.NotCogReason);
        });
    }

    [Test]
    public void InfoJsonReportsOverviewsAndCog()
    {
        using var dir = new TempDir();
        string streamed = WriteStreamedMask(dir);
        CloudOptimizedMask.Write(streamed, dir.File("mask.tif"));
        var (code, stdout, stderr) = Cdx("info", dir.File("mask.tif"), "--json");
        var (code2, stdout2, _) = Cdx("info", streamed, "--json");
        Assert.That(code + code2, Is.Zero, stderr);
        using var cog = JsonDocument.Parse(stdout);
        using var plain = JsonDocument.Parse(stdout2);
        Assert.Multiple(() =>
        {
            Assert.That(cog.RootElement.GetProperty("cog").GetBoolean(), Is.True);
            Assert.That(cog.RootElement.GetProperty("overviews").EnumerateArray().Select(o => (o.GetProperty("width").GetInt32(), o.GetProperty("height").GetInt32())),
                Is.EqualTo(new[] { (350, 265), (175, 133) }));
            Assert.That(plain.RootElement.GetProperty("cog").GetBoolean(), Is.False);
            Assert.That(plain.RootElement.GetProperty("overviews").GetArrayLength(), Is.Zero);
        });
    }

    /// <summary>GDAL's own COG (gdal_translate -of COG) is recognised as one; a plain tiled file without overviews is not.</summary>
    [TestCase("cog_deflate_u16.tif", true, 2)]
    [TestCase("tiled256_deflate_pixel_u16.tif", false, 0)]
    [TestCase("striped_none_pixel_u16.tif", false, 0)]
    public void InfoJudgesGdalWrittenFiles(string name, bool cog, int overviews)
    {
        string file = Path.Combine(SharedData.RequireDir("geotiff"), name);
        var (code, stdout, stderr) = Cdx("info", file, "--json");
        Assert.That(code, Is.Zero, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Multiple(() =>
        {
            Assert.That(doc.RootElement.GetProperty("cog").GetBoolean(), Is.EqualTo(cog));
            Assert.That(doc.RootElement.GetProperty("overviews").GetArrayLength(), Is.EqualTo(overviews));
        });
    }

    [Test]
    public void InfoTextReportsOverviewsAndCog()
    {
        using var dir = new TempDir();
        CloudOptimizedMask.Write(WriteStreamedMask(dir), dir.File("mask.tif"));
        var (code, stdout, stderr) = Cdx("info", dir.File("mask.tif"));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("Overviews:   2: 350×265, 175×133").And.Contain("COG:         yes"));
    }

    [Test]
    public void DetectWritesACogWithTheSamePixelsAsTheStreamedMask()
    {
        string data = SharedData.RequireDir(Path.Combine("real", "levir-cd", "test_2_0000_0000"));
        using var tmp = new TempDir();
        string before = Path.Combine(data, "before.tif"), after = Path.Combine(data, "after.tif");
        var (code, _, stderr) = Cdx("detect", "--before", before, "--after", after, "--out", tmp.File("mask.tif"), "--tile", "64", "--workers", "2");
        Assert.That(code, Is.Zero, stderr);
        using (var pair = ScenePair.Open(before, after))
            ChangeDetector.Detect(pair, tmp.File("streamed.tif"), new ChangeDetectionOptions { TileSize = 64, Workers = 2 });
        using var a = GeoTiffReader.Open(tmp.File("streamed.tif"));
        using var b = GeoTiffReader.Open(tmp.File("mask.tif"));
        var layout = CogLayout.Inspect(tmp.File("mask.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(b.ReadBand<byte>(0), Is.EqualTo(a.ReadBand<byte>(0)));
            Assert.That(layout.IsCog, Is.True, layout.NotCogReason);
            Assert.That(CogLayout.Inspect(tmp.File("streamed.tif")).IsCog, Is.False);
        });
    }
}

/// <summary>The COG mask checked by GDAL: its COG validator, gdalinfo's overviews and colour table, overview pixels by mode.</summary>
[TestFixture]
[Category("Gdal")]
public class CloudOptimizedMaskGdalTests
{
    private static readonly string[] ValidatorPlaces =
    [
        "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py",
        "/usr/share/gdal/validate_cloud_optimized_geotiff.py",
        "/usr/share/doc/python3-gdal/examples/validate_cloud_optimized_geotiff.py",
    ];

    [Test]
    public void GdalsCogValidatorAcceptsTheMask()
    {
        string python = ExternalTools.RequireGdalPython();
        string? validator = ValidatorPlaces.FirstOrDefault(File.Exists);
        if (validator is null) Assert.Ignore("GDAL's validate_cloud_optimized_geotiff.py is not installed here (python3-gdal ships it).");
        using var dir = new TempDir();
        string streamed = CloudOptimizedMaskTests.WriteStreamedMask(dir);
        CloudOptimizedMask.Write(streamed, dir.File("mask.tif"));
        var (code, stdout, stderr) = ExternalTools.Run(python, [validator!, "--full-check=yes", dir.File("mask.tif")]);
        var (plainCode, plainOut, _) = ExternalTools.Run(python, [validator!, streamed]);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, stdout + stderr);
            Assert.That(stdout, Does.Contain("is a valid cloud optimized GeoTIFF"));
            Assert.That(plainCode, Is.Not.Zero, "the streamed mask is not a COG: the check can fail: " + plainOut);
        });
    }

    [Test]
    public void GdalinfoShowsTheOverviewsAndTheColourTable()
    {
        string gdalinfo = ExternalTools.RequireTool("gdalinfo");
        using var dir = new TempDir();
        CloudOptimizedMask.Write(CloudOptimizedMaskTests.WriteStreamedMask(dir), dir.File("mask.tif"));
        var (code, stdout, stderr) = ExternalTools.Run(gdalinfo, ["-json", dir.File("mask.tif")]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stderr, Does.Not.Contain("Warning").And.Not.Contain("ERROR"));
        using var doc = JsonDocument.Parse(stdout);
        var band = doc.RootElement.GetProperty("bands")[0];
        var entries = band.GetProperty("colorTable").GetProperty("entries");
        int[] Entry(int i) => entries[i].EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(band.GetProperty("overviews").EnumerateArray().Select(o => o.GetProperty("size").EnumerateArray().Select(s => s.GetInt32()).ToArray()),
                Is.EqualTo(new[] { new[] { 350, 265 }, new[] { 175, 133 } }));
            Assert.That(band.GetProperty("colorInterpretation").GetString(), Is.EqualTo("Palette"));
            Assert.That(band.GetProperty("noDataValue").GetDouble(), Is.EqualTo(255));
            Assert.That(Entry(1), Is.EqualTo(new[] { 255, 0, 0, 255 }), "changed is red");
            Assert.That(Entry(2)[..3], Is.Not.EqualTo(Entry(1)[..3]).And.Not.EqualTo(Entry(0)[..3]), "greening has a colour of its own");
            Assert.That(doc.RootElement.GetProperty("geoTransform").EnumerateArray().Select(e => e.GetDouble()), Is.EqualTo(new[] { 39_500_000, 0.8, 0, 4_400_000, 0, -0.8 }));
            Assert.That(doc.RootElement.GetProperty("stac").GetProperty("proj:epsg").GetInt32(), Is.EqualTo(4527));
        });
    }

    [Test]
    public void GdalReadsOverviewsAsTheModeOfTheLevelAbove()
    {
        string python = ExternalTools.RequireGdalPython();
        using var dir = new TempDir();
        CloudOptimizedMask.Write(CloudOptimizedMaskTests.WriteStreamedMask(dir), dir.File("mask.tif"));
        // The mode is recomputed here independently of the C# code, from GDAL's reading of each level.
        const string script = """
            import sys
            from collections import Counter
            from osgeo import gdal
            ds = gdal.Open(sys.argv[1])  # kept: a band outlives no dataset
            band = ds.GetRasterBand(1)
            levels = [band.ReadAsArray()] + [band.GetOverview(i).ReadAsArray() for i in range(band.GetOverviewCount())]
            bad = 0
            for up, down in zip(levels, levels[1:]):
                h, w = down.shape
                for y in range(h):
                    for x in range(w):
                        c = Counter(int(v) for v in up[2*y:2*y+2, 2*x:2*x+2].ravel() if v != 255)
                        want = 255 if not c else max(c.items(), key=lambda kv: (kv[1], kv[0]))[0]
                        bad += int(down[y, x]) != want
            print(len(levels) - 1, bad)
            """;
        var (code, stdout, stderr) = ExternalTools.Run(python, ["-c", script, dir.File("mask.tif")]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout.Trim(), Is.EqualTo("2 0"), "two overview levels, no pixel differing from the mode");
    }
}
