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
        int bands = options.BandCount;
        float[] gains = options.Gains, offsets = options.Offsets, scales = options.Scales;
        int red = options.RedIndex, nir = options.NirIndex, green = options.GreenIndex, partner = options.WaterPartnerIndex;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex;
        bool checkBefore = options.BeforeNoData.HasValue, checkAfter = options.AfterNoData.HasValue;
        // A uint16 converts to float exactly, so comparing in float is comparing the samples.
        var beforeNoData = Vector512.Create((float)options.BeforeNoData.GetValueOrDefault());
        var afterNoData = Vector512.Create((float)options.AfterNoData.GetValueOrDefault());
        var ndviWeight = Vector512.Create(options.NdviWeight);
        var waterWeight = Vector512.Create(options.WaterWeight);
        var noData = Vector512.Create(NoDataScore);

        ref ushort before0 = ref MemoryMarshal.GetReference(before);
        ref ushort after0 = ref MemoryMarshal.GetReference(after);
        ref float scores0 = ref MemoryMarshal.GetReference(scores);

        int x = 0;
        for (; x <= width - lanes; x += lanes)
        {
            var sum = Vector512<float>.Zero;
            var invalid = Vector512<float>.Zero;
            Vector512<float> redB = default, redA = default, nirB = default, nirA = default;
            Vector512<float> greenB = default, greenA = default, partnerB = default, partnerA = default;
            nuint i = (nuint)x;
            for (int band = 0; band < bands; band++, i += (nuint)bandStride)
            {
                var b = LoadVector512(ref before0, i);
                var a = LoadVector512(ref after0, i);
                if (checkBefore) invalid |= Vector512.Equals(b, beforeNoData);
                if (checkAfter) invalid |= Vector512.Equals(a, afterNoData);
                a = Vector512.Create(gains[band]) * a + Vector512.Create(offsets[band]);
                var d = (a - b) * Vector512.Create(scales[band]);
                sum += d * d;
                if (band == red) { redB = b; redA = a; }
                if (band == nir) { nirB = b; nirA = a; }
                if (band == green) { greenB = b; greenA = a; }
                if (band == partner) { partnerB = b; partnerA = a; }
            }
            var score = Vector512.Sqrt(sum);
            if (ndvi) score += ndviWeight * Vector512.Abs(NormalizedDifference(nirA, redA) - NormalizedDifference(nirB, redB));
            if (water) score += waterWeight * Vector512.Abs(NormalizedDifference(greenA, partnerA) - NormalizedDifference(greenB, partnerB));
            Vector512.ConditionalSelect(invalid, noData, score).StoreUnsafe(ref scores0, (nuint)x);
        }
        return x;
    }

    /// <summary>Vector512 twin of the scalar <see cref="NormalizedDifference(float, float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> NormalizedDifference(Vector512<float> u, Vector512<float> v)
    {
        u = Vector512.MaxNative(u, Vector512<float>.Zero);
        v = Vector512.MaxNative(v, Vector512<float>.Zero);
        var den = u + v;
        return Vector512.ConditionalSelect(Vector512.Equals(den, Vector512<float>.Zero), Vector512<float>.Zero, (u - v) / den);
    }

    /// <summary>Whole Vector256 blocks of floats from pixel 0; returns the first pixel left for the scalar path.</summary>
    private static int Vector256Core(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        int lanes = Vector256<float>.Count;
        int bands = options.BandCount;
        float[] gains = options.Gains, offsets = options.Offsets, scales = options.Scales;
        int red = options.RedIndex, nir = options.NirIndex, green = options.GreenIndex, partner = options.WaterPartnerIndex;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex;
        bool checkBefore = options.BeforeNoData.HasValue, checkAfter = options.AfterNoData.HasValue;
        // A uint16 converts to float exactly, so comparing in float is comparing the samples.
        var beforeNoData = Vector256.Create((float)options.BeforeNoData.GetValueOrDefault());
        var afterNoData = Vector256.Create((float)options.AfterNoData.GetValueOrDefault());
        var ndviWeight = Vector256.Create(options.NdviWeight);
        var waterWeight = Vector256.Create(options.WaterWeight);
        var noData = Vector256.Create(NoDataScore);

        ref ushort before0 = ref MemoryMarshal.GetReference(before);
        ref ushort after0 = ref MemoryMarshal.GetReference(after);
        ref float scores0 = ref MemoryMarshal.GetReference(scores);

        int x = 0;
        for (; x <= width - lanes; x += lanes)
        {
            var sum = Vector256<float>.Zero;
            var invalid = Vector256<float>.Zero;
            Vector256<float> redB = default, redA = default, nirB = default, nirA = default;
            Vector256<float> greenB = default, greenA = default, partnerB = default, partnerA = default;
            nuint i = (nuint)x;
            for (int band = 0; band < bands; band++, i += (nuint)bandStride)
            {
                var b = LoadVector256(ref before0, i);
                var a = LoadVector256(ref after0, i);
                if (checkBefore) invalid |= Vector256.Equals(b, beforeNoData);
                if (checkAfter) invalid |= Vector256.Equals(a, afterNoData);
                a = Vector256.Create(gains[band]) * a + Vector256.Create(offsets[band]);
                var d = (a - b) * Vector256.Create(scales[band]);
                sum += d * d;
                if (band == red) { redB = b; redA = a; }
                if (band == nir) { nirB = b; nirA = a; }
                if (band == green) { greenB = b; greenA = a; }
                if (band == partner) { partnerB = b; partnerA = a; }
            }
            var score = Vector256.Sqrt(sum);
            if (ndvi) score += ndviWeight * Vector256.Abs(NormalizedDifference(nirA, redA) - NormalizedDifference(nirB, redB));
            if (water) score += waterWeight * Vector256.Abs(NormalizedDifference(greenA, partnerA) - NormalizedDifference(greenB, partnerB));
            Vector256.ConditionalSelect(invalid, noData, score).StoreUnsafe(ref scores0, (nuint)x);
        }
        return x;
    }

    /// <summary>Vector256 twin of the scalar <see cref="NormalizedDifference(float, float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> NormalizedDifference(Vector256<float> u, Vector256<float> v)
    {
        u = Vector256.MaxNative(u, Vector256<float>.Zero);
        v = Vector256.MaxNative(v, Vector256<float>.Zero);
        var den = u + v;
        return Vector256.ConditionalSelect(Vector256.Equals(den, Vector256<float>.Zero), Vector256<float>.Zero, (u - v) / den);
    }

    /// <summary>Whole Vector128 blocks of floats from pixel 0; returns the first pixel left for the scalar path.</summary>
    private static int Vector128Core(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int width, int bandStride, ChangeKernelOptions options, Span<float> scores)
    {
        int lanes = Vector128<float>.Count;
        int bands = options.BandCount;
        float[] gains = options.Gains, offsets = options.Offsets, scales = options.Scales;
        int red = options.RedIndex, nir = options.NirIndex, green = options.GreenIndex, partner = options.WaterPartnerIndex;
        bool ndvi = options.UsesNdvi, water = options.UsesWaterIndex;
        bool checkBefore = options.BeforeNoData.HasValue, checkAfter = options.AfterNoData.HasValue;
        // A uint16 converts to float exactly, so comparing in float is comparing the samples.
        var beforeNoData = Vector128.Create((float)options.BeforeNoData.GetValueOrDefault());
        var afterNoData = Vector128.Create((float)options.AfterNoData.GetValueOrDefault());
        var ndviWeight = Vector128.Create(options.NdviWeight);
        var waterWeight = Vector128.Create(options.WaterWeight);
        var noData = Vector128.Create(NoDataScore);

        ref ushort before0 = ref MemoryMarshal.GetReference(before);
        ref ushort after0 = ref MemoryMarshal.GetReference(after);
        ref float scores0 = ref MemoryMarshal.GetReference(scores);

        int x = 0;
        for (; x <= width - lanes; x += lanes)
        {
            var sum = Vector128<float>.Zero;
            var invalid = Vector128<float>.Zero;
            Vector128<float> redB = default, redA = default, nirB = default, nirA = default;
            Vector128<float> greenB = default, greenA = default, partnerB = default, partnerA = default;
            nuint i = (nuint)x;
            for (int band = 0; band < bands; band++, i += (nuint)bandStride)
            {
                var b = LoadVector128(ref before0, i);
                var a = LoadVector128(ref after0, i);
                if (checkBefore) invalid |= Vector128.Equals(b, beforeNoData);
                if (checkAfter) invalid |= Vector128.Equals(a, afterNoData);
                a = Vector128.Create(gains[band]) * a + Vector128.Create(offsets[band]);
                var d = (a - b) * Vector128.Create(scales[band]);
                sum += d * d;
                if (band == red) { redB = b; redA = a; }
                if (band == nir) { nirB = b; nirA = a; }
                if (band == green) { greenB = b; greenA = a; }
                if (band == partner) { partnerB = b; partnerA = a; }
            }
            var score = Vector128.Sqrt(sum);
            if (ndvi) score += ndviWeight * Vector128.Abs(NormalizedDifference(nirA, redA) - NormalizedDifference(nirB, redB));
            if (water) score += waterWeight * Vector128.Abs(NormalizedDifference(greenA, partnerA) - NormalizedDifference(greenB, partnerB));
            Vector128.ConditionalSelect(invalid, noData, score).StoreUnsafe(ref scores0, (nuint)x);
        }
        return x;
    }

    /// <summary>Vector128 twin of the scalar <see cref="NormalizedDifference(float, float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> NormalizedDifference(Vector128<float> u, Vector128<float> v)
    {
        u = Vector128.MaxNative(u, Vector128<float>.Zero);
        v = Vector128.MaxNative(v, Vector128<float>.Zero);
        var den = u + v;
        return Vector128.ConditionalSelect(Vector128.Equals(den, Vector128<float>.Zero), Vector128<float>.Zero, (u - v) / den);
    }
}
