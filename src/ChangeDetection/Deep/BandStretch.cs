namespace ChangeDetection.Deep;

/// <summary>
/// A fixed linear stretch of one uint16 band (digital numbers) to 0–255: <see cref="Low"/> maps to 0,
/// <see cref="High"/> to 255, values outside are clipped. The limits are computed once per scene and band
/// (<see cref="FromHistogram"/>) and passed to every tile, so a tile's stretch does not depend on its content:
/// per-tile stretching would make the same ground look different in two tiles and invent change at the seams.
/// </summary>
public sealed record BandStretch
{
    /// <summary>A stretch from <paramref name="low"/> (DN → 0) to <paramref name="high"/> (DN → 255); high &gt; low.</summary>
    public BandStretch(double low, double high)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || !(high > low))
            throw new ArgumentException($"a band stretch needs finite limits with high > low (got {low} and {high})");
        Low = low;
        High = high;
    }

    /// <summary>DN that maps to 0.</summary>
    public double Low { get; }

    /// <summary>DN that maps to 255.</summary>
    public double High { get; }

    /// <summary>
    /// Limits at the <paramref name="lowPercent"/> and <paramref name="highPercent"/> percentiles (default 2 % and 98 %)
    /// of a full-resolution DN histogram of one band of the scene (65 536 bins, bin = DN; nodata left out by the caller,
    /// e.g. with <see cref="AddToHistogram"/>). A flat band (both percentiles equal) gets a one-DN-wide stretch.
    /// </summary>
    public static BandStretch FromHistogram(ReadOnlySpan<long> histogram, double lowPercent = 2, double highPercent = 98)
    {
        if (histogram.Length != 65536) throw new ArgumentException($"the histogram must have 65 536 bins, one per DN (got {histogram.Length})");
        if (!(lowPercent >= 0 && lowPercent < highPercent && highPercent <= 100))
            throw new ArgumentException($"percentiles must satisfy 0 ≤ low < high ≤ 100 (got {lowPercent} and {highPercent})");
        long total = 0;
        foreach (var c in histogram)
        {
            if (c < 0) throw new ArgumentException("histogram counts must not be negative");
            total += c;
        }
        if (total == 0) throw new ChangeDetectionException("cannot stretch a band with no valid pixels: the scene's histogram is empty (all nodata?)");
        int low = Percentile(histogram, total, lowPercent);
        int high = Percentile(histogram, total, highPercent);
        return high > low ? new BandStretch(low, high) : new BandStretch(low, low + 1);
    }

    /// <summary>Adds the DNs of <paramref name="band"/> to a 65 536-bin histogram, skipping <paramref name="noData"/>.</summary>
    public static void AddToHistogram(ReadOnlySpan<ushort> band, Span<long> histogram, ushort? noData = null)
    {
        if (histogram.Length != 65536) throw new ArgumentException($"the histogram must have 65 536 bins, one per DN (got {histogram.Length})");
        if (noData is ushort nd)
        {
            foreach (var v in band) if (v != nd) histogram[v]++;
        }
        else
        {
            foreach (var v in band) histogram[v]++;
        }
    }

    /// <summary>Writes <c>clamp((dn − Low) / (High − Low), 0, 1) × 255</c> for each DN.</summary>
    public void Apply(ReadOnlySpan<ushort> dn, Span<float> output)
    {
        if (output.Length < dn.Length) throw new ArgumentException("the output is shorter than the band");
        float scale = (float)(255.0 / (High - Low));
        float low = (float)Low;
        for (int i = 0; i < dn.Length; i++)
            output[i] = Math.Clamp((dn[i] - low) * scale, 0f, 255f);
    }

    // Smallest DN whose cumulative count reaches the percentile (the "lower" definition, exact on a DN histogram).
    private static int Percentile(ReadOnlySpan<long> histogram, long total, double percent)
    {
        double target = percent / 100.0 * total;
        long cumulative = 0;
        for (int dn = 0; dn < histogram.Length; dn++)
        {
            cumulative += histogram[dn];
            if (cumulative > 0 && cumulative >= target) return dn;
        }
        return histogram.Length - 1;
    }
}
