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
}
