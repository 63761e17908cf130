using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class RadiometricNormalizationTests
{
    [Test]
    public void MomentsByHand()
    {
        // Samples 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population variance 4, std 2.
        var stats = new PairStatistics(1);
        ushort[] v = [2, 4, 4, 4, 5, 5, 7, 9];
        stats.Add(v, v, v.Length, v.Length);
        var m = stats.Before(0);
        Assert.Multiple(() =>
        {
            Assert.That(m.Count, Is.EqualTo(8));
            Assert.That(m.Sum, Is.EqualTo(40));
            Assert.That(m.SumOfSquares, Is.EqualTo((UInt128)232));
            Assert.That(m.Mean, Is.EqualTo(5.0));
            Assert.That(m.Variance, Is.EqualTo(4.0));
            Assert.That(m.StandardDeviation, Is.EqualTo(2.0));
        });
    }

    [Test]
    public void RecoversAKnownLinearRadiometricChange()
    {
        // after = (before − 100) / 2 + 300 exactly (before even), i.e. before = 2·after − 500:
        // gain 2, offset −500, scale 1/σ_before.
        var random = new Random(5);
        const int pixels = 10_000, bands = 3;
        var before = new ushort[bands * pixels];
        var after = new ushort[bands * pixels];
        for (int i = 0; i < before.Length; i++)
        {
            before[i] = (ushort)(2 * random.Next(100, 2000));
            after[i] = (ushort)((before[i] - 100) / 2 + 300);
        }
        var stats = new PairStatistics(bands);
        stats.Add(before, after, pixels, pixels);
        var norm = RadiometricNormalization.MeanStdMatching(stats);
        for (int b = 0; b < bands; b++)
        {
            Assert.That(norm[b].Gain, Is.EqualTo(2f).Within(1e-6f), $"band {b} gain");
            Assert.That(norm[b].Offset, Is.EqualTo(-500f).Within(1e-3f), $"band {b} offset");
            Assert.That(norm[b].Scale, Is.EqualTo((float)(1 / stats.Before(b).StandardDeviation)), $"band {b} scale");
        }
        // And the kernel then sees no change anywhere.
        var scores = new float[pixels];
        ChangeKernel.Compute(before, after, pixels, new ChangeKernelOptions(norm), scores);
        Assert.That(scores.Max(), Is.LessThan(1e-3f));
    }

    [Test]
    public void SkipsPixelsWithNoDataInEitherDate()
    {
        // 3 pixels × 2 bands. Pixel 0: before nodata in band 1; pixel 1: after nodata in band 0; pixel 2 valid.
        var stats = new PairStatistics(2, beforeNoData: 0, afterNoData: 9);
        ushort[] before = [10, 20, 30, /**/ 0, 40, 50];
        ushort[] after = [11, 9, 31, /**/ 12, 41, 51];
        stats.Add(before, after, 3, 3);
        Assert.Multiple(() =>
        {
            Assert.That(stats.Count, Is.EqualTo(1));
            Assert.That(stats.Before(0).Sum, Is.EqualTo(30));
            Assert.That(stats.Before(1).Sum, Is.EqualTo(50));
            Assert.That(stats.After(0).Sum, Is.EqualTo(31));
            Assert.That(stats.After(1).Sum, Is.EqualTo(51));
        });
    }

    [Test]
    public void WindowsInAnyOrderAndMergedAccumulatorsAgree()
    {
        var random = new Random(9);
        const int pixels = 5000, bands = 4;
        var before = new ushort[bands * pixels];
        var after = new ushort[bands * pixels];
        for (int i = 0; i < before.Length; i++) { before[i] = (ushort)random.Next(65536); after[i] = (ushort)random.Next(65536); }

        var whole = new PairStatistics(bands, 0, 0);
        whole.Add(before, after, pixels, pixels);

        // Rows of 100 pixels, added to two accumulators in reverse order, then merged.
        var first = new PairStatistics(bands, 0, 0);
        var second = new PairStatistics(bands, 0, 0);
        for (int x = pixels - 100; x >= 0; x -= 100)
        {
            var target = x % 200 == 0 ? first : second;
            target.Add(before.AsSpan(x), after.AsSpan(x), 100, pixels);
        }
        first.Merge(second);
        for (int b = 0; b < bands; b++)
        {
            Assert.That(first.Before(b), Is.EqualTo(whole.Before(b)), $"before band {b}");
            Assert.That(first.After(b), Is.EqualTo(whole.After(b)), $"after band {b}");
        }
    }

    [Test]
    public void FlatBandsUseTheOneDnFloor()
    {
        // Constant before and after bands: σ = 0 in both, floored to 1 → gain 1, scale 1, offset = μb − μa.
        var n = RadiometricNormalization.MeanStdMatching(new BandMoments(4, 4 * 100, 4 * 100 * 100), new BandMoments(4, 4 * 70, 4 * 70 * 70));
        Assert.That(n, Is.EqualTo(new BandNormalization(1f, 30f, 1f)));
    }

    [Test]
    public void NoValidPixelIsAClearError()
    {
        var stats = new PairStatistics(3, 0, 0);
        stats.Add(new ushort[3], new ushort[3], 1, 1);
        Assert.That(() => RadiometricNormalization.MeanStdMatching(stats),
            Throws.InvalidOperationException.With.Message.Contains("No pixel is valid in both dates"));
    }
}
