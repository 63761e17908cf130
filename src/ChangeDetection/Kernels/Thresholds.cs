using System.Globalization;

namespace ChangeDetection.Kernels;

/// <summary>
/// Global change thresholds from a <see cref="ScoreHistogram"/>, in score units. Convention for
/// every method: a pixel is change when <c>score &gt; threshold</c> (so NaN nodata never is).
/// </summary>
internal static class Thresholds
{
    /// <summary>
    /// Otsu's threshold (1979): the split of the bins that maximises the between-class variance
    /// <c>ω₀ ω₁ (μ₁ − μ₀)²</c>, with bin centres as the class values. Returns the upper edge of the
    /// last background bin. Where several splits tie (empty bins between two modes) the lowest
    /// wins, as in scikit-image's <c>threshold_otsu</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The histogram is empty (every pixel nodata).</exception>
    public static float Otsu(ScoreHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var counts = histogram.Counts;
        long total = RequireData(histogram);

        // Bin indices stand in for bin centres: Otsu's split is unchanged by the affine map
        // centre = (k + ½)·w, and integer class sums keep it exact.
        double sumAll = 0;
        for (int k = 0; k < counts.Length; k++) sumAll += (double)k * counts[k];

        long below = 0;
        double sumBelow = 0, bestVariance = -1;
        int bestSplit = 0;
        for (int k = 0; k < counts.Length - 1; k++)
        {
            below += counts[k];
            sumBelow += (double)k * counts[k];
            long above = total - below;
            if (below == 0 || above == 0) continue;
            double meanBelow = sumBelow / below, meanAbove = (sumAll - sumBelow) / above;
            double diff = meanAbove - meanBelow;
            double variance = (double)below * above * diff * diff;
            if (variance > bestVariance) { bestVariance = variance; bestSplit = k; }
        }
        // A single occupied bin has no split: everything is background, threshold at its top.
        if (bestVariance < 0) bestSplit = LastOccupiedBin(counts);
        return (float)histogram.BinLowerEdge(bestSplit + 1);
    }

    /// <summary>
    /// Kittler and Illingworth's minimum-error threshold (1986): the split that minimises
    /// <c>J = 1 + 2(P₀ ln σ₀ + P₁ ln σ₁) − 2(P₀ ln P₀ + P₁ ln P₁)</c>, i.e. the Bayes boundary of two
    /// Gaussian classes fitted on either side. Unlike Otsu's it lets the classes have different
    /// spreads, so a narrow no-change mode next to a wide, sparse change tail is split where the mode
    /// ends rather than in the middle of the tail. Each class's variance includes the within-bin
    /// variance (w²/12), so a class of one or two bins does not reach σ → 0, the criterion's
    /// degenerate minimum. Returns the upper edge of the last background bin.
    /// </summary>
    /// <exception cref="InvalidOperationException">The histogram is empty (every pixel nodata).</exception>
    public static float KittlerIllingworth(ScoreHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var counts = histogram.Counts;
        long total = RequireData(histogram);
        // In bin units (centre k + ½ ↦ k): the criterion is unchanged by the affine map up to a constant.
        double sumAll = 0, sqAll = 0;
        for (int k = 0; k < counts.Length; k++) { sumAll += (double)k * counts[k]; sqAll += (double)k * k * counts[k]; }
        const double binVariance = 1.0 / 12;
        long below = 0;
        double sumBelow = 0, sqBelow = 0, best = double.PositiveInfinity;
        int bestSplit = -1;
        for (int k = 0; k < counts.Length - 1; k++)
        {
            below += counts[k];
            sumBelow += (double)k * counts[k];
            sqBelow += (double)k * k * counts[k];
            long above = total - below;
            if (below == 0 || above == 0) continue;
            double p0 = (double)below / total, p1 = (double)above / total;
            double m0 = sumBelow / below, m1 = (sumAll - sumBelow) / above;
            double v0 = Math.Max(0, sqBelow / below - m0 * m0) + binVariance;
            double v1 = Math.Max(0, (sqAll - sqBelow) / above - m1 * m1) + binVariance;
            double j = p0 * Math.Log(v0) + p1 * Math.Log(v1) - 2 * (p0 * Math.Log(p0) + p1 * Math.Log(p1));
            if (j < best) { best = j; bestSplit = k; }
        }
        // A single occupied bin has no split: everything is background, threshold at its top.
        if (bestSplit < 0) bestSplit = LastOccupiedBin(counts);
        return (float)histogram.BinLowerEdge(bestSplit + 1);
    }

    private static int LastOccupiedBin(ReadOnlySpan<long> counts)
    {
        int last = counts.Length - 1;
        while (counts[last] == 0) last--;
        return last;
    }

    /// <summary>
    /// The lower of <see cref="Otsu"/> and <see cref="KittlerIllingworth"/>: both look for the end of
    /// the no-change mode, and each fails in its own way on change scores. Otsu's split is pulled far
    /// out by a small, extreme mode (a cloud scores many times a real change), and Kittler–Illingworth
    /// moves into the tail when change is plentiful and spread (a building-change scene with a fifth
    /// of its pixels changed). The lower of the two is the one that was not drawn away.
    /// </summary>
    /// <exception cref="InvalidOperationException">The histogram is empty (every pixel nodata).</exception>
    public static float Auto(ScoreHistogram histogram) => Math.Min(Otsu(histogram), KittlerIllingworth(histogram));

