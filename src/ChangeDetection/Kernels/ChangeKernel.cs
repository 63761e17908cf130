using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ChangeDetection.Kernels;

/// <summary>
/// Per-pixel change score of one row of a before/after image pair.
/// </summary>
/// <remarks>
/// <para>
/// Input rows are band-sequential uint16 samples (DN): band <c>b</c> of pixel <c>x</c> is at
/// <c>b · bandStride + x</c>, for both dates. The score of a pixel, a dimensionless float ≥ 0, is
/// </para>
/// <code>
///   a'_b  = gain_b · after_b + offset_b                      (after mapped onto before's radiometry)
///   score = sqrt( Σ_b ((a'_b − before_b) · scale_b)² )      (change-vector magnitude)
///         + w_ndvi  · | ND(nir', red') − ND(nir, red) |      (when red and NIR are known)
///         + w_water · | ND(green', p') − ND(green, p) |      (p = SWIR1 if known, else NIR)
///   ND(u, v) = (u⁺ − v⁺) / (u⁺ + v⁺), with ND = 0 when u⁺ + v⁺ = 0, and u⁺ = max(u, 0)
/// </code>
/// <para>
/// With a <see cref="ChangeProjection"/> (<see cref="ChangeKernelOptions.Projection"/>), the square root is taken
/// of the sum of the squared variates instead (IR-MAD's chi-square when the projection comes from <see cref="IrMad"/>).
/// The clamp at 0 keeps each index in [−1, 1] when an offset pushes a dark normalised sample below
/// zero. The kernels evaluate both index terms over one division, as
/// <c>(wₙ·Nₙ·D_w + w_w·N_w·Dₙ) / (Dₙ·D_w)</c> with <c>N = |nₐ·d_b − n_b·dₐ|</c> and <c>D = dₐ·d_b</c>
/// (n, d: numerator and denominator of ND in each date): the same quantity as written above, with
/// one division instead of four, which is what the vector paths spend most time on. The
/// <see cref="ChangeKernelOptions"/> limits keep every intermediate finite. A pixel where any band
/// of either date equals that date's nodata value scores
/// <see cref="NoDataScore"/> (NaN), so any threshold comparison <c>score &gt; t</c> is false for it
/// and <see cref="ScoreHistogram"/> skips it. Saturated samples (65535) are ordinary values.
/// </para>
/// <para>
/// <see cref="Compute(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, ChangeKernelOptions, Span{float})"/>
/// dispatches to the widest hardware-accelerated vector width (<see cref="ActivePath"/>); each
/// vector path handles whole vectors and leaves the last <c>width mod lanes</c> pixels to the
/// scalar path, so no sample past <c>width</c> in a band is read. The vector paths perform the same
/// IEEE single-precision operations in the same order as <see cref="ComputeScalar"/> (band terms
/// added in one fixed order, no fused multiply-add, no reciprocal estimates), so their output is
/// bitwise identical to it.
/// </para>
/// </remarks>
public static partial class ChangeKernel
{
    /// <summary>The score written where either date is nodata: NaN (test with <see cref="float.IsNaN(float)"/>).</summary>
    public const float NoDataScore = float.NaN;

    /// <summary>The path <see cref="Compute(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, ChangeKernelOptions, Span{float})"/> takes on this machine.</summary>
    public static KernelPath ActivePath { get; } =
        Vector512.IsHardwareAccelerated ? KernelPath.Vector512
        : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
        : Vector128.IsHardwareAccelerated ? KernelPath.Vector128
        : KernelPath.Scalar;

    /// <summary>Scores one row whose bands are stored back to back (band stride = <paramref name="width"/>).</summary>
    public static void Compute(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, ChangeKernelOptions options, Span<float> scores) =>
        Compute(before, after, width, width, options, scores);

    /// <summary>
    /// Scores <paramref name="width"/> pixels with the fastest path available.
    /// </summary>
    /// <param name="before">Before samples (DN), band <c>b</c> starting at <c>b · bandStride</c>.</param>
    /// <param name="after">After samples (DN), same layout.</param>
    /// <param name="width">Pixels in the row.</param>
    /// <param name="bandStride">Distance in samples between the starts of two bands (≥ width).</param>
    /// <param name="options">Normalisation, nodata, roles and weights.</param>
    /// <param name="scores">Receives <paramref name="width"/> scores (dimensionless, or <see cref="NoDataScore"/>).</param>
    public static void Compute(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        CheckArguments(before, after, width, bandStride, options, scores);
        int done = 0;
        // IsHardwareAccelerated is a JIT-time constant, so only one branch survives compilation.
        if (Vector512.IsHardwareAccelerated) done = VectorCore<Vector512<float>, KernelVector512>(before, after, width, bandStride, options, scores);
        else if (Vector256.IsHardwareAccelerated) done = VectorCore<Vector256<float>, KernelVector256>(before, after, width, bandStride, options, scores);
        else if (Vector128.IsHardwareAccelerated) done = VectorCore<Vector128<float>, KernelVector128>(before, after, width, bandStride, options, scores);
        ScalarCore(before, after, done, width, bandStride, options, scores);
    }

