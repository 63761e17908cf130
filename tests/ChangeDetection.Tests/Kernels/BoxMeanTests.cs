using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class BoxMeanTests
{
    /// <summary>The plain definition: the rounded mean of the valid values in the clipped square, for each valid pixel.</summary>
    private static ushort[] Reference(ushort[] bands, int bandCount, int width, int height, byte[] valid, int radius)
    {
        var result = (ushort[])bands.Clone();
        int n = width * height;
        for (int b = 0; b < bandCount; b++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    if (valid[y * width + x] == 0) continue;
                    long sum = 0, count = 0;
                    for (int yy = Math.Max(0, y - radius); yy <= Math.Min(height - 1, y + radius); yy++)
                        for (int xx = Math.Max(0, x - radius); xx <= Math.Min(width - 1, x + radius); xx++)
                            if (valid[yy * width + xx] != 0)
                            {
                                sum += bands[b * n + yy * width + xx];
                                count++;
                            }
                    result[b * n + y * width + x] = (ushort)Math.Round((double)sum / count);
                }
        return result;
    }

    [TestCase(1, 1, 0)]
    [TestCase(17, 5, 1)]
    [TestCase(37, 23, 2)]
    [TestCase(3, 40, 3)]
    [TestCase(70, 9, 16)]
    public void EqualsThePlainMeanOfTheValidNeighbours(int width, int height, int radius)
    {
        var random = new Random(width * 1000 + height * 10 + radius);
        const int bandCount = 3;
        int n = width * height;
        var valid = new byte[n];
        var bands = new ushort[bandCount * n];
        for (int i = 0; i < n; i++) valid[i] = (byte)(random.Next(5) == 0 ? 0 : 1);
        for (int i = 0; i < bands.Length; i++)
            // Saturated values too: the largest sums must not overflow.
            bands[i] = random.Next(4) == 0 ? ushort.MaxValue : (ushort)random.Next(65536);
        var expected = Reference(bands, bandCount, width, height, valid, radius);
        BoxMean.Apply(bands, bandCount, width, height, valid, radius);
        Assert.That(bands, Is.EqualTo(expected));
    }

    /// <summary>
    /// The vector path (shifted-load row sums, vector column means) against the scalar twin and the plain definition, on
    /// widths around every vector length's remainders, radii with and without the vector row pass, and valid masks that are
    /// mostly valid, mostly invalid and all invalid (every pixel then keeps its value).
    /// </summary>
    [TestCase(1, 0.2)]
    [TestCase(2, 0.2)]
    [TestCase(4, 0.5)]
    [TestCase(5, 0.2)]
    [TestCase(16, 0.9)]
    [TestCase(1, 1.0)]
    public void TheVectorPathEqualsTheScalarTwin(int radius, double invalidShare)
    {
        var random = new Random(radius * 31 + (int)(invalidShare * 10));
        foreach (int width in new[] { 1, 7, 8, 15, 16, 17, 31, 33, 64, 65, 129 })
        {
            int height = 5 + width % 7, n = width * height;
            const int bandCount = 2;
            var valid = new byte[n];
            var bands = new ushort[bandCount * n];
            for (int i = 0; i < n; i++) valid[i] = (byte)(random.NextDouble() < invalidShare ? 0 : 1 + random.Next(3));
            for (int i = 0; i < bands.Length; i++) bands[i] = random.Next(4) == 0 ? ushort.MaxValue : (ushort)random.Next(65536);
            var expected = Reference(bands, bandCount, width, height, valid, radius);
            var scalar = (ushort[])bands.Clone();
            var vector = (ushort[])bands.Clone();
            BoxMean.Apply(scalar, bandCount, width, height, valid, radius, vectors: false);
            BoxMean.Apply(vector, bandCount, width, height, valid, radius, vectors: true);
            Assert.Multiple(() =>
            {
                Assert.That(scalar, Is.EqualTo(expected), $"scalar, width {width}");
                Assert.That(vector, Is.EqualTo(expected), $"vector, width {width}");
            });
        }
    }

    /// <summary>
    /// Ties: a mean halfway between two integers rounds to even, as Math.Round does, on both paths. A row of groups of
    /// three pixels, two valid and one invalid: each valid pixel's square holds its pair alone, so its mean is (a + b) / 2.
    /// </summary>
    [Test]
    public void HalfwayMeansRoundToEvenOnBothPaths()
    {
        var ties = new[] { (1, 2, 2), (2, 3, 2), (65534, 65535, 65534), (0, 1, 0), (7, 8, 8), (10, 10, 10) };
        const int groups = 30, width = 3 * groups;
        var source = new ushort[width];
        var valid = new byte[width];
        var expected = new ushort[width];
        for (int g = 0; g < groups; g++)
        {
            var (a, b, mean) = ties[g % ties.Length];
            (source[3 * g], source[3 * g + 1], source[3 * g + 2]) = ((ushort)a, (ushort)b, 999);
            (valid[3 * g], valid[3 * g + 1]) = (1, 1);
            (expected[3 * g], expected[3 * g + 1], expected[3 * g + 2]) = ((ushort)mean, (ushort)mean, 999);
        }
        foreach (bool vectors in new[] { false, true })
        {
            var bands = (ushort[])source.Clone();
            BoxMean.Apply(bands, 1, width, 1, valid, 1, vectors);
            Assert.That(bands, Is.EqualTo(expected), $"vectors {vectors}");
        }
    }

    /// <summary>
    /// Every radius the options allow (0–16), on widths around each vector length's remainders (55: a Vector512 step, a
    /// Vector256 step and a scalar tail) and heights below, at and above the square: the vector sweep, the scalar twin and
    /// the plain definition agree, for one date, for both, and for both handed over row by row (Sweep).
    /// </summary>
    [Test]
    public void EveryRadiusAndRemainderAgreesWithTheScalarTwinAndTheDefinition()
    {
        var random = new Random(2024);
        for (int radius = 0; radius <= 16; radius++)
            foreach (int width in new[] { 1, 7, 15, 16, 17, 31, 32, 33, 47, 55, 64, 67 })
                foreach (int height in new[] { 1, Math.Max(1, radius), 2 * radius + 3 })
                {
                    int n = width * height;
                    const int bandCount = 2;
                    var valid = new byte[n];
                    var before = new ushort[bandCount * n];
                    var after = new ushort[bandCount * n];
                    // Holes of nodata, and values drawn from a few levels near the extremes: sums at their largest, and ties.
                    for (int i = 0; i < n; i++) valid[i] = (byte)(random.Next(6) == 0 ? 0 : 1);
                    for (int i = 0; i < before.Length; i++)
                    {
                        before[i] = (ushort)(random.Next(2) == 0 ? 65535 - random.Next(2) : random.Next(65536));
                        after[i] = (ushort)random.Next(3);
                    }
                    var expectedBefore = Reference(before, bandCount, width, height, valid, radius);
                    var expectedAfter = Reference(after, bandCount, width, height, valid, radius);
                    string where = $"radius {radius}, {width}×{height}";
                    foreach (bool vectors in new[] { false, true })
                    {
                        var oneBefore = (ushort[])before.Clone();
                        var oneAfter = (ushort[])after.Clone();
                        BoxMean.Apply(oneBefore, bandCount, width, height, valid, radius, vectors);
                        BoxMean.Apply(oneAfter, bandCount, width, height, valid, radius, vectors);
                        var bothBefore = (ushort[])before.Clone();
                        var bothAfter = (ushort[])after.Clone();
                        BoxMean.Apply(bothBefore, bothAfter, bandCount, width, height, valid, radius, vectors);
                        Assert.That(oneBefore, Is.EqualTo(expectedBefore), $"one date, before, vectors {vectors}, {where}");
                        Assert.That(oneAfter, Is.EqualTo(expectedAfter), $"one date, after, vectors {vectors}, {where}");
                        Assert.That(bothBefore, Is.EqualTo(expectedBefore), $"both dates, before, vectors {vectors}, {where}");
                        Assert.That(bothAfter, Is.EqualTo(expectedAfter), $"both dates, after, vectors {vectors}, {where}");
                        // Row by row to a sink: the same means, every row once and in order, and the planes read stay as delivered.
                        var inBefore = (ushort[])before.Clone();
                        var inAfter = (ushort[])after.Clone();
                        var swept = (Before: new ushort[before.Length], After: new ushort[after.Length]);
                        int nextRow = 0;
                        BoxMean.Sweep(inBefore, inAfter, bandCount, width, height, valid, radius, (y, b, a) =>
                        {
                            Assert.That(y, Is.EqualTo(nextRow++), $"row order, vectors {vectors}, {where}");
                            for (int k = 0; k < bandCount; k++)
                            {
                                b.Slice(k * width, width).CopyTo(swept.Before.AsSpan(k * n + y * width, width));
                                a.Slice(k * width, width).CopyTo(swept.After.AsSpan(k * n + y * width, width));
                            }
                        }, vectors);
                        Assert.That(nextRow, Is.EqualTo(height), $"rows handed over, vectors {vectors}, {where}");
                        Assert.That(swept.Before, Is.EqualTo(expectedBefore), $"swept, before, vectors {vectors}, {where}");
                        Assert.That(swept.After, Is.EqualTo(expectedAfter), $"swept, after, vectors {vectors}, {where}");
                        Assert.That(inBefore, Is.EqualTo(before), $"swept, the before planes read, vectors {vectors}, {where}");
                        Assert.That(inAfter, Is.EqualTo(after), $"swept, the after planes read, vectors {vectors}, {where}");
                    }
                }
    }

    /// <summary>
    /// Ties at every even count a 3×3 or 5×5 square can hold: values of two neighbouring levels (0/1 and 65 534/65 535) make
    /// half the means halfway between integers; the vector path's float reciprocal and integer correction round them to even
    /// as the double quotient does, and sums at the top of the range stay exact.
    /// </summary>
    [TestCase(1, 0, 1)]
    [TestCase(1, 65534, 65535)]
    [TestCase(2, 0, 1)]
    [TestCase(2, 65534, 65535)]
    [TestCase(2, 4, 7)]
    public void TiesAtEveryCountRoundToEven(int radius, int low, int high)
    {
        var random = new Random(radius * 7 + low);
        const int width = 61, height = 23, bandCount = 3;
        int n = width * height, ties = 0;
        var valid = new byte[n];
        var bands = new ushort[bandCount * n];
        for (int i = 0; i < n; i++) valid[i] = (byte)(random.Next(3) == 0 ? 0 : 1);
        for (int i = 0; i < bands.Length; i++) bands[i] = (ushort)(random.Next(2) == 0 ? low : high);
        var expected = Reference(bands, bandCount, width, height, valid, radius);
        var vector = (ushort[])bands.Clone();
        BoxMean.Apply(vector, bandCount, width, height, valid, radius, vectors: true);
        // The case must hold ties to be a test of them: count the means that sit halfway (odd sum over an even count).
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                if (valid[y * width + x] == 0) continue;
                long sum = 0, count = 0;
                for (int yy = Math.Max(0, y - radius); yy <= Math.Min(height - 1, y + radius); yy++)
                    for (int xx = Math.Max(0, x - radius); xx <= Math.Min(width - 1, x + radius); xx++)
                        if (valid[yy * width + xx] != 0) { sum += bands[yy * width + xx]; count++; }
                if (2 * sum % (2 * count) == count) ties++;
            }
        Assert.Multiple(() =>
        {
            Assert.That(ties, Is.GreaterThan(20), "ties in band 0");
            Assert.That(vector, Is.EqualTo(expected));
        });
    }

    [Test]
    public void ARadiusBeyondTheSumsRangeIsRefused()
    {
        var bands = new ushort[4];
        var valid = new byte[] { 1, 1, 1, 1 };
        Assert.Throws<ArgumentOutOfRangeException>(() => BoxMean.Apply(bands, 1, 2, 2, valid, BoxMean.MaxRadius + 1));
    }
}
