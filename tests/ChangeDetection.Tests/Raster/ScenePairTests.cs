using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Raster;

[TestFixture]
public class ScenePairTests
{
    private static readonly Crs Gk39 = new(4527);

    /// <summary>Writes a uint16 raster whose band k holds f(k, col, row).</summary>
    internal static string Write(TempDir dir, string name, int w, int h, GeoTransform gt, Func<int, int, int, int> f,
        string?[]? names = null, int bands = 4, Crs? crs = null, double? nodata = null)
    {
        string path = dir.File(name);
        var data = new ushort[w * h * bands];
        for (int k = 0; k < bands; k++)
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                    data[k * w * h + r * w + c] = (ushort)f(k, c, r);
        using var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions
        {
            Width = w, Height = h, BandCount = bands, DataType = RasterDataType.UInt16, Transform = gt,
            Crs = crs ?? Gk39, BandNames = names, TileSize = 16, NoData = nodata,
        });
        writer.WriteWindow(new PixelWindow(0, 0, w, h), data.AsSpan());
        return path;
    }

    private static GeoTransform Gt(double x, double y, double px = 1) => new(x, px, 0, y, 0, -px);

    [Test]
    public void SameResolutionWithIntegerOffsetIsCutToTheOverlapWithoutResampling()
    {
        using var dir = new TempDir();
        string before = Write(dir, "b.tif", 100, 80, Gt(1000, 2000), (k, c, r) => k * 10000 + r * 100 + c);
        // After starts 5 columns right and 7 rows down of the before origin, and is larger.
        string after = Write(dir, "a.tif", 120, 90, Gt(1005, 1993), (k, c, r) => k * 10000 + (r + 7) * 100 + (c + 5) + 1);
        using var pair = ScenePair.Open(before, after);
        Assert.Multiple(() =>
        {
            Assert.That(pair.AfterResampled, Is.False);
            Assert.That(pair.BeforeWindow, Is.EqualTo(new PixelWindow(5, 7, 95, 73)));
            Assert.That(pair.Grid.Transform.OriginX, Is.EqualTo(1005));
            Assert.That(pair.Grid.Transform.OriginY, Is.EqualTo(1993));
        });
        var win = new PixelWindow(3, 4, 10, 6);
        var (b, a, v) = (new ushort[240], new ushort[240], new byte[60]);
        pair.Read(win, b, a, v);
        // Grid pixel (3,4) is before pixel (8,11): after is before + 1 everywhere.
        Assert.Multiple(() =>
        {
            Assert.That(b[0], Is.EqualTo(11 * 100 + 8));
            Assert.That(a.Zip(b).All(p => p.First == p.Second + 1), Is.True);
            Assert.That(v.All(x => x == 1), Is.True);
        });
    }

    [Test]
    public void CoarserAfterImageIsResampledBilinearOntoTheBeforeGrid()
    {
        using var dir = new TempDir();
        string before = Write(dir, "b.tif", 4, 4, Gt(0, 4), (k, c, r) => 1, bands: 4);
        // After: 2×2 pixels of 2 m holding 0, 100 / 200, 300.
        string after = Write(dir, "a.tif", 2, 2, Gt(0, 4, 2), (k, c, r) => (r * 2 + c) * 100, bands: 4);
        using var pair = ScenePair.Open(before, after);
        var (b, a, v) = (new ushort[64], new ushort[64], new byte[16]);
        pair.Read(pair.Grid.Bounds, b, a, v);
        // Before centres at 0.5, 1.5, 2.5, 3.5 m are after positions 0.25, 0.75, 1.25, 1.75 pixels:
        // weights clamp to the edge outside the outer centres, so each row reads 0, 25, 75, 100 (+ row term).
        Assert.Multiple(() =>
        {
            Assert.That(pair.AfterResampled, Is.True);
            Assert.That(a.Take(4), Is.EqualTo(new ushort[] { 0, 25, 75, 100 }));
            Assert.That(a.Skip(4).Take(4), Is.EqualTo(new ushort[] { 50, 75, 125, 150 }));
            Assert.That(a.Skip(12).Take(4), Is.EqualTo(new ushort[] { 200, 225, 275, 300 }));
        });
    }

    [Test]
    public void WeightsClampAtEdgesAndInterpolateBetweenCentres()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ScenePair.Weights(0.2, 10, bilinear: true), Is.EqualTo((0, 0, 0f)));
            Assert.That(ScenePair.Weights(1.0, 10, bilinear: true), Is.EqualTo((0, 1, 0.5f)));
            Assert.That(ScenePair.Weights(9.9, 10, bilinear: true), Is.EqualTo((9, 9, 0f)));
            Assert.That(ScenePair.Weights(3.7, 10, bilinear: false), Is.EqualTo((3, 3, 0f)));
        });
    }

    [Test]
    public void BandsAreMatchedByNameWhateverTheirOrder()
    {
        using var dir = new TempDir();
        string before = Write(dir, "b.tif", 20, 20, Gt(0, 20), (k, c, r) => k + 1, names: ["blue", "green", "red", "nir"]);
        string after = Write(dir, "a.tif", 20, 20, Gt(0, 20), (k, c, r) => (k + 1) * 10, names: ["nir", "red", "green", "blue"], bands: 4);
        using var pair = ScenePair.Open(before, after);
        var (b, a, v) = (new ushort[4], new ushort[4], new byte[1]);
        pair.Read(new PixelWindow(0, 0, 1, 1), b, a, v);
        Assert.Multiple(() =>
        {
            Assert.That(pair.Bands, Is.EqualTo(new[] { SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir }));
            Assert.That(b, Is.EqualTo(new ushort[] { 1, 2, 3, 4 }));
            Assert.That(a, Is.EqualTo(new ushort[] { 40, 30, 20, 10 }), "after's blue is its 4th band");
        });
    }

    [Test]
    public void ThreeUnnamedBandsAreRedGreenBlue()
    {
        var ids = SpectralBands.Identify([null, null, null])!;
        Assert.That(ids[SpectralBand.Blue], Is.EqualTo(2));
    }

    [Test]
    public void NoDataInEitherDateIsNeverValid()
    {
        using var dir = new TempDir();
        string before = Write(dir, "b.tif", 16, 16, Gt(0, 16), (k, c, r) => c == 3 ? 0 : 500, nodata: 0);
        string after = Write(dir, "a.tif", 16, 16, Gt(0, 16), (k, c, r) => r == 5 && k == 2 ? 65535 : 600, nodata: 65535);
        using var pair = ScenePair.Open(before, after);
        var (b, a, v) = (new ushort[4 * 256], new ushort[4 * 256], new byte[256]);
        pair.Read(pair.Grid.Bounds, b, a, v);
        Assert.Multiple(() =>
        {
            Assert.That(v[5 * 16 + 3], Is.Zero);
            Assert.That(v[0 * 16 + 3], Is.Zero);
            Assert.That(v[5 * 16 + 8], Is.Zero);
            Assert.That(v.Count(x => x == 0), Is.EqualTo(16 + 16 - 1));
        });
    }

    [Test]
    public void DifferentCrsNamesBothFiles()
    {
        using var dir = new TempDir();
        string before = Write(dir, "b.tif", 16, 16, Gt(0, 16), (k, c, r) => 1);
        string after = Write(dir, "a.tif", 16, 16, Gt(0, 16), (k, c, r) => 1, crs: new Crs(32650));
        var e = Assert.Throws<ChangeDetectionException>(() => ScenePair.Open(before, after));
        Assert.That(e!.Message, Does.Contain("b.tif").And.Contain("a.tif").And.Contain("EPSG:4527").And.Contain("EPSG:32650"));
    }

    [Test]
    public void DisjointFootprintsAreAClearError()
    {
        using var dir = new TempDir();
        string before = Write(dir, "b.tif", 16, 16, Gt(0, 16), (k, c, r) => 1);
        string after = Write(dir, "a.tif", 16, 16, Gt(100, 16), (k, c, r) => 1);
        var e = Assert.Throws<ChangeDetectionException>(() => ScenePair.Open(before, after));
        Assert.That(e!.Message, Does.Contain("do not overlap"));
    }

    [Test]
    public void RasterWithoutGeoreferencingIsRefused()
    {
        string bad = Path.Combine(SharedData.RequireDir("geotiff"), "bad_no_georeference.tif");
        var e = Assert.Throws<ChangeDetectionException>(() => ScenePair.Open(bad, bad));
        Assert.That(e!.Message, Does.Contain("bad_no_georeference.tif").And.Contain("no georeferencing"));
    }

    [Test]
    public void AbuDhabiAfterImageIsResampledOntoTheBeforeGrid()
    {
        string dir = SharedData.RequireDir(Path.Combine("real", "oscd", "abudhabi"));
        using var pair = ScenePair.Open(Path.Combine(dir, "before.tif"), Path.Combine(dir, "after.tif"));
        var win = new PixelWindow(100, 100, 64, 64);
        var (b, a, v) = (new ushort[4 * 4096], new ushort[4 * 4096], new byte[4096]);
        pair.Read(win, b, a, v);
        Assert.Multiple(() =>
        {
            Assert.That(pair.AfterResampled, Is.True);
            Assert.That(pair.Bands, Has.Count.EqualTo(4));
            Assert.That(pair.Grid.Crs.Epsg, Is.EqualTo(4326));
            // Same place, different dates: the two images correlate strongly band by band.
            double corr = Correlation(b.AsSpan(0, 4096), a.AsSpan(0, 4096));
            Assert.That(corr, Is.GreaterThan(0.5));
        });
    }

    private static double Correlation(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y)
    {
        double mx = 0, my = 0;
        for (int i = 0; i < x.Length; i++) { mx += x[i]; my += y[i]; }
        mx /= x.Length; my /= y.Length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
