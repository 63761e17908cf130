using ChangeDetection.Geo;
using ChangeDetection.Raster;
using static System.FormattableString;

namespace ChangeDetection.Registration;

/// <summary>Why a <see cref="GlobalShift"/> is what it is.</summary>
public enum GlobalShiftStatus
{
    /// <summary>The shift is the confidence-weighted median of the agreeing windows.</summary>
    Estimated,

    /// <summary>No window had a distinct correlation peak (e.g. no texture, or everything changed): zero shift.</summary>
    NoConfidentWindow,

    /// <summary>The confident windows point in different directions; no single shift describes the scene: zero shift.</summary>
    WindowsDisagree,

    /// <summary>
    /// The median shift exceeds <see cref="CoRegistrationOptions.MaxShift"/>: the grids are wrong
    /// (a georeferencing error, not a misregistration), which a shift must not paper over: zero shift.
    /// </summary>
    BeyondSanityLimit,
}

/// <summary>
/// The shift of a whole scene, in pixels of the before grid, in the sign convention of
/// <see cref="ShiftEstimate"/>: after(x + Dx, y + Dy) ≈ before(x, y). It is zero unless
/// <see cref="Status"/> is <see cref="GlobalShiftStatus.Estimated"/>, and <see cref="Reason"/>
/// says why in words.
/// </summary>
/// <param name="Dx">Shift along columns, in pixels.</param>
/// <param name="Dy">Shift along rows, in pixels.</param>
/// <param name="Status">Estimated, or why the shift is zero.</param>
/// <param name="Windows">How many windows were correlated.</param>
/// <param name="Confident">How many of them passed <see cref="CoRegistrationOptions.MinConfidence"/>.</param>
/// <param name="Agreeing">How many confident windows lie within <see cref="CoRegistrationOptions.AgreementTolerance"/> of the median.</param>
/// <param name="Reason">One line for the log or run report.</param>
public readonly record struct GlobalShift(double Dx, double Dy, GlobalShiftStatus Status, int Windows, int Confident, int Agreeing, string Reason)
{
    /// <summary>True when the shift was estimated (and may still be zero).</summary>
    public bool IsEstimated => Status == GlobalShiftStatus.Estimated;

    public override string ToString() => Reason;
}

/// <summary>Options for <see cref="CoRegistration"/>. Shifts and distances in pixels.</summary>
internal sealed record CoRegistrationOptions
{
    /// <summary>
    /// Least peak ratio (<see cref="ShiftEstimate.Confidence"/>) a window needs to count.
    /// Unrelated windows (independent noise, or two different synthetic textures) reached at most
    /// 1.41 in the 40 trials of PeakSigmaSweep at 256². On the real pairs in shared/data (9 OSCD
    /// cities, Nanjing, 11 LEVIR-CD crops; 256² windows) the highest ratio of a window whose
    /// shift was spurious (tens of pixels, unlike its neighbours) was 3.3 (bordeaux), while every
    /// window at 4 or above agreed with its scene (ratios up to 26). Windows between 2 and 4 that
    /// agree are lost; the 3×3 grid of windows leaves enough.
    /// </summary>
    public double MinConfidence { get; init; } = 4;

    /// <summary>
    /// Sanity limit on the length of the scene shift, in pixels (the value set in issue 13).
    /// Two orthorectified dates of one product misregister by a pixel or so (the OSCD pairs in
    /// shared/data: up to 1.6 px; Sentinel-2's multi-temporal requirement is 0.3 px); a shift of
    /// several pixels means a wrong grid, which resampling must not hide.
    /// </summary>
    public double MaxShift { get; init; } = 4;

    /// <summary>
    /// Two window estimates agree when they lie within this distance, in pixels: about five times
    /// the worst error on the noisy synthetic tests (0.07 px), well below the one-pixel scale at
    /// which a misregistration shows up as false change.
    /// </summary>
    public double AgreementTolerance { get; init; } = 0.5;

    /// <summary>
    /// Least share of the confident windows that must agree with the median. A median is the
    /// scene's shift only when a majority supports it; otherwise it is one of several scattered
    /// values. One half: the median of a majority lies inside the majority.
    /// </summary>
    public double MinAgreeingShare { get; init; } = 0.5;

