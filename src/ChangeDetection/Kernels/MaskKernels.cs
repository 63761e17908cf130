using System.Numerics;
using ChangeDetection.Raster;

namespace ChangeDetection.Kernels;

/// <summary>
/// The mask pass's per-pixel steps around the morphology: the threshold of the stored scores into a 0/1/255 mask, and the
/// vegetation rules applied to the filtered mask while its core is cut out. Each has a vector path (<see cref="Vector{T}"/>
/// of bytes, 32 pixels a step on AVX2) and a scalar twin that the tests compare it with; both give the same bytes.
/// </summary>
internal static class MaskKernels
{
    /// <summary>
    /// The thresholded mask: <see cref="MaskValues.NoData"/> where <paramref name="flags"/> lacks <paramref name="validBit"/>,
    /// <see cref="MaskValues.Change"/> where the score is above <paramref name="threshold"/> (a NaN score never is) and the
    /// flags lack <paramref name="vegetatedBit"/>, else <see cref="MaskValues.Background"/>.
    /// </summary>
    /// <param name="scores">Change scores (score units of the kernel), one per pixel.</param>
    /// <param name="flags">Flag bits, one byte per pixel (<c>TileScoreStore</c>'s).</param>
    /// <param name="threshold">The global threshold (score units).</param>
    /// <param name="validBit">Flag bit: data in both dates.</param>
    /// <param name="vegetatedBit">Flag bit: vegetated on both dates (never change).</param>
    /// <param name="mask">The result, as long as <paramref name="scores"/>.</param>
    public static void Threshold(ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, float threshold, byte validBit, byte vegetatedBit, Span<byte> mask) =>
        Threshold(scores, flags, threshold, validBit, vegetatedBit, mask, Vector.IsHardwareAccelerated);

    /// <summary>As <see cref="Threshold(ReadOnlySpan{float}, ReadOnlySpan{byte}, float, byte, byte, Span{byte})"/>; <paramref name="vectors"/> false runs the scalar twin.</summary>
    internal static void Threshold(ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, float threshold, byte validBit, byte vegetatedBit, Span<byte> mask, bool vectors)
    {
        int n = scores.Length;
        if (flags.Length < n || mask.Length < n) throw new ArgumentException($"{n} scores need as many flags and mask bytes; got {flags.Length} and {mask.Length}.");
        int i = 0;
        if (vectors)
        {
            int step = Vector<byte>.Count, floats = Vector<float>.Count;
            var limit = new Vector<float>(threshold);
            var valid = new Vector<byte>(validBit);
            var vegetated = new Vector<byte>(vegetatedBit);
            var change = new Vector<byte>(MaskValues.Change);
            var noData = new Vector<byte>(MaskValues.NoData);
            for (; i <= n - step; i += step)
            {
                // Four float comparisons (all-ones lanes) narrowed to one byte lane each: int → short → sbyte keeps −1 and 0.
                var s = scores.Slice(i, step);
                var g0 = Vector.GreaterThan(new Vector<float>(s), limit);
                var g1 = Vector.GreaterThan(new Vector<float>(s[floats..]), limit);
                var g2 = Vector.GreaterThan(new Vector<float>(s[(2 * floats)..]), limit);
                var g3 = Vector.GreaterThan(new Vector<float>(s[(3 * floats)..]), limit);
                var above = Vector.AsVectorByte(Vector.Narrow(Vector.Narrow(g0, g1), Vector.Narrow(g2, g3)));
                var f = new Vector<byte>(flags.Slice(i, step));
                var notVegetated = Vector.Equals(f & vegetated, Vector<byte>.Zero);
                var result = Vector.ConditionalSelect(Vector.Equals(f & valid, Vector<byte>.Zero), noData, above & notVegetated & change);
                result.CopyTo(mask[i..]);
            }
        }
        for (; i < n; i++)
            mask[i] = (flags[i] & validBit) == 0 ? MaskValues.NoData
                : scores[i] > threshold && (flags[i] & vegetatedBit) == 0 ? MaskValues.Change : MaskValues.Background;
    }

