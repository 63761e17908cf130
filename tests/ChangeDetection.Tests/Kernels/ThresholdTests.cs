using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class ThresholdTests
{
    private static ScoreHistogram FromCounts(float max, params long[] counts)
    {
        var h = new ScoreHistogram(counts.Length, max);
        double width = max / (double)counts.Length;
        var values = new List<float>();
        for (int k = 0; k < counts.Length; k++)
            for (long i = 0; i < counts[k]; i++) values.Add((float)((k + 0.5) * width));
        h.Add(values.ToArray());
        Assert.That(h.Counts.ToArray(), Is.EqualTo(counts), "test setup: every value in its bin");
        return h;
    }

    [Test]
    public void OtsuByHand()
    {
        // 4 bins of width 1 over [0, 4], centres c = 0.5, 1.5, 2.5, 3.5, counts n = 4, 2, 1, 3 (N = 10).
        // Between-class variance σ² = ω₀ω₁(μ₁ − μ₀)² for each split after bin k:
        //   k = 0: ω₀ = 0.4, μ₀ = 0.5;            ω₁ = 0.6, μ₁ = (3 + 2.5 + 10.5)/6 = 8/3
        //          σ² = 0.24 · (13/6)²  = 0.24 · 4.6944 = 1.1267
        //   k = 1: ω₀ = 0.6, μ₀ = (2 + 3)/6 = 5/6;  ω₁ = 0.4, μ₁ = (2.5 + 10.5)/4 = 3.25
        //          σ² = 0.24 · (29/12)² = 0.24 · 5.8403 = 1.4017   ← largest
        //   k = 2: ω₀ = 0.7, μ₀ = 7.5/7 = 15/14;    ω₁ = 0.3, μ₁ = 3.5
        //          σ² = 0.21 · (17/7)²  = 0.21 · 5.8980 = 1.2386
        // The split is after bin 1, so the threshold is bin 1's upper edge: 2.0.
        var h = FromCounts(4f, 4, 2, 1, 3);
        Assert.That(Thresholds.Otsu(h), Is.EqualTo(2f));
    }

    [Test]
    public void KittlerIllingworthByHand()
    {
        // 4 bins (width 1, indices k as values), counts 4, 2, 1, 3 (N = 10), each class's variance
        // plus the within-bin 1/12. J = P₀ ln v₀ + P₁ ln v₁ − 2(P₀ ln P₀ + P₁ ln P₁) per split:
        //   after 0: P = .4/.6, v₀ = 1/12,            v₁ = (2·1 + 1·4 + 3·9)/6 − (13/6)² + 1/12 = 5.5 − 4.6944 + .0833 = .8889
        //            J = .4·ln .0833 + .6·ln .8889 − 2(.4·ln .4 + .6·ln .6) = −.9940 − .0707 + 1.3460 = .2813
        //   after 1: P = .6/.4, v₀ = 2/6 − (2/6)² + 1/12 = .3056, v₁ = (4 + 27)/4 − (11/4)² + 1/12 = .2708
        //            J = .6·ln .3056 + .4·ln .2708 + 1.3460 = −.7113 − .5226 + 1.3460 = .1121   ← smallest
        //   after 2: P = .7/.3, v₀ = 6/7 − (4/7)² + 1/12 = .6131, v₁ = 1/12
        //            J = .7·ln .6131 + .3·ln .0833 − 2(.7·ln .7 + .3·ln .3) = −.3425 − .7455 + 1.2217 = .1337
        // The split is after bin 1: threshold 2.0 (here the same as Otsu's).
        var h = FromCounts(4f, 4, 2, 1, 3);
        Assert.That(Thresholds.KittlerIllingworth(h), Is.EqualTo(2f));
    }

    /// <summary>
    /// A narrow no-change mode (around 1), real changes (around 6, 10 %) and a small, extreme cloud
    /// mode (around 40, 3 %): Otsu splits off the cloud and misses the changes; Kittler–Illingworth and
    /// so <see cref="Thresholds.Auto"/> end the no-change mode.
    /// </summary>
    [Test]
    public void AutoIsNotDrawnAwayByAnExtremeMode()
    {
        var random = new Random(5);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var scores = new float[100_000];
        for (int i = 0; i < scores.Length; i++)
        {
            int kind = i % 100;
            scores[i] = (float)Math.Max(0, kind < 3 ? 40 + 3 * Gauss() : kind < 13 ? 6 + Gauss() : 1 + 0.3 * Gauss());
        }
        var h = new ScoreHistogram(1024, 60f);
        h.Add(scores);
        float otsu = Thresholds.Otsu(h), ki = Thresholds.KittlerIllingworth(h), auto = Thresholds.Auto(h);
        Assert.Multiple(() =>
        {
            Assert.That(otsu, Is.GreaterThan(9), "Otsu's split lies above the changes (6 ± 1): it is drawn towards the cloud mode");
            Assert.That(ki, Is.InRange(2.0, 4.5), "Kittler–Illingworth ends the no-change mode");
            Assert.That(auto, Is.EqualTo(Math.Min(otsu, ki)));
            Assert.That(ThresholdRule.Parse("auto").Resolve(h), Is.EqualTo(auto));
            Assert.That(ThresholdRule.Parse("KI").Resolve(h), Is.EqualTo(ki));
            Assert.That(ThresholdRule.Auto().ToString(), Is.EqualTo("auto"));
        });
    }

    /// <summary>A fifth of the pixels changed, spread wide: Kittler–Illingworth moves into the tail; Auto keeps Otsu's split.</summary>
    [Test]
    public void AutoKeepsOtsuWhenChangeIsPlentifulAndSpread()
    {
        var random = new Random(9);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var scores = new float[100_000];
        for (int i = 0; i < scores.Length; i++)
            scores[i] = (float)Math.Max(0, i % 5 == 0 ? 4 + 2.5 * Math.Abs(Gauss()) : 1 + 0.5 * Gauss());
        var h = new ScoreHistogram(1024, 20f);
        h.Add(scores);
        float otsu = Thresholds.Otsu(h), ki = Thresholds.KittlerIllingworth(h);
        TestContext.Out.WriteLine($"otsu {otsu}, ki {ki}");
        Assert.That(Thresholds.Auto(h), Is.EqualTo(Math.Min(otsu, ki)));
        Assert.That(Thresholds.Auto(h), Is.InRange(1.5, 4.0));
    }

    [Test]
    public void OtsuSplitsBimodalScores()
    {
        // 80 % unchanged around 1 (σ 0.3), 20 % changed around 6 (σ 0.8): the valley is near 3.
        var random = new Random(17);
        var scores = new float[100_000];
        for (int i = 0; i < scores.Length; i++)
        {
            bool changed = i % 5 == 0;
            double z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            scores[i] = (float)Math.Max(0, changed ? 6 + 0.8 * z : 1 + 0.3 * z);
        }
        var h = new ScoreHistogram(512, 12f);
        h.Add(scores);
        float t = Thresholds.Otsu(h);
        Assert.That(t, Is.InRange(2.0f, 4.0f));
        int wrong = scores.Select((s, i) => (s > t) != (i % 5 == 0)).Count(w => w);
        Assert.That(wrong, Is.LessThan(scores.Length / 1000), "misclassified scores");
    }

    [Test]
    public void OtsuOnOneOccupiedBinIsItsUpperEdge()
    {
        var h = FromCounts(10f, 0, 0, 7, 0, 0);
        Assert.That(Thresholds.Otsu(h), Is.EqualTo(6f));
    }

    [Test]
    public void PercentileInterpolatesInsideABin()
    {
        // 10 bins of width 1, 10 scores in each: p50 is the top of bin 4 (5.0), p25 the middle of bin 2 (2.5).
        var h = FromCounts(10f, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10);
        Assert.Multiple(() =>
        {
            Assert.That(Thresholds.Percentile(h, 50), Is.EqualTo(5f));
            Assert.That(Thresholds.Percentile(h, 25), Is.EqualTo(2.5f));
            Assert.That(Thresholds.Percentile(h, 0), Is.EqualTo(0f));
            Assert.That(Thresholds.Percentile(h, 100), Is.EqualTo(10f));
        });
    }

    [Test]
    public void PercentileSkipsEmptyBins()
    {
        // Scores only in bins 1 and 8: p50 is the top of bin 1 (2.0), p0 its bottom (1.0), p100 the top of bin 8 (9.0).
        var h = FromCounts(10f, 0, 5, 0, 0, 0, 0, 0, 0, 5, 0);
        Assert.Multiple(() =>
        {
            Assert.That(Thresholds.Percentile(h, 50), Is.EqualTo(2f));
            Assert.That(Thresholds.Percentile(h, 0), Is.EqualTo(1f));
            Assert.That(Thresholds.Percentile(h, 100), Is.EqualTo(9f));
        });
    }

    [Test]
    public void EmptyHistogramIsAClearError()
    {
        var h = new ScoreHistogram(16, 4f);
        h.Add([float.NaN, float.NaN]);
        Assert.That(() => Thresholds.Otsu(h), Throws.InvalidOperationException.With.Message.Contains("nodata"));
        Assert.That(() => Thresholds.Percentile(h, 50), Throws.InvalidOperationException);
    }

    [Test]
    public void RulesParseResolveAndPrint()
    {
        var h = FromCounts(10f, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10);
        Assert.Multiple(() =>
        {
            Assert.That(ThresholdRule.Parse("otsu"), Is.EqualTo(ThresholdRule.Otsu()));
            Assert.That(ThresholdRule.Parse("Percentile:25").Resolve(h), Is.EqualTo(2.5f));
            Assert.That(ThresholdRule.Parse(" fixed:3.25 ").Resolve(null), Is.EqualTo(3.25f));
            Assert.That(ThresholdRule.Percentile(98.5).ToString(), Is.EqualTo("percentile:98.5"));
            Assert.That(() => ThresholdRule.Parse("percentile:101"), Throws.InstanceOf<FormatException>());
            Assert.That(() => ThresholdRule.Parse("median"), Throws.InstanceOf<FormatException>());
        });
    }
}