    /// <summary>
    /// The scalar reference: one pixel at a time, same arguments and result as
    /// <see cref="Compute(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, ChangeKernelOptions, Span{float})"/>.
    /// </summary>
    public static void ComputeScalar(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        CheckArguments(before, after, width, bandStride, options, scores);
        ScalarCore(before, after, 0, width, bandStride, options, scores);
    }

    /// <summary>The Vector128 path followed by the scalar remainder (callable on any machine; emulated when not accelerated).</summary>
    internal static void ComputeVector128(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        CheckArguments(before, after, width, bandStride, options, scores);
        int done = VectorCore<Vector128<float>, KernelVector128>(before, after, width, bandStride, options, scores);
        ScalarCore(before, after, done, width, bandStride, options, scores);
    }

    /// <summary>The Vector256 path followed by the scalar remainder.</summary>
    internal static void ComputeVector256(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        CheckArguments(before, after, width, bandStride, options, scores);
        int done = VectorCore<Vector256<float>, KernelVector256>(before, after, width, bandStride, options, scores);
        ScalarCore(before, after, done, width, bandStride, options, scores);
    }

    /// <summary>The Vector512 path followed by the scalar remainder.</summary>
    internal static void ComputeVector512(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        CheckArguments(before, after, width, bandStride, options, scores);
        int done = VectorCore<Vector512<float>, KernelVector512>(before, after, width, bandStride, options, scores);
        ScalarCore(before, after, done, width, bandStride, options, scores);
    }

    private static void CheckArguments(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfLessThan(bandStride, width);
        if (width == 0) return;
        long needed = (long)(options.BandCount - 1) * bandStride + width;
        if (before.Length < needed)
            throw new ArgumentException($"The before row holds {before.Length} samples; {options.BandCount} bands of {width} pixels at stride {bandStride} need {needed}.", nameof(before));
        if (after.Length < needed)
            throw new ArgumentException($"The after row holds {after.Length} samples; {options.BandCount} bands of {width} pixels at stride {bandStride} need {needed}.", nameof(after));
        if (scores.Length < width)
            throw new ArgumentException($"The score row holds {scores.Length} values; the row has {width} pixels.", nameof(scores));
    }

    /// <summary>Pixels [<paramref name="start"/>, <paramref name="end"/>) one at a time; arguments already checked.</summary>
    private static void ScalarCore(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int start, int end, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        BandTerm[] terms = options.Terms;
        int roleTerms = options.RoleTermCount;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex, partnerIsNir = options.PartnerIsNir;
        float ndviWeight = options.NdviWeight, waterWeight = options.WaterWeight;
        var noData = new NoDataTest(options);
        var projection = options.Projection;
        // With a projection the band terms only read samples and test nodata; the variates give the sum.
        bool square = projection is null;

        for (int x = start; x < end; x++)
        {
            float sum = 0f;
            bool invalid = false;
            float redB = 0f, redA = 0f, nirB = 0f, nirA = 0f, greenB = 0f, greenA = 0f, partnerB = 0f, partnerA = 0f;
            // Same term order as the vector paths (options.Terms): role bands first, then the rest.
            int k = 0;
            if (ndvi)
            {
                Accumulate(before, after, x, bandStride, terms[k++], noData, square, ref sum, ref invalid, out redB, out redA);
                Accumulate(before, after, x, bandStride, terms[k++], noData, square, ref sum, ref invalid, out nirB, out nirA);
            }
            if (water)
            {
                Accumulate(before, after, x, bandStride, terms[k++], noData, square, ref sum, ref invalid, out greenB, out greenA);
                if (partnerIsNir) { partnerB = nirB; partnerA = nirA; }
                else Accumulate(before, after, x, bandStride, terms[k++], noData, square, ref sum, ref invalid, out partnerB, out partnerA);
            }
            Debug.Assert(k == roleTerms);
            for (; k < terms.Length; k++)
                Accumulate(before, after, x, bandStride, terms[k], noData, square, ref sum, ref invalid, out _, out _);
            if (projection is not null) sum = ProjectionSum(before, after, x, bandStride, projection);

            float score = MathF.Sqrt(sum);
            if (ndvi | water)
            {
                // One division for both index terms: wₙ·Nₙ/Dₙ + w_w·N_w/D_w = (wₙ·Nₙ·D_w + w_w·N_w·Dₙ) / (Dₙ·D_w),
                // with an absent term given N = 0, D = 1.
                float ndviNum = 0f, ndviDen = 1f, waterNum = 0f, waterDen = 1f;
                if (ndvi) IndexChange(nirA, redA, nirB, redB, ndviWeight, out ndviNum, out ndviDen);
                if (water) IndexChange(greenA, partnerA, greenB, partnerB, waterWeight, out waterNum, out waterDen);
                score += (ndviNum * waterDen + waterNum * ndviDen) / (ndviDen * waterDen);
            }
            scores[x] = invalid ? NoDataScore : score;
        }
    }

