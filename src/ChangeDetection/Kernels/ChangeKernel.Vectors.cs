using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ChangeDetection.Kernels;

// The vector path is written once, generic over the width (IKernelVector below, the operator/driver
// split of TensorPrimitives): each width is a struct, so the JIT specialises VectorCore per width
// and inlines the operators into straight-line intrinsics. Keep it in step with
// ChangeKernel.ScalarCore: same operations, same order, or the bitwise tests fail.
public static partial class ChangeKernel
{
    /// <summary>Whole vector blocks of floats from pixel 0; returns the first pixel left for the scalar path.</summary>
    private static int VectorCore<TVector, TOps>(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
        where TVector : struct
        where TOps : struct, IKernelVector<TVector>
    {
        int lanes = TOps.Count;
        BandTerm[] terms = options.Terms;
        int termCount = terms.Length, roleTerms = options.RoleTermCount;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex, partnerIsNir = options.PartnerIsNir;
        var noData = new NoDataVector<TVector, TOps>(options);
        var ndviWeight = TOps.Create(options.NdviWeight);
        var waterWeight = TOps.Create(options.WaterWeight);
        var noDataScore = TOps.Create(NoDataScore);
        var zero = TOps.Create(0f);
        var one = TOps.Create(1f);
        var projection = options.Projection;
        bool square = projection is null;

        ref ushort before0 = ref MemoryMarshal.GetReference(before);
        ref ushort after0 = ref MemoryMarshal.GetReference(after);
        ref float scores0 = ref MemoryMarshal.GetReference(scores);
        ref BandTerm terms0 = ref MemoryMarshal.GetArrayDataReference(terms);

        int x = 0;
        for (; x <= width - lanes; x += lanes)
        {
            var sum = zero;
            var invalid = zero;
            TVector redB = zero, redA = zero, nirB = zero, nirA = zero, greenB = zero, greenA = zero, partnerB = zero, partnerA = zero;
            // Role bands first, in the order of options.Terms, kept for the index terms; no per-band branches.
            if (ndvi)
            {
                Accumulate(ref before0, ref after0, x, bandStride, terms0, noData, square, ref sum, ref invalid, out redB, out redA);
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, 1), noData, square, ref sum, ref invalid, out nirB, out nirA);
            }
            if (water)
            {
                int k = ndvi ? 2 : 0;
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k), noData, square, ref sum, ref invalid, out greenB, out greenA);
                if (partnerIsNir) { partnerB = nirB; partnerA = nirA; }
                else Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k + 1), noData, square, ref sum, ref invalid, out partnerB, out partnerA);
            }
            for (int k = roleTerms; k < termCount; k++)
                Accumulate(ref before0, ref after0, x, bandStride, Unsafe.Add(ref terms0, k), noData, square, ref sum, ref invalid, out _, out _);

            if (projection is not null) sum = ProjectionSum<TVector, TOps>(ref before0, ref after0, x, bandStride, projection);

            var score = TOps.Sqrt(sum);
            if (ndvi | water)
            {
                TVector ndviNum = zero, ndviDen = one, waterNum = zero, waterDen = one;
                if (ndvi) IndexChange<TVector, TOps>(nirA, redA, nirB, redB, ndviWeight, out ndviNum, out ndviDen);
                if (water) IndexChange<TVector, TOps>(greenA, partnerA, greenB, partnerB, waterWeight, out waterNum, out waterDen);
                score = TOps.Add(score, TOps.Divide(
                    TOps.Add(TOps.Multiply(ndviNum, waterDen), TOps.Multiply(waterNum, ndviDen)),
                    TOps.Multiply(ndviDen, waterDen)));
            }
            TOps.Store(TOps.ConditionalSelect(invalid, noDataScore, score), ref scores0, (nuint)x);
        }
        return x;
    }

    /// <summary>Vector twin of the scalar <see cref="ProjectionSum(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, ChangeProjection)"/>.</summary>
    private static TVector ProjectionSum<TVector, TOps>(ref ushort before0, ref ushort after0, int x, int bandStride, ChangeProjection projection)
        where TVector : struct
        where TOps : struct, IKernelVector<TVector>
    {
        float[] wb = projection.BeforeArray, wa = projection.AfterArray, offsets = projection.OffsetArray;
        int bands = projection.Bands;
        var sum = TOps.Create(0f);
        for (int i = 0; i < offsets.Length; i++)
        {
            var v = TOps.Create(offsets[i]);
            // The samples are loaded again per variate: they sit in L1, and a variable band count cannot live in registers.
            for (int j = 0; j < bands; j++)
                v = TOps.Add(v, TOps.Multiply(TOps.Create(wb[i * bands + j]), TOps.LoadWidened(ref before0, (nuint)(j * bandStride + x))));
            for (int j = 0; j < bands; j++)
                v = TOps.Subtract(v, TOps.Multiply(TOps.Create(wa[i * bands + j]), TOps.LoadWidened(ref after0, (nuint)(j * bandStride + x))));
            sum = TOps.Add(sum, TOps.Multiply(v, v));
        }
        return sum;
    }

    /// <summary>Vector twin of the scalar <see cref="Accumulate(ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, int, BandTerm, NoDataTest, bool, ref float, ref bool, out float, out float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<TVector, TOps>(ref ushort before0, ref ushort after0, int x, int bandStride, BandTerm term, NoDataVector<TVector, TOps> noData,
        bool square, ref TVector sum, ref TVector invalid, out TVector b, out TVector a)
        where TVector : struct
        where TOps : struct, IKernelVector<TVector>
    {
        nuint i = (nuint)(term.Band * bandStride + x);
        b = TOps.LoadWidened(ref before0, i);
        a = TOps.LoadWidened(ref after0, i);
        if (noData.CheckBefore) invalid = TOps.Or(invalid, TOps.Equals(b, noData.Before));
        if (noData.CheckAfter) invalid = TOps.Or(invalid, TOps.Equals(a, noData.After));
        a = TOps.Add(TOps.Multiply(TOps.Create(term.Gain), a), TOps.Create(term.Offset));
        if (!square) return;
        var d = TOps.Multiply(TOps.Subtract(a, b), TOps.Create(term.Scale));
        sum = TOps.Add(sum, TOps.Multiply(d, d));
    }

    /// <summary>The nodata values as vectors of floats (a uint16 converts to float exactly, so comparing floats is comparing samples).</summary>
    private readonly struct NoDataVector<TVector, TOps>(ChangeKernelOptions options)
        where TVector : struct
        where TOps : struct, IKernelVector<TVector>
    {
        public bool CheckBefore { get; } = options.BeforeNoData.HasValue;
        public bool CheckAfter { get; } = options.AfterNoData.HasValue;
        public TVector Before { get; } = TOps.Create((float)options.BeforeNoData.GetValueOrDefault());
        public TVector After { get; } = TOps.Create((float)options.AfterNoData.GetValueOrDefault());
    }

    /// <summary>Vector twin of the scalar <see cref="IndexChange(float, float, float, float, float, out float, out float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void IndexChange<TVector, TOps>(TVector ua, TVector va, TVector ub, TVector vb, TVector weight,
        out TVector numerator, out TVector denominator)
        where TVector : struct
        where TOps : struct, IKernelVector<TVector>
    {
        var zero = TOps.Create(0f);
        var one = TOps.Create(1f);
        ua = TOps.MaxNative(ua, zero);
        va = TOps.MaxNative(va, zero);
        ub = TOps.MaxNative(ub, zero);
        vb = TOps.MaxNative(vb, zero);
        TVector na = TOps.Subtract(ua, va), da = TOps.Add(ua, va), nb = TOps.Subtract(ub, vb), db = TOps.Add(ub, vb);
        da = TOps.ConditionalSelect(TOps.Equals(da, zero), one, da);
        db = TOps.ConditionalSelect(TOps.Equals(db, zero), one, db);
        numerator = TOps.Multiply(weight, TOps.Abs(TOps.Subtract(TOps.Multiply(na, db), TOps.Multiply(nb, da))));
        denominator = TOps.Multiply(da, db);
    }
}
