using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class MorphologyTests
{
    private const byte C = Morphology.Change, N = Morphology.NoData;

    /// <summary>
    /// A mask with a bit of everything: blobs of change, salt-and-pepper specks, holes, nodata
    /// rectangles (clouds) and scattered nodata, with change and nodata touching the image border.
    /// </summary>
    private static byte[] RandomMask(int width, int height, int seed)
    {
        var random = new Random(seed);
        var mask = new byte[width * height];
        for (int blob = 0; blob < width * height / 2000; blob++)
        {
            int cx = random.Next(-10, width + 10), cy = random.Next(-10, height + 10), rx = random.Next(2, 25), ry = random.Next(2, 25);
            for (int y = Math.Max(0, cy - ry); y < Math.Min(height, cy + ry); y++)
            for (int x = Math.Max(0, cx - rx); x < Math.Min(width, cx + rx); x++)
                if ((x - cx) * (x - cx) * ry * ry + (y - cy) * (y - cy) * rx * rx <= rx * rx * ry * ry) mask[y * width + x] = C;
        }
        for (int cloud = 0; cloud < width * height / 40000 + 1; cloud++)
        {
            int x0 = random.Next(-5, width), y0 = random.Next(-5, height), w = random.Next(3, 40), h = random.Next(3, 40);
            for (int y = Math.Max(0, y0); y < Math.Min(height, y0 + h); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(width, x0 + w); x++) mask[y * width + x] = N;
        }
        for (int i = 0; i < mask.Length; i++)
        {
            int r = random.Next(1000);
            if (r < 40) mask[i] = mask[i] == C ? Morphology.Background : C;   // specks and holes
            else if (r < 45) mask[i] = N;
        }
        return mask;
    }

    /// <summary>Brute force over the whole (2r+1)² window, with the documented conventions.</summary>
    private static byte[] Reference(byte[] mask, int width, int height, int r, MorphologyOperation op)
    {
        var current = mask.Select(v => v == C ? (byte)1 : (byte)0).ToArray();
        bool[] steps = op switch
        {
            MorphologyOperation.Open => [false, true],
            MorphologyOperation.Close => [true, false],
            _ => [false, true, true, false],
        };
        foreach (bool dilate in steps)
        {
            var next = new byte[current.Length];
            for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                bool any = false, all = true;
                for (int v = Math.Max(0, y - r); v <= Math.Min(height - 1, y + r); v++)
                for (int u = Math.Max(0, x - r); u <= Math.Min(width - 1, x + r); u++)
                {
                    any |= current[v * width + u] == 1;
                    all &= current[v * width + u] == 1;
                }
                next[y * width + x] = (byte)((dilate ? any : all) ? 1 : 0);
            }
            current = next;
        }
        for (int i = 0; i < mask.Length; i++) if (mask[i] == N) current[i] = N;
        return current;
    }

    [Test]
    public void SeparableRunningCountsEqualBruteForce(
        [Values] MorphologyOperation op, [Values(0, 1, 2, 3, 7)] int radius)
    {
        const int width = 97, height = 61;
        var mask = RandomMask(width, height, 100 + radius);
        var result = new byte[mask.Length];
        new MorphologyFilter(op, radius).Apply(mask, width, height, result);
        Assert.That(result, Is.EqualTo(Reference(mask, width, height, radius, op)));
    }

    /// <summary>
    /// The min/max passes over shifted rows (vectors, r ≤ 4) against the running counts (the scalar twin) and the brute
    /// force, on widths around every vector length's remainder, heights below and above the window, and r = 5 (counts
    /// on both paths).
    /// </summary>
    [Test]
    public void VectorMinMaxEqualsTheRunningCounts([Values] MorphologyOperation op, [Values(1, 2, 4, 5)] int radius)
    {
        foreach (var (width, height) in new[] { (1, 1), (31, 3), (32, 9), (33, 2), (64, 17), (65, 40), (130, 11) })
        {
            var mask = RandomMask(width, height, width * 7 + height + radius);
            var scalar = new byte[mask.Length];
            var vector = new byte[mask.Length];
            var filter = new MorphologyFilter(op, radius);
            filter.Apply(mask, width, height, scalar, vectors: false);
            filter.Apply(mask, width, height, vector, vectors: true);
            Assert.Multiple(() =>
            {
                Assert.That(scalar, Is.EqualTo(Reference(mask, width, height, radius, op)), $"{width}×{height}");
                Assert.That(vector, Is.EqualTo(scalar), $"{width}×{height}");
            });
        }
    }

    [Test]
    public void TiledEqualsWholeImage(
        [Values] MorphologyOperation op, [Values(1, 2, 3)] int radius, [Values(64, 37)] int tileSize)
    {
        // 700 × 500 is not a multiple of either tile size, so edge tiles are partial too.
        const int width = 700, height = 500;
        var mask = RandomMask(width, height, 7 * radius);
        var filter = new MorphologyFilter(op, radius);
        var whole = new byte[mask.Length];
        var tiled = new byte[mask.Length];
        filter.ApplyTiled(mask, width, height, 4096, whole);
        filter.ApplyTiled(mask, width, height, tileSize, tiled);
        Assert.That(tiled, Is.EqualTo(whole));
        // The tile-4096 run is one tile holding the whole image: the plain whole-image filter.
        var direct = new byte[mask.Length];
        filter.Apply(mask, width, height, direct);
        Assert.That(whole, Is.EqualTo(direct));
        // And the mask was really changed, so the comparison means something.
        Assert.That(whole, Is.Not.EqualTo(mask));
    }

    [Test]
    public void HaloSmallerThanRequiredChangesTheResult()
    {
        // Open-then-close needs 4r; with only 2r the tile seams show.
        const int width = 700, height = 500, radius = 2;
        var mask = RandomMask(width, height, 42);
        var filter = new MorphologyFilter(MorphologyOperation.OpenThenClose, radius);
        Assert.That(filter.Halo, Is.EqualTo(4 * radius));
        var whole = new byte[mask.Length];
        var shortHalo = new byte[mask.Length];
        filter.Apply(mask, width, height, whole);
        filter.ApplyTiled(mask, width, height, 64, 2 * radius, shortHalo);
        Assert.That(shortHalo, Is.Not.EqualTo(whole));
    }

    [Test]
    public void HaloIsStepsTimesRadius()
    {
        Assert.Multiple(() =>
        {
            Assert.That(MorphologyFilter.HaloFor(MorphologyOperation.Open, 3), Is.EqualTo(6));
            Assert.That(MorphologyFilter.HaloFor(MorphologyOperation.Close, 3), Is.EqualTo(6));
            Assert.That(MorphologyFilter.HaloFor(MorphologyOperation.OpenThenClose, 3), Is.EqualTo(12));
        });
    }

    [Test]
    public void NoDataStaysNoDataAndOpeningShrinksClosingGrows([Values(1, 2)] int radius)
    {
        const int width = 200, height = 150;
        var mask = RandomMask(width, height, 5);
        var opened = new byte[mask.Length];
        var closed = new byte[mask.Length];
        Morphology.Open(mask, width, height, radius, opened);
        Morphology.Close(mask, width, height, radius, closed);
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == N)
            {
                Assert.That((opened[i], closed[i]), Is.EqualTo((N, N)), $"nodata pixel {i}");
                continue;
            }
            Assert.That(opened[i] <= (mask[i] == C ? 1 : 0), Is.True, $"opening added change at {i}");
            Assert.That(closed[i] >= (mask[i] == C ? 1 : 0), Is.True, $"closing removed change at {i}");
        }
    }

    [Test]
    public void OpeningRemovesSpecksAndKeepsBlocksUpToTheBorder()
    {
        // 12 × 8, radius 1: a 1-pixel speck disappears; a 3 × 3 block in the corner survives,
        // because the border is neutral rather than background.
        const int width = 12, height = 8;
        var mask = new byte[width * height];
        mask[4 * width + 8] = C;
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) mask[y * width + x] = C;
        var opened = new byte[mask.Length];
        Morphology.Open(mask, width, height, 1, opened);
        Assert.That(opened[4 * width + 8], Is.EqualTo(Morphology.Background), "speck");
        Assert.That(opened.Count(v => v == C), Is.EqualTo(9), "corner block");
    }

    [Test]
    public void ClosingFillsAGapAcrossNoDataWithoutEatingTheEdges()
    {
        // One row: change, a 2-pixel nodata gap, change. Nodata reads as background, so closing
        // (r = 1) joins across it in the intermediate, keeps every change pixel, and leaves the
        // gap as nodata.
        byte[] mask = [0, 0, C, C, C, N, N, C, C, C, 0, 0];
        var closed = new byte[mask.Length];
        Morphology.Close(mask, mask.Length, 1, 1, closed);
        Assert.That(closed, Is.EqualTo(new byte[] { 0, 0, C, C, C, N, N, C, C, C, 0, 0 }));
    }

    [Test]
    public void ClosingReachesTheBorderFromWithinRadius()
    {
        // The documented cost of a neutral border: change within r of the border is joined to it
        // by a closing (the erosion has nothing outside to erode from), as OpenCV's default does.
        byte[] mask = [0, C, C, 0, 0, 0];
        var closed = new byte[mask.Length];
        Morphology.Close(mask, mask.Length, 1, 1, closed);
        Assert.That(closed, Is.EqualTo(new byte[] { C, C, C, 0, 0, 0 }));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        Assert.That(() => new MorphologyFilter(MorphologyOperation.Open, -1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new MorphologyFilter((MorphologyOperation)7, 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Morphology.Open(new byte[10], 4, 3, 1, new byte[12]), Throws.ArgumentException);
        Assert.That(() => new MorphologyFilter(MorphologyOperation.Open, 1).ApplyTiled(new byte[12], 4, 3, 0, new byte[12]), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
