using ChangeDetection.Geo;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Raster;

/// <summary>
/// <see cref="ScenePair.ReadBands"/>: some bands of a window, as <see cref="ScenePair.Read"/> gives them, without decoding
/// the others' blocks; validity from the bands read only.
/// </summary>
[TestFixture]
public class ScenePairReadBandsTests
{
    private static readonly GeoTransform Gt = new(1000, 1, 0, 2000, 0, -1);
    private const int W = 70, H = 50;

    private static int Value(int k, int c, int r) => 1000 + k * 3000 + (c * 37 + r * 11 + k * 5) % 900;

    private static (ushort[] B, ushort[] A, byte[] V) ReadAll(ScenePair pair, PixelWindow window)
    {
        int n = (int)window.PixelCount, bands = pair.Bands.Count;
        var (b, a, v) = (new ushort[n * bands], new ushort[n * bands], new byte[n]);
        pair.Read(window, b, a, v);
        return (b, a, v);
    }

    private static (ushort[] B, ushort[] A, byte[] V) ReadSome(ScenePair pair, PixelWindow window, int[] bands)
    {
        int n = (int)window.PixelCount;
        var (b, a, v) = (new ushort[n * bands.Length], new ushort[n * bands.Length], new byte[n]);
        pair.ReadBands(window, bands, b, a, v);
        return (b, a, v);
    }

    /// <summary>Any bands in any order, on a window across block edges; also when the after image is resampled (a sub-pixel shift).</summary>
    [TestCase(0.0, new[] { 2, 1, 0 })]
    [TestCase(0.0, new[] { 3, 0 })]
    [TestCase(0.0, new[] { 1 })]
    [TestCase(0.5, new[] { 2, 1, 0 })]
    public void TheBandsReadAreThoseOfTheWholeRead(double shift, int[] bands)
    {
        using var dir = new TempDir();
        string before = ScenePairTests.Write(dir, "b.tif", W, H, Gt, Value);
        string after = ScenePairTests.Write(dir, "a.tif", W, H, Gt, (k, c, r) => Value(k, c, r) + 17 * k + c % 5);
        using var pair = ScenePair.Open(before, after);
        pair.ShiftAfter(shift, 0);
        var window = new PixelWindow(9, 13, 40, 30);
        int n = (int)window.PixelCount;
        var all = ReadAll(pair, window);
        var some = ReadSome(pair, window, bands);
        for (int j = 0; j < bands.Length; j++)
        {
            Assert.That(some.B.AsSpan(j * n, n).SequenceEqual(all.B.AsSpan(bands[j] * n, n)), $"before, band {bands[j]}");
            Assert.That(some.A.AsSpan(j * n, n).SequenceEqual(all.A.AsSpan(bands[j] * n, n)), $"after, band {bands[j]}");
        }
        Assert.That(some.V, Is.EqualTo(all.V), "without nodata, the same validity");
        Assert.That(pair.AfterResampled, Is.EqualTo(shift != 0));
    }

    /// <summary>
    /// Three of four 16²-block band planes: three quarters of the blocks of the whole read (both dates, no cache).
    /// </summary>
    [Test]
    public void OnlyTheBandsReadAreDecoded()
    {
        using var dir = new TempDir();
        string before = ScenePairTests.Write(dir, "b.tif", W, H, Gt, Value);
        string after = ScenePairTests.Write(dir, "a.tif", W, H, Gt, Value);
        var window = new PixelWindow(9, 13, 40, 30); // columns 9..48 and rows 13..42: 4 × 3 blocks of 16² a band
        long whole, three;
        using (var pair = ScenePair.Open(before, after, new ScenePairOptions { BlockCacheBytes = 0 }))
        {
            ReadAll(pair, window);
            whole = pair.BlocksDecoded;
        }
        using (var pair = ScenePair.Open(before, after, new ScenePairOptions { BlockCacheBytes = 0 }))
        {
            ReadSome(pair, window, [2, 1, 0]);
            three = pair.BlocksDecoded;
        }
        Assert.That((whole, three), Is.EqualTo((12 * 4 * 2L, 12 * 3 * 2L)));
    }

    /// <summary>
    /// Nodata is a band's own: a pixel whose band 4 (NIR) holds the nodata value is invalid for the whole read but valid
    /// for a read of bands 1–3, which hold data there; nodata in a band read (either date) still makes it invalid.
    /// </summary>
    [Test]
    public void NodataCountsInTheBandsReadOnly()
    {
        using var dir = new TempDir();
        // Band 3 (NIR) is nodata (0) on column 5 of the before date; band 0 is nodata on row 7 of the after date.
        string before = ScenePairTests.Write(dir, "b.tif", W, H, Gt, (k, c, r) => k == 3 && c == 5 ? 0 : Value(k, c, r), nodata: 0);
        string after = ScenePairTests.Write(dir, "a.tif", W, H, Gt, (k, c, r) => k == 0 && r == 7 ? 0 : Value(k, c, r), nodata: 0);
        using var pair = ScenePair.Open(before, after);
        var window = new PixelWindow(0, 0, 20, 20);
        var all = ReadAll(pair, window);
        var rgb = ReadSome(pair, window, [2, 1, 0]);
        var nir = ReadSome(pair, window, [3]);
        for (int r = 0; r < 20; r++)
            for (int c = 0; c < 20; c++)
            {
                int p = r * 20 + c;
                Assert.That(all.V[p], Is.EqualTo(c == 5 || r == 7 ? 0 : 1), $"all bands ({c}, {r})");
                Assert.That(rgb.V[p], Is.EqualTo(r == 7 ? 0 : 1), $"bands 1-3 ({c}, {r})");
                Assert.That(nir.V[p], Is.EqualTo(c == 5 ? 0 : 1), $"band 4 ({c}, {r})");
            }
    }

    [Test]
    public void ABandAskedForTwiceOrOutsideThePairIsRefused()
    {
        using var dir = new TempDir();
        string before = ScenePairTests.Write(dir, "b.tif", W, H, Gt, Value);
        using var pair = ScenePair.Open(before, before);
        var window = new PixelWindow(0, 0, 4, 4);
        Assert.Throws<ArgumentException>(() => ReadSome(pair, window, [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadSome(pair, window, [4]));
    }
}
