using ChangeDetection.Geo;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Raster;

/// <summary>
/// Bands in files of their own (<see cref="ScenePairOptions.ExtraBands"/>): a 20 m band placed on a 10 m pair grid through
/// the geotransforms, as Sentinel-2's 20 m bands next to OSCD's 10 m images.
/// </summary>
[TestFixture]
public class ScenePairBandFilesTests
{
    // A 10 m pair of 24 × 20 pixels and 20 m band files of 12 × 10 covering the same ground.
    private const int W = 24, H = 20;
    private const double X0 = 500_000, Y0 = 3_800_000;

    private static GeoTransform Gt(double px) => new(X0, px, 0, Y0, 0, -px);

    /// <summary>A plane in map coordinates (metres from the origin): bilinear resampling reproduces it exactly between centres.</summary>
    private static int Plane(double mx, double my, int offset) => (int)Math.Round(offset + 2 * mx + 3 * my);

    /// <summary>Writes the 4-band 10 m images and one 20 m swir1 file per date (value = plane at the 20 m pixel centre; after +500).</summary>
    private static (string Before, string After, BandFiles Swir) Write(TempDir dir, Crs? bandCrs = null)
    {
        string before = ScenePairTests.Write(dir, "before.tif", W, H, Gt(10), (k, c, r) => 1000 * (k + 1) + c + r);
        string after = ScenePairTests.Write(dir, "after.tif", W, H, Gt(10), (k, c, r) => 1000 * (k + 1) + c + r + 7);
        string b = ScenePairTests.Write(dir, "T1_B11_before.tif", W / 2, H / 2, Gt(20), (_, c, r) => Plane((c + 0.5) * 20, (r + 0.5) * 20, 1000), bands: 1, crs: bandCrs);
        string a = ScenePairTests.Write(dir, "T1_B11_after.tif", W / 2, H / 2, Gt(20), (_, c, r) => Plane((c + 0.5) * 20, (r + 0.5) * 20, 1500), bands: 1);
        return (before, after, new BandFiles(SpectralBand.Swir1, b, a));
    }

    private static (ushort[] Before, ushort[] After, byte[] Valid) ReadAll(ScenePair pair, int w = W, int h = H)
    {
        int n = w * h, nb = pair.Bands.Count;
        var (b, a, v) = (new ushort[n * nb], new ushort[n * nb], new byte[n]);
        pair.Read(new PixelWindow(0, 0, w, h), b, a, v);
        return (b, a, v);
    }

    [Test]
    public void A20mBandFileIsResampledBilinearlyOntoThe10mGridAndJoinsTheBandsInCanonicalOrder()
    {
        using var dir = new TempDir();
        var (before, after, swir) = Write(dir);
        using var plain = ScenePair.Open(before, after);
        using var pair = ScenePair.Open(before, after, new ScenePairOptions { ExtraBands = [swir] });
        var (pb, pa, _) = ReadAll(plain);
        var (b, a, v) = ReadAll(pair);
        int n = W * H;
        Assert.Multiple(() =>
        {
            Assert.That(pair.Bands, Is.EqualTo(new[] { SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir, SpectralBand.Swir1 }));
            Assert.That(pair.Grid.Width, Is.EqualTo(W));
            // The images' four bands are read as without the band file.
            Assert.That(b.AsSpan(0, 4 * n).SequenceEqual(pb), Is.True);
            Assert.That(a.AsSpan(0, 4 * n).SequenceEqual(pa), Is.True);
            Assert.That(v.All(x => x == 1), Is.True);
        });
        // Between the outermost 20 m centres (10 m pixels 1 … W−2) bilinear interpolation of a plane is the plane at the 10 m centre.
        for (int r = 1; r < H - 1; r++)
            for (int c = 1; c < W - 1; c++)
            {
                double mx = (c + 0.5) * 10, my = (r + 0.5) * 10;
                Assert.That(b[4 * n + r * W + c], Is.EqualTo(Plane(mx, my, 1000)).Within(1), $"before ({c},{r})");
                Assert.That(a[4 * n + r * W + c], Is.EqualTo(Plane(mx, my, 1500)).Within(1), $"after ({c},{r})");
            }
    }

    [Test]
    public void NearestResamplingRepeatsEach20mPixelOverItsFour10mPixels()
    {
        using var dir = new TempDir();
        var (before, after, swir) = Write(dir);
        using var pair = ScenePair.Open(before, after, new ScenePairOptions { ExtraBands = [swir], Resampling = Resampling.Nearest });
        var (b, _, _) = ReadAll(pair);
        int n = W * H;
        for (int r = 0; r < H; r++)
            for (int c = 0; c < W; c++)
                Assert.That(b[4 * n + r * W + c], Is.EqualTo(Plane((c / 2 + 0.5) * 20, (r / 2 + 0.5) * 20, 1000)), $"({c},{r})");
    }