    /// <exception cref="ArgumentOutOfRangeException">An option outside its range.</exception>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MinConfidence, nameof(MinConfidence));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxShift, nameof(MaxShift));
        ArgumentOutOfRangeException.ThrowIfNegative(AgreementTolerance, nameof(AgreementTolerance));
        if (!(MinAgreeingShare is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(MinAgreeingShare), MinAgreeingShare, "A share of the confident windows lies in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfLessThan(WindowSize, PhaseCorrelation.MinimumSize, nameof(WindowSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(WindowsPerSide, 1, nameof(WindowsPerSide));
    }

    /// <summary>
    /// Side of a correlation window, in pixels: 256 holds enough edges for a distinct peak on
    /// 10 m imagery (every OSCD city had confident 256² windows), measures shifts up to ±128 px,
    /// and costs about 20 ms per window (PhaseCorrelationTests.TimeOfOne256Estimate).
    /// </summary>
    public int WindowSize { get; init; } = 256;

    /// <summary>
    /// Windows per side of the evenly spread grid: 3 → 9 windows, enough for the median to outvote
    /// a few spurious ones (4 of the 9 bordeaux windows were); on the OSCD cities (360–1180 px a side) more
    /// 256² windows would mostly overlap the same pixels.
    /// </summary>
    public int WindowsPerSide { get; init; } = 3;
}

/// <summary>
/// Co-registration of the after image onto the before image: a single sub-pixel translation per
/// scene, from phase correlation of evenly spread windows. Not wired into detection here; the
/// detector applies the result by resampling the after image at (x + Dx, y + Dy).
/// </summary>
internal static class CoRegistration
{
    /// <summary>
    /// The scene shift from per-window estimates: the confidence-weighted median (per axis) of
    /// the windows with <see cref="ShiftEstimate.Confidence"/> ≥ <see cref="CoRegistrationOptions.MinConfidence"/>;
    /// zero, with the reason, when no window is confident, when the confident windows do not
    /// agree, or when the median exceeds <see cref="CoRegistrationOptions.MaxShift"/>. Pure and
    /// deterministic: the result depends on the estimates, not on their order.
    /// </summary>
    public static GlobalShift EstimateGlobal(IReadOnlyList<ShiftEstimate> estimates, CoRegistrationOptions? options = null)
    {
        options ??= new CoRegistrationOptions();
        options.Validate();
        var confident = estimates
            .Where(e => e.Confidence >= options.MinConfidence && double.IsFinite(e.Dx) && double.IsFinite(e.Dy))
            .ToList();
        int windows = estimates.Count;
        if (confident.Count == 0)
            return Zero(GlobalShiftStatus.NoConfidentWindow, windows, 0, 0,
                Invariant($"no shift: none of {windows} windows has a correlation peak ratio ≥ {options.MinConfidence:0.##}"));

        double dx = WeightedMedian(confident.Select(e => (e.Dx, e.Confidence)).ToList());
        double dy = WeightedMedian(confident.Select(e => (e.Dy, e.Confidence)).ToList());
        int agreeing = confident.Count(e => Distance(e.Dx - dx, e.Dy - dy) <= options.AgreementTolerance);
        string median = Invariant($"({dx:0.00}, {dy:0.00}) px");
        if (agreeing < options.MinAgreeingShare * confident.Count)
            return Zero(GlobalShiftStatus.WindowsDisagree, windows, confident.Count, agreeing,
                Invariant($"no shift: only {agreeing} of {confident.Count} confident windows lie within {options.AgreementTolerance:0.##} px of the median {median}"));
        if (Distance(dx, dy) > options.MaxShift)
            return Zero(GlobalShiftStatus.BeyondSanityLimit, windows, confident.Count, agreeing,
                Invariant($"no shift: the median {median} exceeds the {options.MaxShift:0.##} px sanity limit; the two grids are wrong, not misregistered (check the georeferencing)"));
        return new GlobalShift(dx, dy, GlobalShiftStatus.Estimated, windows, confident.Count, agreeing,
            Invariant($"shift {median}: {agreeing} of {confident.Count} confident windows agree ({windows} windows)"));
    }

    /// <summary>
    /// The scene shift of a pair from phase correlation of <paramref name="windows"/> of its grid
    /// (e.g. <see cref="SpreadWindows(GeoGrid, CoRegistrationOptions?)"/>), each the mean of the pair's bands; pixels invalid in
    /// either date are nodata.
    /// </summary>
    public static GlobalShift EstimateGlobal(ScenePair pair, IReadOnlyList<PixelWindow> windows, CoRegistrationOptions? options = null) =>
        EstimateGlobal(windows.Select(w => EstimateWindow(pair, w)).ToList(), options);

