using System.Globalization;

namespace ChangeDetection.Kernels;

/// <summary>
/// Global change thresholds from a <see cref="ScoreHistogram"/>, in score units. Convention for
/// every method: a pixel is change when <c>score &gt; threshold</c> (so NaN nodata never is).
/// </summary>
public static class Thresholds
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
        if (bestVariance < 0)
        {
            int only = counts.Length - 1;
            while (counts[only] == 0) only--;
            bestSplit = only;
        }
        return (float)histogram.BinLowerEdge(bestSplit + 1);
    }

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
}

/// <summary>
/// A threshold choice as configured (e.g. in a region file): <c>otsu</c>, <c>percentile:98</c> or
/// <c>fixed:3.5</c>. <see cref="Value"/> is the percent for a percentile and the score for a fixed value.
/// </summary>
public readonly record struct ThresholdRule(ThresholdMethod Method, double Value)
{
    public static ThresholdRule Otsu() => new(ThresholdMethod.Otsu, 0);

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
            "percentile" when hasNumber && number is >= 0 and <= 100 => Percentile(number),
            "fixed" when hasNumber && double.IsFinite(number) => Fixed(number),
            _ => throw new FormatException($"'{text}' is not a threshold rule; use otsu, percentile:P (0–100) or fixed:S."),
        };
    }

    public override string ToString() => Method switch
    {
        ThresholdMethod.Fixed => string.Create(CultureInfo.InvariantCulture, $"fixed:{Value}"),
        ThresholdMethod.Percentile => string.Create(CultureInfo.InvariantCulture, $"percentile:{Value}"),
        _ => "otsu",
    };
}