    /// <summary>
    /// The score below which <paramref name="percent"/> % of the counted scores lie, interpolated
    /// linearly inside the bin that holds it (scores are assumed spread evenly across a bin).
    /// </summary>
    /// <param name="histogram">Scores of the whole scene.</param>
    /// <param name="percent">0 to 100.</param>
    /// <exception cref="InvalidOperationException">The histogram is empty (every pixel nodata).</exception>
    public static float Percentile(ScoreHistogram histogram, double percent)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (!(percent >= 0 && percent <= 100))
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "A percentile is between 0 and 100.");
        var counts = histogram.Counts;
        long total = RequireData(histogram);
        double target = percent / 100 * total;
        long cumulative = 0;
        int k = 0;
        for (; k < counts.Length; k++)
        {
            if (counts[k] > 0 && cumulative + counts[k] >= target) break;
            cumulative += counts[k];
        }
        // Rounding can leave target a hair above the total at 100 %: the top of the last occupied bin.
        if (k == counts.Length)
        {
            k = counts.Length - 1;
            while (counts[k] == 0) k--;
            return (float)histogram.BinLowerEdge(k + 1);
        }
        double fraction = Math.Clamp((target - cumulative) / counts[k], 0, 1);
        return (float)(histogram.BinLowerEdge(k) + fraction * histogram.BinWidth);
    }

    private static long RequireData(ScoreHistogram histogram) =>
        histogram.Total > 0 ? histogram.Total
        : throw new InvalidOperationException("The score histogram is empty (every pixel was nodata), so no threshold can be derived from it.");
}

/// <summary>How the global threshold is chosen.</summary>
public enum ThresholdMethod
{
    /// <summary><see cref="Thresholds.Otsu"/>.</summary>
    Otsu,
    /// <summary><see cref="Thresholds.Percentile"/> with <see cref="ThresholdRule.Value"/> as the percent.</summary>
    Percentile,
    /// <summary><see cref="ThresholdRule.Value"/> itself, in score units.</summary>
    Fixed,
    /// <summary><see cref="Thresholds.KittlerIllingworth"/>.</summary>
    KittlerIllingworth,
    /// <summary><see cref="Thresholds.Auto"/>: the lower of Otsu's and Kittler–Illingworth's.</summary>
    Auto,
}

/// <summary>
/// A threshold choice as configured (e.g. in a region file): <c>auto</c>, <c>otsu</c>, <c>ki</c>, <c>percentile:98</c> or
/// <c>fixed:3.5</c>. <see cref="Value"/> is the percent for a percentile and the score for a fixed value.
/// </summary>
public readonly record struct ThresholdRule(ThresholdMethod Method, double Value)
{
    public static ThresholdRule Otsu() => new(ThresholdMethod.Otsu, 0);

    public static ThresholdRule KittlerIllingworth() => new(ThresholdMethod.KittlerIllingworth, 0);

    public static ThresholdRule Auto() => new(ThresholdMethod.Auto, 0);

    public static ThresholdRule Percentile(double percent) =>
        percent is >= 0 and <= 100 ? new(ThresholdMethod.Percentile, percent)
        : throw new ArgumentOutOfRangeException(nameof(percent), percent, "A percentile is between 0 and 100.");

    public static ThresholdRule Fixed(double score) =>
        double.IsFinite(score) ? new(ThresholdMethod.Fixed, score)
        : throw new ArgumentOutOfRangeException(nameof(score), score, "A fixed threshold must be a finite number.");

    /// <summary>The threshold (score units) this rule gives for <paramref name="histogram"/>; a fixed rule ignores it.</summary>
    public float Resolve(ScoreHistogram? histogram) => Method switch
    {
        ThresholdMethod.Fixed => (float)Value,
        ThresholdMethod.Percentile => Thresholds.Percentile(histogram ?? throw new ArgumentNullException(nameof(histogram)), Value),
        ThresholdMethod.KittlerIllingworth => Thresholds.KittlerIllingworth(histogram ?? throw new ArgumentNullException(nameof(histogram))),
        ThresholdMethod.Auto => Thresholds.Auto(histogram ?? throw new ArgumentNullException(nameof(histogram))),
        _ => Thresholds.Otsu(histogram ?? throw new ArgumentNullException(nameof(histogram))),
    };

    /// <summary>Reads <c>otsu</c>, <c>percentile:P</c> or <c>fixed:S</c> (invariant culture, case-insensitive).</summary>
    /// <exception cref="FormatException">Any other text; the message lists the accepted forms.</exception>
    public static ThresholdRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        int colon = t.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? t : t[..colon]).ToLowerInvariant();
        string arg = colon < 0 ? "" : t[(colon + 1)..];
        bool hasNumber = double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out double number);
        return name switch
        {
            "otsu" when colon < 0 => Otsu(),
            "ki" when colon < 0 => KittlerIllingworth(),
            "auto" when colon < 0 => Auto(),
            "percentile" when hasNumber && number is >= 0 and <= 100 => Percentile(number),
            "fixed" when hasNumber && double.IsFinite(number) => Fixed(number),
            _ => throw new FormatException($"'{text}' is not a threshold rule; use auto, otsu, ki, percentile:P (0–100) or fixed:S."),
        };
    }

    public override string ToString() => Method switch
    {
        ThresholdMethod.Fixed => string.Create(CultureInfo.InvariantCulture, $"fixed:{Value}"),
        ThresholdMethod.Percentile => string.Create(CultureInfo.InvariantCulture, $"percentile:{Value}"),
        ThresholdMethod.KittlerIllingworth => "ki",
        ThresholdMethod.Auto => "auto",
        _ => "otsu",
    };
}
