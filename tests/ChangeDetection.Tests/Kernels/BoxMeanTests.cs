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
}
