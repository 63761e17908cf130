using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ChangeDetection.Kernels;

// The three vector paths are the same code at three widths (written out rather than generic so
// each JIT-compiles to straight-line intrinsics, as in ImageSharp's SimdUtils). Keep them in step
// with ChangeKernel.ScalarCore: same operations, same order, or the bitwise tests fail.
public static partial class ChangeKernel
{
    /// <summary>16 uint16 samples at <paramref name="ref0"/> + <paramref name="i"/>, widened to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadVector512(ref ushort ref0, nuint i) =>
        Vector512.ConvertToSingle(Vector512.WidenLower(Vector256.LoadUnsafe(ref ref0, i).ToVector512Unsafe()).AsInt32());

    /// <summary>8 uint16 samples widened to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadVector256(ref ushort ref0, nuint i) =>
        Vector256.ConvertToSingle(Vector256.WidenLower(Vector128.LoadUnsafe(ref ref0, i).ToVector256Unsafe()).AsInt32());

    /// <summary>4 uint16 samples (one 64-bit load) widened to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> LoadVector128(ref ushort ref0, nuint i) =>
        Vector128.ConvertToSingle(Vector128.WidenLower(
            Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref ref0, i)))).AsUInt16()).AsInt32());

    /// <summary>Whole Vector512 blocks of floats from pixel 0; returns the first pixel left for the scalar path.</summary>
    private static int Vector512Core(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        int lanes = Vector512<float>.Count;
        BandTerm[] terms = options.Terms;
        int termCount = terms.Length, roleTerms = options.RoleTermCount;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex, partnerIsNir = options.PartnerIsNir;
        var noData = new NoDataVector512(options);
        var ndviWeight = Vector512.Create(options.NdviWeight);
        var waterWeight = Vector512.Create(options.WaterWeight);
        var noDataScore = Vector512.Create(NoDataScore);
        var zero = Vector512<float>.Zero;
        var one = Vector512<float>.One;

        ref ushort before0 = ref MemoryMarshal.GetReference(before);
        ref ushort after0 = ref MemoryMarshal.GetReference(after);
        ref float scores0 = ref MemoryMarshal.GetReference(scores);
        ref BandTerm terms0 = ref MemoryMarshal.GetArrayDataReference(terms);

        int x = 0;
        for (; x <= width - lanes; x += lanes)
        {
            var sum = zero;
            var invalid = zero;
            Vector512<float> redB = zero, redA = zero, nirB = zero, nirA = zero, greenB = zero, greenA = zero, partnerB = zero, partnerA = zero;
            // Role bands first, in the order of options.Terms, kept for the index terms; no per-band branches.
            if (ndvi)
            {
                Accumulate(ref before0, ref after0, x, bandStride, terms0, noData, ref sum, ref invalid, out redB, out redA);
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, 1), noData, ref sum, ref invalid, out nirB, out nirA);
            }
            if (water)
            {
                int k = ndvi ? 2 : 0;
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k), noData, ref sum, ref invalid, out greenB, out greenA);
                if (partnerIsNir) { partnerB = nirB; partnerA = nirA; }
                else Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k + 1), noData, ref sum, ref invalid, out partnerB, out partnerA);
            }
            for (int k = roleTerms; k < termCount; k++)
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k), noData, ref sum, ref invalid, out _, out _);

            var score = Vector512.Sqrt(sum);
            if (ndvi | water)
            {
                Vector512<float> ndviNum = zero, ndviDen = one, waterNum = zero, waterDen = one;
                if (ndvi) IndexChange(nirA, redA, nirB, redB, ndviWeight, out ndviNum, out ndviDen);
                if (water) IndexChange(greenA, partnerA, greenB, partnerB, waterWeight, out waterNum, out waterDen);
                score += (ndviNum * waterDen + waterNum * ndviDen) / (ndviDen * waterDen);
            }
            Vector512.ConditionalSelect(invalid, noDataScore, score).StoreUnsafe(ref scores0, (nuint)x);
        }
        return x;
    }

    /// <summary>Vector512 twin of the scalar <see cref="Accumulate(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, BandTerm, NoDataTest, ref float, ref bool, out float, out float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref ushort before0, ref ushort after0, int x, int bandStride, BandTerm term, NoDataVector512 noData,
        ref Vector512<float> sum, ref Vector512<float> invalid, out Vector512<float> b, out Vector512<float> a)
    {
        nuint i = (nuint)(term.Band * bandStride + x);
        b = LoadVector512(ref before0, i);
        a = LoadVector512(ref after0, i);
        if (noData.CheckBefore) invalid |= Vector512.Equals(b, noData.Before);
        if (noData.CheckAfter) invalid |= Vector512.Equals(a, noData.After);
        a = Vector512.Create(term.Gain) * a + Vector512.Create(term.Offset);
        var d = (a - b) * Vector512.Create(term.Scale);
        sum += d * d;
    }

    /// <summary>The nodata values as Vector512 floats (a uint16 converts to float exactly, so comparing floats is comparing samples).</summary>
    private readonly struct NoDataVector512(ChangeKernelOptions options)
    {
        public bool CheckBefore { get; } = options.BeforeNoData.HasValue;
        public bool CheckAfter { get; } = options.AfterNoData.HasValue;
        public Vector512<float> Before { get; } = Vector512.Create((float)options.BeforeNoData.GetValueOrDefault());
        public Vector512<float> After { get; } = Vector512.Create((float)options.AfterNoData.GetValueOrDefault());
    }

    /// <summary>Vector512 twin of the scalar <see cref="IndexChange(float, float, float, float, float, out float, out float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IndexChange(Vector512<float> ua, Vector512<float> va, Vector512<float> ub, Vector512<float> vb, Vector512<float> weight,
        out Vector512<float> numerator, out Vector512<float> denominator)
    {
        var zero = Vector512<float>.Zero;
        var one = Vector512<float>.One;
        ua = Vector512.MaxNative(ua, zero);
        va = Vector512.MaxNative(va, zero);
        ub = Vector512.MaxNative(ub, zero);
        vb = Vector512.MaxNative(vb, zero);
        Vector512<float> na = ua - va, da = ua + va, nb = ub - vb, db = ub + vb;
        da = Vector512.ConditionalSelect(Vector512.Equals(da, zero), one, da);
        db = Vector512.ConditionalSelect(Vector512.Equals(db, zero), one, db);
        numerator = weight * Vector512.Abs(na * db - nb * da);
        denominator = da * db;
    }

    /// <summary>Whole Vector256 blocks of floats from pixel 0; returns the first pixel left for the scalar path.</summary>
    private static int Vector256Core(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        int lanes = Vector256<float>.Count;
        BandTerm[] terms = options.Terms;
        int termCount = terms.Length, roleTerms = options.RoleTermCount;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex, partnerIsNir = options.PartnerIsNir;
        var noData = new NoDataVector256(options);
        var ndviWeight = Vector256.Create(options.NdviWeight);
        var waterWeight = Vector256.Create(options.WaterWeight);
        var noDataScore = Vector256.Create(NoDataScore);
        var zero = Vector256<float>.Zero;
        var one = Vector256<float>.One;

        ref ushort before0 = ref MemoryMarshal.GetReference(before);
        ref ushort after0 = ref MemoryMarshal.GetReference(after);
        ref float scores0 = ref MemoryMarshal.GetReference(scores);
        ref BandTerm terms0 = ref MemoryMarshal.GetArrayDataReference(terms);

        int x = 0;
        for (; x <= width - lanes; x += lanes)
        {
            var sum = zero;
            var invalid = zero;
            Vector256<float> redB = zero, redA = zero, nirB = zero, nirA = zero, greenB = zero, greenA = zero, partnerB = zero, partnerA = zero;
            // Role bands first, in the order of options.Terms, kept for the index terms; no per-band branches.
            if (ndvi)
            {
                Accumulate(ref before0, ref after0, x, bandStride, terms0, noData, ref sum, ref invalid, out redB, out redA);
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, 1), noData, ref sum, ref invalid, out nirB, out nirA);
            }
            if (water)
            {
                int k = ndvi ? 2 : 0;
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k), noData, ref sum, ref invalid, out greenB, out greenA);
                if (partnerIsNir) { partnerB = nirB; partnerA = nirA; }
                else Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k + 1), noData, ref sum, ref invalid, out partnerB, out partnerA);
            }
            for (int k = roleTerms; k < termCount; k++)
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k), noData, ref sum, ref invalid, out _, out _);

            var score = Vector256.Sqrt(sum);
            if (ndvi | water)
            {
                Vector256<float> ndviNum = zero, ndviDen = one, waterNum = zero, waterDen = one;
                if (ndvi) IndexChange(nirA, redA, nirB, redB, ndviWeight, out ndviNum, out ndviDen);
                if (water) IndexChange(greenA, partnerA, greenB, partnerB, waterWeight, out waterNum, out waterDen);
                score += (ndviNum * waterDen + waterNum * ndviDen) / (ndviDen * waterDen);
            }
            Vector256.ConditionalSelect(invalid, noDataScore, score).StoreUnsafe(ref scores0, (nuint)x);
        }
        return x;
    }

    /// <summary>Vector256 twin of the scalar <see cref="Accumulate(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, BandTerm, NoDataTest, ref float, ref bool, out float, out float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref ushort before0, ref ushort after0, int x, int bandStride, BandTerm term, NoDataVector256 noData,
        ref Vector256<float> sum, ref Vector256<float> invalid, out Vector256<float> b, out Vector256<float> a)
    {
        nuint i = (nuint)(term.Band * bandStride + x);
        b = LoadVector256(ref before0, i);
        a = LoadVector256(ref after0, i);
        if (noData.CheckBefore) invalid |= Vector256.Equals(b, noData.Before);
        if (noData.CheckAfter) invalid |= Vector256.Equals(a, noData.After);
        a = Vector256.Create(term.Gain) * a + Vector256.Create(term.Offset);
        var d = (a - b) * Vector256.Create(term.Scale);
        sum += d * d;
    }

    /// <summary>The nodata values as Vector256 floats (a uint16 converts to float exactly, so comparing floats is comparing samples).</summary>
    private readonly struct NoDataVector256(ChangeKernelOptions options)
    {
        public bool CheckBefore { get; } = options.BeforeNoData.HasValue;
        public bool CheckAfter { get; } = options.AfterNoData.HasValue;
        public Vector256<float> Before { get; } = Vector256.Create((float)options.BeforeNoData.GetValueOrDefault());
        public Vector256<float> After { get; } = Vector256.Create((float)options.AfterNoData.GetValueOrDefault());
    }

    /// <summary>Vector256 twin of the scalar <see cref="IndexChange(float, float, float, float, float, out float, out float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IndexChange(Vector256<float> ua, Vector256<float> va, Vector256<float> ub, Vector256<float> vb, Vector256<float> weight,
        out Vector256<float> numerator, out Vector256<float> denominator)
    {
        var zero = Vector256<float>.Zero;
        var one = Vector256<float>.One;
        ua = Vector256.MaxNative(ua, zero);
        va = Vector256.MaxNative(va, zero);
        ub = Vector256.MaxNative(ub, zero);
        vb = Vector256.MaxNative(vb, zero);
        Vector256<float> na = ua - va, da = ua + va, nb = ub - vb, db = ub + vb;
        da = Vector256.ConditionalSelect(Vector256.Equals(da, zero), one, da);
        db = Vector256.ConditionalSelect(Vector256.Equals(db, zero), one, db);
        numerator = weight * Vector256.Abs(na * db - nb * da);
        denominator = da * db;
    }

    /// <summary>Whole Vector128 blocks of floats from pixel 0; returns the first pixel left for the scalar path.</summary>
    private static int Vector128Core(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        int lanes = Vector128<float>.Count;
        BandTerm[] terms = options.Terms;
        int termCount = terms.Length, roleTerms = options.RoleTermCount;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex, partnerIsNir = options.PartnerIsNir;
        var noData = new NoDataVector128(options);
        var ndviWeight = Vector128.Create(options.NdviWeight);
        var waterWeight = Vector128.Create(options.WaterWeight);
        var noDataScore = Vector128.Create(NoDataScore);
        var zero = Vector128<float>.Zero;
        var one = Vector128<float>.One;

        ref ushort before0 = ref MemoryMarshal.GetReference(before);
        ref ushort after0 = ref MemoryMarshal.GetReference(after);
        ref float scores0 = ref MemoryMarshal.GetReference(scores);
        ref BandTerm terms0 = ref MemoryMarshal.GetArrayDataReference(terms);

        int x = 0;
        for (; x <= width - lanes; x += lanes)
        {
            var sum = zero;
            var invalid = zero;
            Vector128<float> redB = zero, redA = zero, nirB = zero, nirA = zero, greenB = zero, greenA = zero, partnerB = zero, partnerA = zero;
            // Role bands first, in the order of options.Terms, kept for the index terms; no per-band branches.
            if (ndvi)
            {
                Accumulate(ref before0, ref after0, x, bandStride, terms0, noData, ref sum, ref invalid, out redB, out redA);
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, 1), noData, ref sum, ref invalid, out nirB, out nirA);
            }
            if (water)
            {
                int k = ndvi ? 2 : 0;
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k), noData, ref sum, ref invalid, out greenB, out greenA);
                if (partnerIsNir) { partnerB = nirB; partnerA = nirA; }
                else Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k + 1), noData, ref sum, ref invalid, out partnerB, out partnerA);
            }
            for (int k = roleTerms; k < termCount; k++)
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k), noData, ref sum, ref invalid, out _, out _);

            var score = Vector128.Sqrt(sum);
            if (ndvi | water)
            {
                Vector128<float> ndviNum = zero, ndviDen = one, waterNum = zero, waterDen = one;
                if (ndvi) IndexChange(nirA, redA, nirB, redB, ndviWeight, out ndviNum, out ndviDen);
                if (water) IndexChange(greenA, partnerA, greenB, partnerB, waterWeight, out waterNum, out waterDen);
                score += (ndviNum * waterDen + waterNum * ndviDen) / (ndviDen * waterDen);
            }
            Vector128.ConditionalSelect(invalid, noDataScore, score).StoreUnsafe(ref scores0, (nuint)x);
        }
        return x;
    }

    /// <summary>Vector128 twin of the scalar <see cref="Accumulate(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, BandTerm, NoDataTest, ref float, ref bool, out float, out float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref ushort before0, ref ushort after0, int x, int bandStride, BandTerm term, NoDataVector128 noData,
        ref Vector128<float> sum, ref Vector128<float> invalid, out Vector128<float> b, out Vector128<float> a)
    {
        nuint i = (nuint)(term.Band * bandStride + x);
        b = LoadVector128(ref before0, i);
        a = LoadVector128(ref after0, i);
        if (noData.CheckBefore) invalid |= Vector128.Equals(b, noData.Before);
        if (noData.CheckAfter) invalid |= Vector128.Equals(a, noData.After);
        a = Vector128.Create(term.Gain) * a + Vector128.Create(term.Offset);
        var d = (a - b) * Vector128.Create(term.Scale);
        sum += d * d;
    }

    /// <summary>The nodata values as Vector128 floats (a uint16 converts to float exactly, so comparing floats is comparing samples).</summary>
    private readonly struct NoDataVector128(ChangeKernelOptions options)
    {
        public bool CheckBefore { get; } = options.BeforeNoData.HasValue;
        public bool CheckAfter { get; } = options.AfterNoData.HasValue;
        public Vector128<float> Before { get; } = Vector128.Create((float)options.BeforeNoData.GetValueOrDefault());
        public Vector128<float> After { get; } = Vector128.Create((float)options.AfterNoData.GetValueOrDefault());
    }

    /// <summary>Vector128 twin of the scalar <see cref="IndexChange(float, float, float, float, float, out float, out float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IndexChange(Vector128<float> ua, Vector128<float> va, Vector128<float> ub, Vector128<float> vb, Vector128<float> weight,
        out Vector128<float> numerator, out Vector128<float> denominator)
    {
        var zero = Vector128<float>.Zero;
        var one = Vector128<float>.One;
        ua = Vector128.MaxNative(ua, zero);
        va = Vector128.MaxNative(va, zero);
        ub = Vector128.MaxNative(ub, zero);
        vb = Vector128.MaxNative(vb, zero);
        Vector128<float> na = ua - va, da = ua + va, nb = ub - vb, db = ub + vb;
        da = Vector128.ConditionalSelect(Vector128.Equals(da, zero), one, da);
        db = Vector128.ConditionalSelect(Vector128.Equals(db, zero), one, db);
        numerator = weight * Vector128.Abs(na * db - nb * da);
        denominator = da * db;
    }
}
