using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ChangeDetection.Kernels;

/// <summary>
/// The histogram pass's per-pixel steps around the box mean and the change kernel: the flags of a tile from its validity,
/// and the no-data scores of its invalid pixels. Each has a vector path (<see cref="Vector{T}"/> of bytes, 32 pixels a step
/// on AVX2) and a scalar twin that the tests compare it with; both give the same bytes.
/// </summary>
internal static class HistogramPassKernels
{
    /// <summary><paramref name="flags"/>[i] = <paramref name="validFlag"/> where <paramref name="valid"/>[i] ≠ 0, else 0.</summary>
    public static void FlagsOfValid(ReadOnlySpan<byte> valid, byte validFlag, Span<byte> flags) =>
        FlagsOfValid(valid, validFlag, flags, Vector.IsHardwareAccelerated);

    /// <summary>As the public overload; <paramref name="vectors"/> false runs the scalar twin.</summary>
    internal static void FlagsOfValid(ReadOnlySpan<byte> valid, byte validFlag, Span<byte> flags, bool vectors)
    {
        int n = valid.Length, i = 0;
        if (flags.Length < n) throw new ArgumentException($"{n} validity bytes need as many flags; got {flags.Length}.", nameof(flags));
        if (vectors)
        {
            ref byte v0 = ref MemoryMarshal.GetReference(valid);
            ref byte f0 = ref MemoryMarshal.GetReference(flags);
            var flag = new Vector<byte>(validFlag);
            for (; i <= n - Vector<byte>.Count; i += Vector<byte>.Count)
                Vector.AndNot(flag, Vector.Equals(Vector.LoadUnsafe(ref v0, (nuint)i), Vector<byte>.Zero)).StoreUnsafe(ref f0, (nuint)i);
        }
        for (; i < n; i++) flags[i] = valid[i] == 0 ? (byte)0 : validFlag;
    }

    /// <summary><paramref name="scores"/>[i] = <paramref name="noData"/> where <paramref name="valid"/>[i] = 0; the others stay.</summary>
    public static void FillInvalid(Span<float> scores, ReadOnlySpan<byte> valid, float noData) =>
        FillInvalid(scores, valid, noData, Vector.IsHardwareAccelerated);

    /// <summary>As the public overload; <paramref name="vectors"/> false runs the scalar twin.</summary>
    internal static void FillInvalid(Span<float> scores, ReadOnlySpan<byte> valid, float noData, bool vectors)
    {
        int n = scores.Length, i = 0;
        if (valid.Length < n) throw new ArgumentException($"{n} scores need as many validity bytes; got {valid.Length}.", nameof(valid));
        if (vectors)
        {
            ref byte v0 = ref MemoryMarshal.GetReference(valid);
            ref float s0 = ref MemoryMarshal.GetReference(scores);
            var fill = new Vector<float>(noData);
            int step = Vector<byte>.Count;
            for (; i <= n - step; i += step)
            {
                var invalid = Vector.Equals(Vector.LoadUnsafe(ref v0, (nuint)i), Vector<byte>.Zero);
                // Mostly all valid: skip the 32 pixels' four float vectors then.
                if (invalid == Vector<byte>.Zero) continue;
                // The byte lanes (0 or all ones) widened twice with their sign give each float lane its own all-ones or zero
                // mask (widened unsigned, 0xFF would become 0x000000FF: a select of a few bits only).
                Vector.Widen(Vector.AsVectorSByte(invalid), out Vector<short> w0, out Vector<short> w1);
                Select(ref s0, i, w0, fill);
                Select(ref s0, i + Vector<short>.Count, w1, fill);
            }
        }
        for (; i < n; i++)
            if (valid[i] == 0) scores[i] = noData;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Select(ref float s0, int i, Vector<short> mask, Vector<float> fill)
    {
        Vector.Widen(mask, out Vector<int> m0, out Vector<int> m1);
        nuint at = (nuint)i, next = (nuint)(i + Vector<float>.Count);
        Vector.ConditionalSelect(m0, fill, Vector.LoadUnsafe(ref s0, at)).StoreUnsafe(ref s0, at);
        Vector.ConditionalSelect(m1, fill, Vector.LoadUnsafe(ref s0, next)).StoreUnsafe(ref s0, next);
    }
}
