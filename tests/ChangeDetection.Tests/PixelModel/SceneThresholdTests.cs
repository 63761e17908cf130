using ChangeDetection.PixelModel;

namespace ChangeDetection.Tests.PixelModel;

/// <summary>The plug-in threshold of expected F1 (<see cref="ProbabilityHistogram.PlugInThreshold"/>) on synthetic probabilities.</summary>
[TestFixture]
public class SceneThresholdTests
{
    private static ProbabilityHistogram Of(IEnumerable<float> p)
    {
        var h = new ProbabilityHistogram();
        foreach (float q in p) h.Add(q);
        return h;
    }

    /// <summary>
    /// 100 pixels at 0.9 and 900 at 0.05: Σp = 135. Calling the 0.9s change expects F1 2·90 / (100 + 135) = 0.766; calling
    /// every pixel 2·135 / (1000 + 135) = 0.238; so the threshold lies between the two, midway.
    /// </summary>
    [Test]
    public void TwoLevelsGiveTheKnownThreshold()
    {
        var h = Of(Enumerable.Repeat(0.9f, 100).Concat(Enumerable.Repeat(0.05f, 900)));
        var t = h.PlugInThreshold();
        Assert.That(t, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(t!.Value.Threshold, Is.EqualTo((0.9 + 0.05) / 2).Within(1e-6));
            Assert.That(t.Value.ExpectedF1, Is.EqualTo(2 * 90.0 / 235).Within(1e-6));
        });
    }

    /// <summary>
    /// The same model on a scene whose change is faint (probabilities 0.3 against 0.01) calls change down to 0.3, where a
    /// threshold fixed on clearer training scenes (e.g. 0.35) would call nothing: 2·15 / (50 + 24.5) = 0.40 expected.
    /// </summary>
    [Test]
    public void AFaintSceneGetsALowerThreshold()
    {
        var h = Of(Enumerable.Repeat(0.3f, 50).Concat(Enumerable.Repeat(0.01f, 950)));
        var t = h.PlugInThreshold()!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(t.Threshold, Is.EqualTo((0.3 + 0.01) / 2).Within(1e-6));
            Assert.That(t.Threshold, Is.LessThan(0.3));
            Assert.That(t.ExpectedF1, Is.EqualTo(2 * 15.0 / (50 + 24.5)).Within(1e-6));
        });
    }

    /// <summary>
    /// On random step-function probabilities (as isotonic calibration gives) the histogram picks the threshold an exact
    /// sweep over the sorted probabilities picks: the same pixels above it and the same expected F1.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void TheHistogramAgreesWithAnExactSweep(int seed)
    {
        var random = new Random(seed);
        var steps = Enumerable.Range(0, 200).Select(_ => (float)Math.Round(random.NextDouble(), 4)).Distinct().ToArray();
        // Mostly low probabilities, as in a scene where a few per cent changed.
        var p = Enumerable.Range(0, 20_000).Select(_ => steps[(int)(steps.Length * Math.Pow(random.NextDouble(), 6))] * 0.999f).ToArray();
        var (exactThreshold, exactF1) = ExactSweep(p);
        var t = Of(p).PlugInThreshold()!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(t.ExpectedF1, Is.EqualTo(exactF1).Within(1e-6), "the sums are fixed point, to 2⁻³² a pixel");
            Assert.That(p.Count(q => q > t.Threshold), Is.EqualTo(p.Count(q => q > exactThreshold)), "the same pixels are change");
            Assert.That(p.Count(q => q > t.Threshold), Is.InRange(1, p.Length - 1), "some pixels on each side");
        });
    }

    /// <summary>Merging the histograms of parts gives the threshold of the whole, in any order; nodata (NaN) counts nowhere.</summary>
    [Test]
    public void PartsMergeToTheWhole()
    {
        var random = new Random(7);
        var p = Enumerable.Range(0, 5_000).Select(_ => (float)(random.NextDouble() * random.NextDouble())).ToArray();
        var whole = Of(p.Append(float.NaN));
        var a = Of(p.Take(1_234));
        var b = Of(p.Skip(1_234).Append(float.NaN));
        b.Merge(a);
        Assert.Multiple(() =>
        {
            Assert.That(b.PlugInThreshold()!.Value.Threshold, Is.EqualTo(whole.PlugInThreshold()!.Value.Threshold));
            Assert.That(b.PlugInThreshold()!.Value.ExpectedF1, Is.EqualTo(whole.PlugInThreshold()!.Value.ExpectedF1).Within(1e-12));
            Assert.That(whole.Count, Is.EqualTo(p.Length), "NaN is not counted");
        });
    }

    [Test]
    public void NoProbabilityMassGivesNoThreshold()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new ProbabilityHistogram().PlugInThreshold(), Is.Null, "no pixel");
            Assert.That(Of(Enumerable.Repeat(0f, 10)).PlugInThreshold(), Is.Null, "all zero");
            Assert.That(Of([float.NaN]).PlugInThreshold(), Is.Null, "nodata only");
        });
    }

    /// <summary>An independent oracle: sort, sweep every cut between distinct values, F1 = 2·Σ_{top} p / (k + Σ p).</summary>
    private static (double Threshold, double F1) ExactSweep(float[] p)
    {
        var s = p.Select(q => (double)q).OrderByDescending(q => q).ToArray();
        double total = s.Sum(), sum = 0, best = -1, threshold = 0;
        for (int k = 1; k <= s.Length; k++)
        {
            sum += s[k - 1];
            if (k < s.Length && s[k] == s[k - 1]) continue;
            double f1 = 2 * sum / (k + total);
            if (f1 > best) (best, threshold) = (f1, k < s.Length ? (s[k - 1] + s[k]) / 2 : s[k - 1] / 2);
        }
        return (threshold, best);
    }
}
