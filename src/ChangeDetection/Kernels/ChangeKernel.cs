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
/// The clamp at 0 keeps each index in [−1, 1] when an offset pushes a dark normalised sample below
/// zero. A pixel where any band of either date equals that date's nodata value scores
/// <see cref="NoDataScore"/> (NaN), so any threshold comparison <c>score &gt; t</c> is false for it
/// and <see cref="ScoreHistogram"/> skips it. Saturated samples (65535) are ordinary values.
/// </para>
/// <para>
/// <see cref="Compute(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, ChangeKernelOptions, Span{float})"/>
/// dispatches to the widest hardware-accelerated vector width (<see cref="ActivePath"/>); each
/// vector path handles whole vectors and leaves the last <c>width mod lanes</c> pixels to the
/// scalar path, so no sample past <c>width</c> in a band is read. The vector paths perform the same
/// IEEE single-precision operations in the same order as <see cref="ComputeScalar"/> (no fused
/// multiply-add, no reciprocal estimates), so their output is bitwise identical to it.
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
        if (Vector512.IsHardwareAccelerated) done = Vector512Core(before, after, width, bandStride, options, scores);
        else if (Vector256.IsHardwareAccelerated) done = Vector256Core(before, after, width, bandStride, options, scores);
        else if (Vector128.IsHardwareAccelerated) done = Vector128Core(before, after, width, bandStride, options, scores);
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
        int done = Vector128Core(before, after, width, bandStride, options, scores);
        ScalarCore(before, after, done, width, bandStride, options, scores);
    }

    /// <summary>The Vector256 path followed by the scalar remainder.</summary>
    internal static void ComputeVector256(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        CheckArguments(before, after, width, bandStride, options, scores);
        int done = Vector256Core(before, after, width, bandStride, options, scores);
        ScalarCore(before, after, done, width, bandStride, options, scores);
    }

    /// <summary>The Vector512 path followed by the scalar remainder.</summary>
    internal static void ComputeVector512(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        CheckArguments(before, after, width, bandStride, options, scores);
        int done = Vector512Core(before, after, width, bandStride, options, scores);
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
        int bands = options.BandCount;
        float[] gains = options.Gains, offsets = options.Offsets, scales = options.Scales;
        int red = options.RedIndex, nir = options.NirIndex, green = options.GreenIndex, partner = options.WaterPartnerIndex;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex;
        float ndviWeight = options.NdviWeight, waterWeight = options.WaterWeight;
        bool checkBefore = options.BeforeNoData.HasValue, checkAfter = options.AfterNoData.HasValue;
        ushort beforeNoData = options.BeforeNoData.GetValueOrDefault(), afterNoData = options.AfterNoData.GetValueOrDefault();

        for (int x = start; x < end; x++)
        {
            float sum = 0f;
            bool invalid = false;
            float redB = 0f, redA = 0f, nirB = 0f, nirA = 0f, greenB = 0f, greenA = 0f, partnerB = 0f, partnerA = 0f;
            for (int band = 0, i = x; band < bands; band++, i += bandStride)
            {
                ushort rawBefore = before[i], rawAfter = after[i];
                invalid |= (checkBefore && rawBefore == beforeNoData) | (checkAfter && rawAfter == afterNoData);
                float b = rawBefore;
                float a = gains[band] * rawAfter + offsets[band];
                float d = (a - b) * scales[band];
                sum += d * d;
                if (band == red) { redB = b; redA = a; }
                if (band == nir) { nirB = b; nirA = a; }
                if (band == green) { greenB = b; greenA = a; }
                if (band == partner) { partnerB = b; partnerA = a; }
            }
            float score = MathF.Sqrt(sum);
            if (ndvi) score += ndviWeight * MathF.Abs(NormalizedDifference(nirA, redA) - NormalizedDifference(nirB, redB));
            if (water) score += waterWeight * MathF.Abs(NormalizedDifference(greenA, partnerA) - NormalizedDifference(greenB, partnerB));
            scores[x] = invalid ? NoDataScore : score;
        }
    }

    /// <summary>(u⁺ − v⁺) / (u⁺ + v⁺), 0 when the denominator is 0 (then both are 0, so 0/0 is the only case).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float NormalizedDifference(float u, float v)
    {
        // Written as the compare-select MaxNative does on x86 (maxps), so vector and scalar agree bit for bit.
        u = u > 0f ? u : 0f;
        v = v > 0f ? v : 0f;
        float den = u + v;
        return den == 0f ? 0f : (u - v) / den;
    }
}