    [Test]
    public void TheAfterBandFileFollowsTheAfterShift()
    {
        using var dir = new TempDir();
        var (before, after, swir) = Write(dir);
        using var pair = ScenePair.Open(before, after, new ScenePairOptions { ExtraBands = [swir] });
        pair.ShiftAfter(2, 1);
        // The shifted images cover the grid but for the last 2 columns and the last row.
        int w = W - 2, h = H - 1, n = w * h;
        var (b, a, _) = ReadAll(pair, w, h);
        // After sample of (x, y) is taken at (x + 2, y + 1) 10 m pixels; the before file does not move.
        for (int r = 1; r < h - 2; r++)
            for (int c = 1; c < w - 2; c++)
            {
                Assert.That(a[4 * n + r * w + c], Is.EqualTo(Plane((c + 2.5) * 10, (r + 1.5) * 10, 1500)).Within(1), $"after ({c},{r})");
                Assert.That(b[4 * n + r * w + c], Is.EqualTo(Plane((c + 0.5) * 10, (r + 0.5) * 10, 1000)).Within(1), $"before ({c},{r})");
            }
    }

    [Test]
    public void ABandTheImagesHoldIsReadFromTheImages()
    {
        using var dir = new TempDir();
        var (before, after, swir) = Write(dir);
        using var plain = ScenePair.Open(before, after);
        using var pair = ScenePair.Open(before, after, new ScenePairOptions { ExtraBands = [swir with { Band = SpectralBand.Red }] });
        var (pb, _, _) = ReadAll(plain);
        var (b, _, _) = ReadAll(pair);
        Assert.Multiple(() =>
        {
            Assert.That(pair.Bands, Is.EqualTo(plain.Bands));
            Assert.That(b, Is.EqualTo(pb));
        });
    }

    [Test]
    public void ABandFileInAnotherCrsOrMissingIsOneClearError()
    {
        using var dir = new TempDir();
        var (before, after, swir) = Write(dir, bandCrs: new Crs(4528));
        var e = Assert.Throws<ChangeDetectionException>(() => ScenePair.Open(before, after, new ScenePairOptions { ExtraBands = [swir] }).Dispose());
        Assert.That(e!.Message, Does.Contain("T1_B11_before.tif").And.Contain("swir1"));
        using var dir2 = new TempDir();
        (before, after, swir) = Write(dir2);
        var missing = swir with { After = dir2.File("nope_B11.tif") };
        e = Assert.Throws<ChangeDetectionException>(() => ScenePair.Open(before, after, new ScenePairOptions { ExtraBands = [missing] }).Dispose());
        Assert.That(e!.Message, Does.Contain("nope_B11.tif").And.Contain("not found"));
    }

    [TestCase("S2A_OPER_MSI_L1C_TL_MTI__20160120T104345_A003020_T39QZG_B11.tif", SpectralBand.Swir1)]
    [TestCase("T40QBM_20180328T065919_B8A.tif", SpectralBand.NirNarrow)]
    [TestCase("T40QBM_20180328T065919_B05.tif", SpectralBand.RedEdge1)]
    [TestCase("x_b07.TIF", SpectralBand.RedEdge3)]
    [TestCase("T40QBM_20180328T065919_B02.tif", SpectralBand.Blue)]
    [TestCase("T40QBM_20180328T065919_B01.tif", null)]
    [TestCase("T40QBM_20180328T065919_B10.tif", null)]
    [TestCase("before.tif", null)]
    [TestCase("AB11.tif", null)]
    public void SentinelFileNamesNameTheirBand(string name, SpectralBand? band) =>
        Assert.That(SentinelBandFiles.BandOf(name), Is.EqualTo(band));

    [Test]
    public void BandFoldersPairTheBandsBothDatesHave()
    {
        using var dir = new TempDir();
        string d1 = Directory.CreateDirectory(dir.File("bands_1")).FullName, d2 = Directory.CreateDirectory(dir.File("bands_2")).FullName;
        foreach (var code in new[] { "B01", "B05", "B11", "B12" }) File.WriteAllText(Path.Combine(d1, $"T1_{code}.tif"), "");
        foreach (var code in new[] { "B05", "B11", "B8A" }) File.WriteAllText(Path.Combine(d2, $"T2_{code}.tif"), "");
        var pairs = SentinelBandFiles.Pair(d1, d2);
        Assert.Multiple(() =>
        {
            Assert.That(pairs.Select(p => p.Band), Is.EqualTo(new[] { SpectralBand.Swir1, SpectralBand.RedEdge1 }));
            Assert.That(pairs[0].Before, Is.EqualTo(Path.Combine(d1, "T1_B11.tif")));
            Assert.That(pairs[0].After, Is.EqualTo(Path.Combine(d2, "T2_B11.tif")));
        });
    }
}