    /// <summary>
    /// Σ_i v_i² of the projection's variates at pixel <paramref name="x"/>, each
    /// <c>v_i = offset_i + Σ_j before_j·wb_ij − Σ_j after_j·wa_ij</c>, added up in that order (the vector paths' order).
    /// </summary>
    private static float ProjectionSum(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int x, int bandStride, ChangeProjection projection)
    {
        float[] wb = projection.BeforeArray, wa = projection.AfterArray, offsets = projection.OffsetArray;
        int bands = projection.Bands;
        float sum = 0f;
        for (int i = 0; i < offsets.Length; i++)
        {
            float v = offsets[i];
            for (int j = 0; j < bands; j++) v += wb[i * bands + j] * before[j * bandStride + x];
            for (int j = 0; j < bands; j++) v -= wa[i * bands + j] * after[j * bandStride + x];
            sum += v * v;
        }
        return sum;
    }

    /// <summary>
    /// Adds one band's term ((gain · after + offset − before) · scale)² to <paramref name="sum"/> (when
    /// <paramref name="square"/>), flags nodata, and returns the before sample and the normalised after sample.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int x, int bandStride, BandTerm term, NoDataTest noData,
        bool square, ref float sum, ref bool invalid, out float b, out float a)
    {
        int i = term.Band * bandStride + x;
        ushort rawBefore = before[i], rawAfter = after[i];
        invalid |= (noData.CheckBefore && rawBefore == noData.Before) | (noData.CheckAfter && rawAfter == noData.After);
        b = rawBefore;
        a = term.Gain * rawAfter + term.Offset;
        if (!square) return;
        float d = (a - b) * term.Scale;
        sum += d * d;
    }

    /// <summary>The nodata values of both dates, unwrapped once per call.</summary>
    private readonly struct NoDataTest(ChangeKernelOptions options)
    {
        public bool CheckBefore { get; } = options.BeforeNoData.HasValue;
        public bool CheckAfter { get; } = options.AfterNoData.HasValue;
        public ushort Before { get; } = options.BeforeNoData.GetValueOrDefault();
        public ushort After { get; } = options.AfterNoData.GetValueOrDefault();
    }

    /// <summary>
    /// weight · |ND(ua, va) − ND(ub, vb)| with ND(u, v) = (u⁺ − v⁺) / (u⁺ + v⁺), as the fraction
    /// <paramref name="numerator"/> / <paramref name="denominator"/> = weight·|nₐ·d_b − n_b·dₐ| / (dₐ·d_b),
    /// so the caller can put both index terms over one division (divisions dominate the vector
    /// paths). A zero denominator is replaced by 1: u⁺ + v⁺ = 0 means both are 0, so the
    /// numerator is 0 too and ND = 0 as defined.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IndexChange(float ua, float va, float ub, float vb, float weight, out float numerator, out float denominator)
    {
        // `x > 0 ? x : 0` is exactly what MaxNative(x, 0) does on x86 (maxps), so vector and scalar agree bit for bit.
        ua = ua > 0f ? ua : 0f;
        va = va > 0f ? va : 0f;
        ub = ub > 0f ? ub : 0f;
        vb = vb > 0f ? vb : 0f;
        float na = ua - va, da = ua + va, nb = ub - vb, db = ub + vb;
        da = da == 0f ? 1f : da;
        db = db == 0f ? 1f : db;
        numerator = weight * MathF.Abs(na * db - nb * da);
        denominator = da * db;
    }
}
