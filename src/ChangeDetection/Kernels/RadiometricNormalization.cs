namespace ChangeDetection.Kernels;

/// <summary>
/// Streamed per-band statistics of a before/after pair, fed window by window (or from sampled
/// windows), for <see cref="RadiometricNormalization"/>. Only pixels valid in both dates count:
/// a pixel is skipped when any band of either date equals that date's nodata value, the same
/// rule as <see cref="ChangeKernel"/>, so both dates are described by the same ground.
/// Not thread-safe: one accumulator per worker, then <see cref="Merge"/>.
/// </summary>
internal sealed class PairStatistics
{
    private readonly BandMoments[] _before;
    private readonly BandMoments[] _after;

    /// <param name="bandCount">Bands per date (1 or more).</param>
    /// <param name="beforeNoData">Nodata sample value of the before image, or null.</param>
    /// <param name="afterNoData">Nodata sample value of the after image, or null.</param>
    public PairStatistics(int bandCount, ushort? beforeNoData = null, ushort? afterNoData = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bandCount, 1);
        _before = new BandMoments[bandCount];
        _after = new BandMoments[bandCount];
        BeforeNoData = beforeNoData;
        AfterNoData = afterNoData;
    }

    public int BandCount => _before.Length;
    public ushort? BeforeNoData { get; }
    public ushort? AfterNoData { get; }

    /// <summary>Pixels counted so far (valid in every band of both dates).</summary>
    public long Count => _before[0].Count;

    public BandMoments Before(int band) => _before[band];
    public BandMoments After(int band) => _after[band];

    /// <summary>
    /// Adds <paramref name="pixels"/> pixels stored band-sequentially (band <c>b</c> starts at
    /// <c>b · bandStride</c>) in both dates, e.g. one row or a whole window with
    /// bandStride = window width × height.
    /// </summary>
    public void Add(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int pixels, int bandStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(bandStride, pixels);
        if (pixels == 0) return;
        long needed = (long)(BandCount - 1) * bandStride + pixels;
        if (before.Length < needed || after.Length < needed)
            throw new ArgumentException($"Rows of {before.Length} and {after.Length} samples are too short for {BandCount} bands of {pixels} pixels at stride {bandStride} ({needed} needed).");

        int bands = BandCount;
        bool checkBefore = BeforeNoData.HasValue, checkAfter = AfterNoData.HasValue;
        ushort beforeNoData = BeforeNoData.GetValueOrDefault(), afterNoData = AfterNoData.GetValueOrDefault();
        // Per call, sums fit in 64 bits: pixels < 2³¹ and a sample² < 2³², so Σx² < 2⁶³.
        Span<long> sumB = stackalloc long[bands], sumA = stackalloc long[bands];
        Span<ulong> sqB = stackalloc ulong[bands], sqA = stackalloc ulong[bands];
        long valid = 0;
        for (int x = 0; x < pixels; x++)
        {
            bool ok = true;
            for (int b = 0, i = x; b < bands; b++, i += bandStride)
                ok &= !(checkBefore && before[i] == beforeNoData) & !(checkAfter && after[i] == afterNoData);
            if (!ok) continue;
            valid++;
            for (int b = 0, i = x; b < bands; b++, i += bandStride)
            {
                ulong vb = before[i], va = after[i];
                sumB[b] += (long)vb;
                sumA[b] += (long)va;
                sqB[b] += vb * vb;
                sqA[b] += va * va;
            }
        }
        for (int b = 0; b < bands; b++)
        {
            _before[b] += new BandMoments(valid, sumB[b], sqB[b]);
            _after[b] += new BandMoments(valid, sumA[b], sqA[b]);
        }
    }

    /// <summary>Adds another accumulator's counts (same band count and nodata values).</summary>
    public void Merge(PairStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.BandCount != BandCount || other.BeforeNoData != BeforeNoData || other.AfterNoData != AfterNoData)
            throw new ArgumentException("Cannot merge statistics of a different band count or nodata values.", nameof(other));
        for (int b = 0; b < BandCount; b++)
        {
            _before[b] += other._before[b];
            _after[b] += other._after[b];
        }
    }
}

/// <summary>
/// Relative radiometric normalisation of the after image onto the before image by mean and
/// standard-deviation matching, per band:
/// <c>gain = σ_before / σ_after</c> (dimensionless), <c>offset = μ_before − gain · μ_after</c> (DN),
/// and <c>scale = 1 / σ_before</c> (1/DN) so every band's difference counts in standard deviations.
/// </summary>
/// <remarks>
/// Standard deviations are floored at <see cref="MinStandardDeviation"/> (one DN, the quantisation
/// step): a band flatter than that carries no usable contrast, and the floor keeps gain and scale
/// finite. Gain and offset are then clamped to <see cref="ChangeKernelOptions.MaxGain"/> and
/// ±<see cref="ChangeKernelOptions.MaxOffset"/>, which only a degenerate band can reach.
/// </remarks>
internal static class RadiometricNormalization
{
    /// <summary>Smallest standard deviation used (DN).</summary>
    public const double MinStandardDeviation = 1.0;

    /// <summary>Mean/std matching for every band of <paramref name="statistics"/>.</summary>
    /// <exception cref="InvalidOperationException">No pixel was valid in both dates.</exception>
    public static BandNormalization[] MeanStdMatching(PairStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (statistics.Count == 0)
            throw new InvalidOperationException("No pixel is valid in both dates, so the radiometric normalisation has nothing to match.");
        var result = new BandNormalization[statistics.BandCount];
        for (int b = 0; b < result.Length; b++)
            result[b] = MeanStdMatching(statistics.Before(b), statistics.After(b));
        return result;
    }

    /// <summary>Mean/std matching of one band from its moments in both dates.</summary>
    /// <exception cref="InvalidOperationException">Either date has no samples.</exception>
    public static BandNormalization MeanStdMatching(BandMoments before, BandMoments after)
    {
        if (before.Count == 0 || after.Count == 0)
            throw new InvalidOperationException("A band has no valid samples in one of the dates, so it cannot be normalised.");
        double sigmaBefore = Math.Max(before.StandardDeviation, MinStandardDeviation);
        double sigmaAfter = Math.Max(after.StandardDeviation, MinStandardDeviation);
        double gain = Math.Min(sigmaBefore / sigmaAfter, ChangeKernelOptions.MaxGain);
        double offset = Math.Clamp(before.Mean - gain * after.Mean, -ChangeKernelOptions.MaxOffset, ChangeKernelOptions.MaxOffset);
        return new BandNormalization((float)gain, (float)offset, (float)(1.0 / sigmaBefore));
    }
}
