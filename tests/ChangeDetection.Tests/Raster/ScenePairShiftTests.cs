using ChangeDetection.Geo;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Raster;

/// <summary>The after image read with a co-registration shift.</summary>
[TestFixture]
public class ScenePairShiftTests
{
    private static readonly GeoTransform Gt = new(1000, 1, 0, 2000, 0, -1);

    // A smooth ramp: bilinear resampling of it is exact, so a fractional shift has a hand value.
    private static int Ramp(int k, int c, int r) => 1000 * (k + 1) + 7 * c + 3 * r;

    [Test]
    public void WholePixelShiftReadsTheNeighbourWithoutResampling()
    {
        using var dir = new TempDir();
        string before = ScenePairTests.Write(dir, "b.tif", 40, 30, Gt, Ramp);
        string after = ScenePairTests.Write(dir, "a.tif", 40, 30, Gt, Ramp);
        using var pair = ScenePair.Open(before, after);
        pair.ShiftAfter(2, -1);
        Assert.That(pair.AfterResampled, Is.False, "a whole-pixel shift on the same grid is an offset read");
        var (b, a, valid) = Read(pair, new PixelWindow(5, 5, 10, 10));
        // after(x, y) is read at (x + 2, y − 1): the ramp there is 7·2 − 3·1 = 11 above before(x, y).
        for (int i = 0; i < 100; i++)
            Assert.That(a[i] - b[i], Is.EqualTo(11), $"pixel {i}");
        Assert.That(valid.All(v => v == 1));
    }

    [Test]
    public void FractionalShiftIsBilinearAndCanBeUndone()
    {
        using var dir = new TempDir();
        string before = ScenePairTests.Write(dir, "b.tif", 40, 30, Gt, Ramp);
        string after = ScenePairTests.Write(dir, "a.tif", 40, 30, Gt, Ramp);
        using var pair = ScenePair.Open(before, after);
        pair.ShiftAfter(0.5, 0.25);
        Assert.Multiple(() =>
        {
            Assert.That(pair.AfterResampled, Is.True);
            Assert.That(pair.AfterShiftX, Is.EqualTo(0.5));
            Assert.That(pair.AfterShiftY, Is.EqualTo(0.25));
        });
        var (b, a, _) = Read(pair, new PixelWindow(5, 5, 10, 10));
        // 7·0.5 + 3·0.25 = 4.25, rounded to the nearest DN: 4.
        for (int i = 0; i < 100; i++)
            Assert.That(a[i] - b[i], Is.EqualTo(4), $"pixel {i}");

        pair.ShiftAfter(0, 0);
        Assert.That(pair.AfterResampled, Is.False);
        var (b0, a0, _) = Read(pair, new PixelWindow(5, 5, 10, 10));
        Assert.That(a0, Is.EqualTo(b0));
        Assert.That(() => pair.ShiftAfter(double.NaN, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    private static (ushort[] Before, ushort[] After, byte[] Valid) Read(ScenePair pair, PixelWindow w)
    {
        int n = (int)w.PixelCount, bands = pair.Bands.Count;
        var b = new ushort[n * bands];
        var a = new ushort[n * bands];
        var v = new byte[n];
        pair.Read(w, b, a, v);
        return (b, a, v);
    }
}