    /// <summary>
    /// The vegetation rules on a filtered mask (0/1/255), into <paramref name="result"/>: change on ground flagged
    /// <paramref name="vegetatedBit"/> becomes <see cref="MaskValues.Background"/> (the closing must not fill gaps with
    /// vegetation), then change flagged <paramref name="greeningBit"/> becomes <see cref="MaskValues.ChangeVegetationGain"/>;
    /// every other value is copied. Per pixel, so a caller may apply it to a part of the mask (a tile's core) only.
    /// </summary>
    /// <param name="mask">The filtered mask.</param>
    /// <param name="flags">Flag bits, one byte per pixel.</param>
    /// <param name="vegetatedBit">Flag bit: vegetated on both dates.</param>
    /// <param name="greeningBit">Flag bit: the vegetation index rose.</param>
    /// <param name="result">As long as <paramref name="mask"/>; may be <paramref name="mask"/> itself.</param>
    public static void Vegetation(ReadOnlySpan<byte> mask, ReadOnlySpan<byte> flags, byte vegetatedBit, byte greeningBit, Span<byte> result) =>
        Vegetation(mask, flags, vegetatedBit, greeningBit, result, Vector.IsHardwareAccelerated);

    /// <summary>As <see cref="Vegetation(ReadOnlySpan{byte}, ReadOnlySpan{byte}, byte, byte, Span{byte})"/>; <paramref name="vectors"/> false runs the scalar twin.</summary>
    internal static void Vegetation(ReadOnlySpan<byte> mask, ReadOnlySpan<byte> flags, byte vegetatedBit, byte greeningBit, Span<byte> result, bool vectors)
    {
        int n = mask.Length;
        if (flags.Length < n || result.Length < n) throw new ArgumentException($"{n} mask bytes need as many flags and results; got {flags.Length} and {result.Length}.");
        int i = 0;
        if (vectors)
        {
            int step = Vector<byte>.Count;
            var vegetated = new Vector<byte>(vegetatedBit);
            var greening = new Vector<byte>(greeningBit);
            var change = new Vector<byte>(MaskValues.Change);
            var gain = new Vector<byte>(MaskValues.ChangeVegetationGain);
            var noData = new Vector<byte>(MaskValues.NoData);
            for (; i <= n - step; i += step)
            {
                var m = new Vector<byte>(mask.Slice(i, step));
                var f = new Vector<byte>(flags.Slice(i, step));
                var isChange = ~(Vector.Equals(m, Vector<byte>.Zero) | Vector.Equals(m, noData));
                var cleared = Vector.AndNot(m, isChange & ~Vector.Equals(f & vegetated, Vector<byte>.Zero));
                var gained = Vector.Equals(cleared, change) & ~Vector.Equals(f & greening, Vector<byte>.Zero);
                Vector.ConditionalSelect(gained, gain, cleared).CopyTo(result[i..]);
            }
        }
        for (; i < n; i++)
        {
            byte m = mask[i];
            if (m != MaskValues.Background && m != MaskValues.NoData && (flags[i] & vegetatedBit) != 0) m = MaskValues.Background;
            if (m == MaskValues.Change && (flags[i] & greeningBit) != 0) m = MaskValues.ChangeVegetationGain;
            result[i] = m;
        }
    }

    /// <summary>1 where <paramref name="flags"/> has <paramref name="bit"/>, else 0 (a validity plane from flag bytes).</summary>
    public static void ValidOf(ReadOnlySpan<byte> flags, byte bit, Span<byte> valid) => ValidOf(flags, bit, valid, Vector.IsHardwareAccelerated);

    /// <summary><see cref="ValidOf(ReadOnlySpan{byte}, byte, Span{byte})"/> with the vector path on or off (the scalar loop is the reference).</summary>
    internal static void ValidOf(ReadOnlySpan<byte> flags, byte bit, Span<byte> valid, bool vectors)
    {
        int n = flags.Length;
        if (valid.Length < n) throw new ArgumentException($"{n} flags need as many validity bytes; got {valid.Length}.");
        int i = 0;
        if (vectors)
        {
            var mask = new Vector<byte>(bit);
            for (int step = Vector<byte>.Count; i <= n - step; i += step)
                (~Vector.Equals(new Vector<byte>(flags[i..]) & mask, Vector<byte>.Zero) & Vector<byte>.One).CopyTo(valid[i..]);
        }
        for (; i < n; i++) valid[i] = (flags[i] & bit) != 0 ? (byte)1 : (byte)0;
    }
}