    /// <summary>The shift of one window of the pair's grid (band means of each date), in pixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The window is not inside the pair's grid.</exception>
    public static ShiftEstimate EstimateWindow(ScenePair pair, PixelWindow window)
    {
        int n = checked((int)window.PixelCount), bands = pair.Bands.Count;
        var before = new ushort[n * bands];
        var after = new ushort[n * bands];
        var valid = new byte[n];
        pair.Read(window, before, after, valid);
        return PhaseCorrelation.Estimate(BandMean(before, valid, bands), BandMean(after, valid, bands), window.Width, window.Height);
    }

    /// <summary>
    /// Evenly spread windows of <paramref name="size"/>² pixels (clipped to the grid when it is
    /// smaller), <paramref name="perSide"/> per side, centred in equal cells of the grid, without
    /// duplicates: the same placement as the detector's statistics windows.
    /// </summary>
    public static IReadOnlyList<PixelWindow> SpreadWindows(GeoGrid grid, int size, int perSide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perSide, 1);
        int w = Math.Min(size, grid.Width), h = Math.Min(size, grid.Height);
        var windows = new List<PixelWindow>();
        for (int j = 0; j < perSide; j++)
            for (int i = 0; i < perSide; i++)
            {
                var win = new PixelWindow((int)((grid.Width - w) * ((i + 0.5) / perSide)), (int)((grid.Height - h) * ((j + 0.5) / perSide)), w, h);
                if (!windows.Contains(win)) windows.Add(win);
            }
        return windows;
    }

    /// <summary>Evenly spread windows sized and counted by <paramref name="options"/>.</summary>
    public static IReadOnlyList<PixelWindow> SpreadWindows(GeoGrid grid, CoRegistrationOptions? options = null)
    {
        options ??= new CoRegistrationOptions();
        return SpreadWindows(grid, options.WindowSize, options.WindowsPerSide);
    }

    /// <summary>
    /// Per-pixel mean of band-sequential samples (band stride = pixel count); NaN where
    /// <paramref name="valid"/> is 0.
    /// </summary>
    internal static float[] BandMean(ReadOnlySpan<ushort> bandSequential, ReadOnlySpan<byte> valid, int bands)
    {
        int n = valid.Length;
        if (bandSequential.Length < n * bands)
            throw new ArgumentException($"Expected {bands} bands of {n} pixels ({n * bands} samples); got {bandSequential.Length}.", nameof(bandSequential));
        var mean = new float[n];
        for (int i = 0; i < n; i++)
        {
            if (valid[i] == 0) { mean[i] = float.NaN; continue; }
            float sum = 0;
            for (int k = 0; k < bands; k++) sum += bandSequential[k * n + i];
            mean[i] = sum / bands;
        }
        return mean;
    }

    /// <summary>
    /// The weighted median: the smallest value whose cumulative weight reaches half the total,
    /// or the midpoint of it and the next when the half is reached exactly (so two equal weights
    /// give their mean). Sorted by value, then input position, so the sums run in a fixed order.
    /// </summary>
    internal static double WeightedMedian(IReadOnlyList<(double Value, double Weight)> items)
    {
        if (items.Count == 0) throw new ArgumentException("The weighted median of nothing is undefined.", nameof(items));
        var sorted = items.Select((item, index) => (item.Value, item.Weight, index))
            .OrderBy(t => t.Value).ThenBy(t => t.index).ToList();
        double total = sorted.Sum(t => t.Weight), half = total / 2, cumulative = 0;
        for (int i = 0; i < sorted.Count; i++)
        {
            cumulative += sorted[i].Weight;
            if (cumulative > half) return sorted[i].Value;
            // Exactly half (up to rounding): the median lies between this value and the next.
            if (cumulative >= half * (1 - 1e-12) && i + 1 < sorted.Count) return (sorted[i].Value + sorted[i + 1].Value) / 2;
        }
        return sorted[^1].Value;
    }

    private static double Distance(double dx, double dy) => Math.Sqrt(dx * dx + dy * dy);

    private static GlobalShift Zero(GlobalShiftStatus status, int windows, int confident, int agreeing, string reason) =>
        new(0, 0, status, windows, confident, agreeing, reason);
}
