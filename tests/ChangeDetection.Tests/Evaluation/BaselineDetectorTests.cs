using ChangeDetection.Evaluation;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tests.Raster;

namespace ChangeDetection.Tests.Evaluation;

[TestFixture]
public class BaselineDetectorTests
{
    private static readonly GeoTransform Gt = new(500000, 1, 0, 3800000, 0, -1);

    private static byte[] ReadMask(string path)
    {
        using var reader = GeoTiffReader.Open(path);
        return reader.ReadBand<byte>(0);
    }

    [Test]
    public void OtsuIsScikitImagesOnAHandComputedHistogram()
    {
        // Scores 0, 0, 1, 4 over [0, 4] in 256 bins: bins 0, 64 and 255 (centres 0.0078125, 1.0078125,
        // 3.9921875). Splitting after bin 0 gives 2·2·(0.0078125 − 2.5)² = 24.8; after bin 64,
        // 3·1·(0.3411458 − 3.9921875)² = 40.0: the threshold is the centre of bin 64, so 1 is not change.
        var counts = new long[BaselineDetector.Bins];
        counts[0] = 2;
        counts[64] = 1;
        counts[255] = 1;
        Assert.Multiple(() =>
        {
            Assert.That(BaselineDetector.BinOf(0, 0, 4, 256), Is.EqualTo(0));
            Assert.That(BaselineDetector.BinOf(1, 0, 4, 256), Is.EqualTo(64), "a score on an edge opens the next bin");
            Assert.That(BaselineDetector.BinOf(4, 0, 4, 256), Is.EqualTo(255), "the maximum is in the last bin");
            Assert.That(BaselineDetector.OtsuThreshold(counts, 0, 4), Is.EqualTo(1.0078125).Within(1e-12));
            Assert.That(BaselineDetector.OtsuThreshold(new long[256], 3, 3), Is.EqualTo(3), "all scores equal: nothing above");
        });
    }

    /// <summary>
    /// A 16 × 16 checkerboard (100/110 in every band) where a 4 × 4 block and a lone pixel are 200 brighter
    /// before, and another block and lone pixel (on the same colours) 200 brighter after, and one pixel has no data before. Both
    /// dates then have the same mean m and std s per band, so by hand: an unchanged pixel scores 0, a changed
    /// one sqrt(4·(200/s)²) = 400/s; Otsu over [0, 400/s] splits after bin 0, whose centre (400/s)/512 is
    /// the threshold; the 3 × 3 opening keeps both blocks and drops both lone pixels; nodata stays 255.
    /// </summary>
    [Test]
    public void ZScoreOtsuAndOpeningGiveTheHandComputedMask()
    {
        const int size = 16;
        static bool BlockBefore(int c, int r) => c is >= 2 and <= 5 && r is >= 2 and <= 5;
        static bool BlockAfter(int c, int r) => c is >= 9 and <= 12 && r is >= 8 and <= 11;
        static bool LoneBefore(int c, int r) => c == 2 && r == 12;
        static bool LoneAfter(int c, int r) => c == 13 && r == 3;
        static bool Hole(int c, int r) => c == 0 && r == 15;
        static int Checker(int c, int r) => 100 + (c + r) % 2 * 10;
        using var dir = new TempDir();
        string before = ScenePairTests.Write(dir, "before.tif", size, size, Gt,
            (k, c, r) => Hole(c, r) ? 0 : Checker(c, r) + (BlockBefore(c, r) || LoneBefore(c, r) ? 200 : 0), nodata: 0);
        string after = ScenePairTests.Write(dir, "after.tif", size, size, Gt,
            (k, c, r) => Checker(c, r) + (BlockAfter(c, r) || LoneAfter(c, r) ? 200 : 0));

        // The std of one date (both have the same values, moved): population std over the valid pixels.
        var values = (from r in Enumerable.Range(0, size) from c in Enumerable.Range(0, size) where !Hole(c, r)
                      select Checker(c, r) + (BlockBefore(c, r) || LoneBefore(c, r) ? 200.0 : 0)).ToList();
        double mean = values.Average();
        double std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        double changedScore = Math.Sqrt(4 * Math.Pow(200 / std, 2));

        using var pair = ScenePair.Open(before, after);
        var result = BaselineDetector.Detect(pair, dir.File("mask.tif"), tileSize: 16);
        var mask = ReadMask(result.MaskPath);
        Assert.Multiple(() =>
        {
            Assert.That(result.ValidPixels, Is.EqualTo(size * size - 1));
            Assert.That(result.MinScore, Is.EqualTo(0).Within(1e-12));
            Assert.That(result.MaxScore, Is.EqualTo(changedScore).Within(1e-9));
            Assert.That(result.Threshold, Is.EqualTo(changedScore / 512).Within(1e-9));
            for (int r = 0; r < size; r++)
                for (int c = 0; c < size; c++)
                    Assert.That(mask[r * size + c], Is.EqualTo(Hole(c, r) ? 255 : BlockBefore(c, r) || BlockAfter(c, r) ? 1 : 0), $"pixel ({c},{r})");
            Assert.That(result.ChangedPixels, Is.EqualTo(32));
        });
    }

    [Test]
    public void TheTileSizeNeverChangesTheMask()
    {
        using var dir = new TempDir();
        // Noise with blobs of change and scattered nodata: seams cut through blobs and specks.
        static int Noise(int k, int c, int r, int salt) => (int)((uint)((c * 73856093) ^ (r * 19349663) ^ (k * 83492791) ^ salt) % 37);
        static bool Blob(int c, int r) => (c / 9 + r / 7) % 4 == 0;
        string before = ScenePairTests.Write(dir, "before.tif", 100, 90, Gt, (k, c, r) => (c * 7 + r * 3) % 50 == 0 ? 0 : 300 + 20 * k + Noise(k, c, r, 1), nodata: 0);
        string after = ScenePairTests.Write(dir, "after.tif", 100, 90, Gt, (k, c, r) => 320 + 10 * k + Noise(k, c, r, 2) + (Blob(c, r) ? 40 + k * 5 : 0));
        using var pair = ScenePair.Open(before, after);
        var whole = BaselineDetector.Detect(pair, dir.File("whole.tif"), tileSize: 1024);
        var reference = ReadMask(whole.MaskPath);
        Assert.That(whole.ChangedPixels, Is.GreaterThan(0).And.LessThan(whole.ValidPixels), "the scene has change and no change");
        foreach (int tile in new[] { 16, 32, 48 })
        {
            var tiled = BaselineDetector.Detect(pair, dir.File($"tile{tile}.tif"), tile);
            Assert.Multiple(() =>
            {
                Assert.That(tiled.Threshold, Is.EqualTo(whole.Threshold), $"tile {tile}");
                Assert.That(ReadMask(tiled.MaskPath), Is.EqualTo(reference), $"tile {tile}");
            });
        }
    }
}
