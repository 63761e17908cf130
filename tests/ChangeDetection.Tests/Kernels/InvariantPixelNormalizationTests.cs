using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class InvariantPixelNormalizationTests
{
    /// <summary>
    /// Four bands; the after image is before·0.5 + 300 DN plus noise (σ 4 DN), except on 30 % of the
    /// pixels, which changed to unrelated bright values. The fit must still find gain 2, offset −600
    /// (after → before) and the noise spread, where mean/std matching is pulled far off.
    /// </summary>
    [Test]
    public void RecoversGainAndOffsetWhenThirtyPercentChanged()
    {
        var (before, after, changed) = Scene(pixels: 40_000, changedShare: 0.3, seed: 11);
        var (bands, share) = InvariantPixelNormalization.Fit(before, after);
        Assert.Multiple(() =>
        {
            for (int b = 0; b < bands.Length; b++)
            {
                Assert.That(bands[b].Gain, Is.EqualTo(2.0).Within(0.02), $"band {b} gain");
                Assert.That(bands[b].Offset, Is.EqualTo(-600.0).Within(15), $"band {b} offset");
                // Residual spread in before DN: 2 × the after noise (σ 4) plus the before noise (σ 4): √(64 + 16) ≈ 8.9.
                Assert.That(1 / bands[b].Scale, Is.EqualTo(Math.Sqrt(80)).Within(1.0), $"band {b} no-change spread");
            }
            Assert.That(share, Is.EqualTo(0.7).Within(0.05), "share of the sample weighted as unchanged");
        });

        // Mean/std matching on the same sample is pulled off by the changed pixels.
        var stats = new PairStatistics(before.Length);
        int n = before[0].Length;
        var flatB = before.SelectMany(x => x.Select(v => (ushort)v)).ToArray();
        var flatA = after.SelectMany(x => x.Select(v => (ushort)v)).ToArray();
        stats.Add(flatB, flatA, n, n);
        var meanStd = RadiometricNormalization.MeanStdMatching(stats);
        Assert.That(Math.Abs(meanStd[0].Gain - 2.0), Is.GreaterThan(0.2), "mean/std matching is not robust to 30 % change (the point of the fit)");

        // With the fitted normalisation the kernel separates the changed pixels from the rest.
        var options = new ChangeKernelOptions(bands);
        var scores = new float[n];
        ChangeKernel.Compute(flatB, flatA, n, options, scores);
        double unchangedMean = Enumerable.Range(0, n).Where(i => !changed[i]).Average(i => scores[i]);
        double changedMin = Enumerable.Range(0, n).Where(i => changed[i]).Min(i => scores[i]);
        // Unchanged pixels score like χ with 4 degrees of freedom (mean ≈ 1.9).
        Assert.That(unchangedMean, Is.InRange(1.5, 2.3));
        Assert.That(changedMin, Is.GreaterThan(5));
    }

    [Test]
    public void WeightedVarianceShrinkMatchesASimulation()
    {
        // Z ~ χ²_p as a sum of p squared standard normals; weight P(χ²_p > Z); the weighted mean of
        // one component's square over its plain mean (1) is the shrink factor.
        var random = new Random(7);
        foreach (int p in new[] { 3, 4, 6 })
        {
            var chi = new MathNet.Numerics.Distributions.ChiSquared(p);
            double sw = 0, swd = 0;
            for (int i = 0; i < 200_000; i++)
            {
                double z = 0, first = 0;
                for (int k = 0; k < p; k++)
                {
                    double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                    z += g * g;
                    if (k == 0) first = g * g;
                }
                double w = 1 - chi.CumulativeDistribution(z);
                sw += w;
                swd += w * first;
            }
            Assert.That(InvariantPixelNormalization.WeightedVarianceShrink(p), Is.EqualTo(swd / sw).Within(0.01), $"p = {p}");
            Assert.That(InvariantPixelNormalization.WeightedVarianceShrink(p), Is.InRange(0.2, 0.9), $"p = {p}: weighting must shrink the variance");
        }
    }

    [Test]
    public void ClosedFormChiSquaredTailMatchesTheGeneralRoutine()
    {
        foreach (int k in new[] { 1, 2, 3, 4, 5, 6, 7, 8 })
        {
            var chi = new MathNet.Numerics.Distributions.ChiSquared(k);
            foreach (double z in new[] { 0.0, 1e-6, 0.01, 0.5, 1, 2.5, 4, 7.8, 12, 25, 60, 200 })
                Assert.That(InvariantPixelNormalization.ChiSquaredSurvival(k, z), Is.EqualTo(1 - chi.CumulativeDistribution(z)).Within(1e-12), $"k = {k}, z = {z}");
        }
    }

    [Test]
    public void UnchangedSceneGivesIdentityAndFullShare()
    {
        var (before, _, _) = Scene(pixels: 5_000, changedShare: 0, seed: 3);
        var (bands, share) = InvariantPixelNormalization.Fit(before, before);
        Assert.Multiple(() =>
        {
            foreach (var b in bands)
            {
                Assert.That(b.Gain, Is.EqualTo(1f).Within(1e-5f));
                Assert.That(b.Offset, Is.EqualTo(0f).Within(1e-2f));
                // Zero residual: the spread is floored at one DN, the quantisation step.
                Assert.That(b.Scale, Is.EqualTo(1f));
            }
            Assert.That(share, Is.EqualTo(1.0).Within(1e-9));
        });
    }

    [Test]
    public void RejectsEmptyAndMismatchedSamples()
    {
        Assert.That(() => InvariantPixelNormalization.Fit([Array.Empty<float>()], [Array.Empty<float>()]), Throws.InvalidOperationException);
        Assert.That(() => InvariantPixelNormalization.Fit([new float[3]], [new float[2]]), Throws.ArgumentException.With.Message.Contains("Band 0"));
        Assert.That(() => InvariantPixelNormalization.Fit([new float[3]], []), Throws.ArgumentException);
    }

    /// <summary>
    /// The fit with several workers (the bands fitted at once, the pixels reweighed in ranges) is the serial loop's, bit for
    /// bit: gains, offsets, scales and the share, for an even and an odd band count (the χ² survival's two closed forms),
    /// on more pixels than one range holds, with one range left short.
    /// </summary>
    [TestCase(4)]
    [TestCase(3)]
    public void WorkersChangeNoBit(int bands)
    {
        var (before, after, _) = Scene(pixels: 150_001, changedShare: 0.2, seed: 5, bands);
        var (referenceBands, referenceShare) = SerialReference(before, after, InvariantPixelNormalization.DefaultIterations);
        Assert.Multiple(() =>
        {
            foreach (int workers in new[] { 1, 2, 3 })
            {
                var (fits, share) = InvariantPixelNormalization.Fit(before, after, workers: workers);
                Assert.That(Bits(fits), Is.EqualTo(Bits(referenceBands)), $"{workers} worker(s): gains, offsets and scales");
                Assert.That(BitConverter.DoubleToInt64Bits(share), Is.EqualTo(BitConverter.DoubleToInt64Bits(referenceShare)), $"{workers} worker(s): share");
            }
        });
        // The sample is one the fit can tell apart: a wrong weighting would not pass unseen.
        Assert.That(referenceShare, Is.EqualTo(0.8).Within(0.05));
    }

    [Test]
    public void RefusesNoWorkers() =>
        Assert.That(() => InvariantPixelNormalization.Fit([new float[3]], [new float[3]], workers: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());

    private static int[] Bits(BandNormalization[] fits) =>
        fits.SelectMany(f => new[] { BitConverter.SingleToInt32Bits(f.Gain), BitConverter.SingleToInt32Bits(f.Offset), BitConverter.SingleToInt32Bits(f.Scale) }).ToArray();

    /// <summary>The fit as one loop computed it before it took workers (band after band, the weights of each pixel summed over the bands in band order).</summary>
    private static (BandNormalization[] Bands, double Share) SerialReference(float[][] before, float[][] after, int iterations)
    {
        int bands = before.Length, n = before[0].Length;
        var weights = new double[n];
        Array.Fill(weights, 1.0);
        var result = new BandNormalization[bands];
        var z = new double[n];
        double share = 1;
        for (int it = 0; it < iterations; it++)
        {
            Array.Clear(z);
            double correction = it == 0 ? 1 : InvariantPixelNormalization.WeightedVarianceShrink(bands);
            for (int b = 0; b < bands; b++)
            {
                result[b] = ReferenceBand(before[b], after[b], weights, correction);
                var (gain, offset, scale) = result[b];
                float[] x = before[b], y = after[b];
                for (int i = 0; i < n; i++)
                {
                    double d = (gain * y[i] + offset - x[i]) * scale;
                    z[i] += d * d;
                }
            }
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                weights[i] = InvariantPixelNormalization.ChiSquaredSurvival(bands, z[i]);
                sum += weights[i];
            }
            if (sum <= 0) break;
            share = Math.Min(1, 2 * sum / n);
        }
        return (result, share);
    }

    private static BandNormalization ReferenceBand(float[] x, float[] y, double[] w, double varianceShrink)
    {
        double sw = 0, sx = 0, sy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sw += w[i];
            sx += w[i] * x[i];
            sy += w[i] * y[i];
        }
        double mx = sx / sw, my = sy / sw, vx = 0, vy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            vx += w[i] * dx * dx;
            vy += w[i] * dy * dy;
        }
        double sdx = Math.Max(Math.Sqrt(vx / sw), RadiometricNormalization.MinStandardDeviation);
        double sdy = Math.Max(Math.Sqrt(vy / sw), RadiometricNormalization.MinStandardDeviation);
        double gain = Math.Min(sdx / sdy, ChangeKernelOptions.MaxGain);
        double offset = Math.Clamp(mx - gain * my, -ChangeKernelOptions.MaxOffset, ChangeKernelOptions.MaxOffset);
        double vd = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = gain * y[i] + offset - x[i];
            vd += w[i] * d * d;
        }
        double sdd = Math.Max(Math.Sqrt(vd / sw / varianceShrink), RadiometricNormalization.MinStandardDeviation);
        return new BandNormalization((float)gain, (float)offset, (float)(1 / sdd));
    }

    private static (float[][] Before, float[][] After, bool[] Changed) Scene(int pixels, double changedShare, int seed, int bands = 4)
    {
        var random = new Random(seed);
        double Noise() => 4 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var before = new float[bands][];
        var after = new float[bands][];
        for (int b = 0; b < bands; b++) { before[b] = new float[pixels]; after[b] = new float[pixels]; }
        var changed = new bool[pixels];
        for (int i = 0; i < pixels; i++)
        {
            changed[i] = random.NextDouble() < changedShare;
            double ground = random.Next(400, 3000);
            for (int b = 0; b < bands; b++)
            {
                double truth = ground + 150 * b;
                before[b][i] = (float)Math.Round(truth + Noise());
                after[b][i] = changed[i]
                    ? random.Next(3500, 6000)
                    : (float)Math.Round(0.5 * truth + 300 + Noise());
            }
        }
        return (before, after, changed);
    }
}
