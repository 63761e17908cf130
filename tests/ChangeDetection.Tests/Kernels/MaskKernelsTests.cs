using ChangeDetection.Detection;
using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class MaskKernelsTests
{
    private const byte Valid = TileScoreStore.Valid, Greening = TileScoreStore.Greening, Vegetated = TileScoreStore.Vegetated;

    /// <summary>Scores around the threshold (equal to it, just above and below, NaN, ±0, infinities) with random flags.</summary>
    private static (float[] Scores, byte[] Flags) RandomScores(int n, float threshold, int seed)
    {
        var random = new Random(seed);
        var scores = new float[n];
        var flags = new byte[n];
        float[] special = [threshold, MathF.BitIncrement(threshold), MathF.BitDecrement(threshold), float.NaN, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity];
        for (int i = 0; i < n; i++)
        {
            scores[i] = random.Next(4) == 0 ? special[random.Next(special.Length)] : (float)(random.NextDouble() * 2 * threshold);
            flags[i] = (byte)random.Next(8);
        }
        return (scores, flags);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(31)]
    [TestCase(32)]
    [TestCase(65)]
    [TestCase(1031)]
    public void Threshold_vector_path_matches_the_scalar_twin_and_the_rule(int n)
    {
        const float threshold = 3.25f;
        var (scores, flags) = RandomScores(n, threshold, n + 7);
        var scalar = new byte[n];
        var vector = new byte[n];
        MaskKernels.Threshold(scores, flags, threshold, Valid, Vegetated, scalar, vectors: false);
        MaskKernels.Threshold(scores, flags, threshold, Valid, Vegetated, vector, vectors: true);
        Assert.That(vector, Is.EqualTo(scalar));
        for (int i = 0; i < n; i++)
        {
            byte expected = (flags[i] & Valid) == 0 ? Morphology.NoData
                : scores[i] > threshold && (flags[i] & Vegetated) == 0 ? Morphology.Change : Morphology.Background;
            Assert.That(scalar[i], Is.EqualTo(expected), $"pixel {i}: score {scores[i]}, flags {flags[i]}");
        }
        if (n > 100) Assert.That(scalar, Does.Contain(Morphology.Change).And.Contain(Morphology.Background).And.Contain(Morphology.NoData));
    }

    [TestCase(1)]
    [TestCase(33)]
    [TestCase(64)]
    [TestCase(1029)]
    public void Vegetation_vector_path_matches_the_scalar_twin_and_the_rules(int n)
    {
        var random = new Random(n);
        byte[] values = [Morphology.Background, Morphology.Change, Morphology.ChangeVegetationGain, Morphology.NoData, 7];
        var mask = Enumerable.Range(0, n).Select(_ => values[random.Next(values.Length)]).ToArray();
        var flags = Enumerable.Range(0, n).Select(_ => (byte)random.Next(8)).ToArray();
        var scalar = new byte[n];
        var vector = new byte[n];
        MaskKernels.Vegetation(mask, flags, Vegetated, Greening, scalar, vectors: false);
        MaskKernels.Vegetation(mask, flags, Vegetated, Greening, vector, vectors: true);
        Assert.That(vector, Is.EqualTo(scalar));
        // The rules as the mask pass applied them before: VegetationGain.Clear, then VegetationGain.Apply, in place.
        var reference = (byte[])mask.Clone();
        VegetationGain.Clear(reference, flags, Vegetated);
        VegetationGain.Apply(reference, flags, Greening);
        Assert.That(scalar, Is.EqualTo(reference));
        // In place, as a caller may.
        MaskKernels.Vegetation(mask, flags, Vegetated, Greening, mask, vectors: true);
        Assert.That(mask, Is.EqualTo(reference));
    }
}