[TestFixture]
public class ScoreHistogramTests
{
    [Test]
    public void SkipsNoDataAndClampsOutOfRange()
    {
        var h = new ScoreHistogram(4, 2f);   // bins [0, .5), [.5, 1), [1, 1.5), [1.5, 2]
        h.Add([ChangeKernel.NoDataScore, 0f, 0.49f, 0.5f, 1.99f, 2f, 100f, -1f]);
        Assert.Multiple(() =>
        {
            Assert.That(h.Counts.ToArray(), Is.EqualTo(new long[] { 3, 1, 0, 3 }));
            Assert.That(h.Total, Is.EqualTo(7));
            Assert.That(h.AboveMax, Is.EqualTo(2));
        });
    }

    [Test]
    public void MergingTilesEqualsAddingEverything()
    {
        var random = new Random(23);
        var scores = new float[10_000];
        for (int i = 0; i < scores.Length; i++) scores[i] = i % 37 == 0 ? float.NaN : (float)(random.NextDouble() * 12);
        var whole = new ScoreHistogram(100, 10f);
        whole.Add(scores);
        var merged = new ScoreHistogram(100, 10f);
        foreach (var chunk in scores.Chunk(777).Reverse())
        {
            var tile = new ScoreHistogram(100, 10f);
            tile.Add(chunk);
            merged.Merge(tile);
        }
        Assert.Multiple(() =>
        {
            Assert.That(merged.Counts.ToArray(), Is.EqualTo(whole.Counts.ToArray()));
            Assert.That(merged.Total, Is.EqualTo(whole.Total));
            Assert.That(merged.AboveMax, Is.EqualTo(whole.AboveMax));
            Assert.That(Thresholds.Otsu(merged), Is.EqualTo(Thresholds.Otsu(whole)));
        });
    }

    [Test]
    public void MergingDifferentBinsIsRejected()
    {
        Assert.That(() => new ScoreHistogram(10, 5f).Merge(new ScoreHistogram(10, 6f)), Throws.ArgumentException);
        Assert.That(() => new ScoreHistogram(10, 5f).Merge(new ScoreHistogram(11, 5f)), Throws.ArgumentException);
    }
}
