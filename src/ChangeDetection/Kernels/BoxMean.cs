using System.Buffers;
using System.Numerics;

namespace ChangeDetection.Kernels;

/// <summary>
/// Mean of each band over a (2r+1) × (2r+1) square, counting only valid pixels, in place on a
/// band-sequential uint16 window. Applied to both dates before differencing, it absorbs
/// sub-pixel misregistration and sensor noise, the main sources of false change at edges.
/// </summary>
/// <remarks>
/// Separable sums on exact integers, so the result does not depend on the path. The row pass sums each row's
/// masked values (0 where invalid) from a copy padded with r zeros on either side, which clips the square to the
/// window without a branch per pixel: with vectors, 2r + 1 shifted loads a vector of pixels (r ≤
/// <see cref="MaxVectorRowRadius"/>), else a running sum. The column pass adds and subtracts whole rows and turns
/// each finished row into means at once (no plane of sums is stored), with vectors a row segment at a time.
/// Squares are clipped to the window, so a window read with a halo of r around its core gives the
/// core exactly the values a whole-image pass would. <see cref="Apply(Span{ushort}, int, int, int, ReadOnlySpan{byte}, int, bool)"/>
/// without vectors is the scalar twin the tests compare the vector path with.
/// </remarks>
internal static class BoxMean
{
    /// <summary>Largest radius whose row pass sums shifted vectors (2r + 1 loads); wider squares take the running sum.</summary>
    private const int MaxVectorRowRadius = 4;

    /// <summary>1.5 · 2⁵²: a double in [0, 2⁵¹) added to it lands on an integer ulp, rounded to nearest, ties to even (as <see cref="Math.Round(double)"/>).</summary>
    private const double RoundingBias = 6755399441055744.0;

    public static void Apply(Span<ushort> bands, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius) =>
        Apply(bands, bandCount, width, height, valid, radius, Vector.IsHardwareAccelerated);

    /// <summary>As the public overload; <paramref name="vectors"/> false runs the scalar twin.</summary>
    internal static void Apply(Span<ushort> bands, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius, bool vectors)
    {
        if (radius <= 0) return;
        int n = width * height;
        // Integer sums: a square holds at most (2·16 + 1)² = 1 089 values below 2¹⁶, so every sum stays below 2³¹, and
        // the mean of exact integer sums is the one the double sums gave, bit for bit.
        int[] counts = ArrayPool<int>.Shared.Rent(n);
        int[] horizontal = ArrayPool<int>.Shared.Rent(n);
        int[] padded = ArrayPool<int>.Shared.Rent(width + 2 * radius);
        int[] column = ArrayPool<int>.Shared.Rent(width);
        var pad = padded.AsSpan(0, width + 2 * radius);
        pad.Clear();
        try
        {
            // Valid counts do not depend on the band: one row and column pass for all bands.
            for (int y = 0; y < height; y++)
            {
                var v = valid.Slice(y * width, width);
                for (int x = 0; x < width; x++) pad[radius + x] = v[x] != 0 ? 1 : 0;
                RowSums(pad, radius, horizontal.AsSpan(y * width, width), vectors);
            }
            ColumnSums(horizontal.AsSpan(0, n), width, height, radius, column.AsSpan(0, width), counts.AsSpan(0, n), vectors);
            // A zero count marks a pixel that keeps its value (invalid pixels are not smoothed; a valid one counts itself).
            for (int i = 0; i < n; i++)
                if (valid[i] == 0) counts[i] = 0;

            for (int b = 0; b < bandCount; b++)
            {
                var band = bands.Slice(b * n, n);
                for (int y = 0; y < height; y++)
                {
                    var row = band.Slice(y * width, width);
                    var v = valid.Slice(y * width, width);
                    Masked(row, v, pad[radius..], vectors);
                    RowSums(pad, radius, horizontal.AsSpan(y * width, width), vectors);
                }
                ColumnMeans(horizontal.AsSpan(0, n), counts.AsSpan(0, n), band, width, height, radius, column.AsSpan(0, width), vectors);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<int>.Shared.Return(horizontal);
            ArrayPool<int>.Shared.Return(padded);
            ArrayPool<int>.Shared.Return(column);
        }
    }

    /// <summary><paramref name="into"/>[x] = <paramref name="row"/>[x] where <paramref name="valid"/>[x] ≠ 0, else 0.</summary>
    private static void Masked(ReadOnlySpan<ushort> row, ReadOnlySpan<byte> valid, Span<int> into, bool vectors)
    {
        int x = 0;
        if (vectors)
        {
            // A vector of validity bytes covers two vectors of uint16 values and four of int sums.
            int u = Vector<ushort>.Count, i32 = Vector<int>.Count;
            for (; x <= row.Length - Vector<byte>.Count; x += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(valid[x..]), out Vector<ushort> v0, out Vector<ushort> v1);
                var m0 = new Vector<ushort>(row[x..]) & ~Vector.Equals(v0, Vector<ushort>.Zero);
                var m1 = new Vector<ushort>(row[(x + u)..]) & ~Vector.Equals(v1, Vector<ushort>.Zero);
                Vector.Widen(m0, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(m1, out Vector<uint> c, out Vector<uint> d);
                Vector.AsVectorInt32(a).CopyTo(into[x..]);
                Vector.AsVectorInt32(b).CopyTo(into[(x + i32)..]);
                Vector.AsVectorInt32(c).CopyTo(into[(x + 2 * i32)..]);
                Vector.AsVectorInt32(d).CopyTo(into[(x + 3 * i32)..]);
            }
        }
        for (; x < row.Length; x++) into[x] = valid[x] != 0 ? row[x] : 0;
    }

    /// <summary>
    /// <paramref name="result"/>[x] = the sum of <paramref name="padded"/>[x .. x + 2r], i.e. of the row's masked values
    /// over [x − r, x + r] clipped to the row (the padding is zero).
    /// </summary>
    private static void RowSums(ReadOnlySpan<int> padded, int radius, Span<int> result, bool vectors)
    {
        int width = result.Length, taps = 2 * radius + 1, x = 0;
        if (vectors && radius <= MaxVectorRowRadius)
        {
            // No dependency along the row: 2r + 1 unaligned loads and adds per vector of pixels.
            for (; x <= width - Vector<int>.Count; x += Vector<int>.Count)
            {
                var acc = new Vector<int>(padded[x..]);
                for (int d = 1; d < taps; d++) acc += new Vector<int>(padded[(x + d)..]);
                acc.CopyTo(result[x..]);
            }
            for (; x < width; x++)
            {
                int sum = 0;
                for (int d = 0; d < taps; d++) sum += padded[x + d];
                result[x] = sum;
            }
            return;
        }
        int running = 0;
        for (int d = 0; d < taps - 1; d++) running += padded[d];
        for (; x < width; x++)
        {
            running += padded[x + taps - 1];
            result[x] = running;
            running -= padded[x];
        }
    }

    /// <summary>Column pass: each row of <paramref name="result"/> is the sum of rows [y − r, y + r] of <paramref name="source"/>, clipped.</summary>
    private static void ColumnSums(ReadOnlySpan<int> source, int width, int height, int radius, Span<int> acc, Span<int> result, bool vectors)
    {
        acc.Clear();
        for (int y = 0; y < Math.Min(radius, height); y++) Add(acc, source.Slice(y * width, width), vectors);
        for (int y = 0; y < height; y++)
        {
            Slide(acc, source, width, height, radius, y, vectors);
            acc.CopyTo(result.Slice(y * width, width));
        }
    }

    /// <summary>
    /// Column pass that ends in the means: once the sums of row y are complete, each pixel of the row with a non-zero
    /// count becomes round(sum / count) (to even, as <see cref="Math.Round(double)"/>); a zero count leaves it as it is.
    /// </summary>
    private static void ColumnMeans(ReadOnlySpan<int> source, ReadOnlySpan<int> counts, Span<ushort> band, int width, int height, int radius, Span<int> acc, bool vectors)
    {
        acc.Clear();
        for (int y = 0; y < Math.Min(radius, height); y++) Add(acc, source.Slice(y * width, width), vectors);
        for (int y = 0; y < height; y++)
        {
            Slide(acc, source, width, height, radius, y, vectors);
            Means(acc, counts.Slice(y * width, width), band.Slice(y * width, width), vectors);
        }
    }

    /// <summary>Moves the column sums <paramref name="acc"/> from row y − 1's square to row y's.</summary>
    private static void Slide(Span<int> acc, ReadOnlySpan<int> source, int width, int height, int radius, int y, bool vectors)
    {
        int add = y + radius, sub = y - radius - 1;
        if (add < height) Add(acc, source.Slice(add * width, width), vectors);
        if (sub >= 0) Subtract(acc, source.Slice(sub * width, width), vectors);
    }

    private static void Means(ReadOnlySpan<int> sums, ReadOnlySpan<int> counts, Span<ushort> row, bool vectors)
    {
        int x = 0;
        if (vectors)
        {
            // Two vectors of int sums give one vector of uint16 means; the division is in double, as the scalar's.
            int half = Vector<int>.Count;
            for (; x <= row.Length - Vector<ushort>.Count; x += Vector<ushort>.Count)
            {
                var c0 = new Vector<int>(counts[x..]);
                var c1 = new Vector<int>(counts[(x + half)..]);
                Vector.Widen(new Vector<ushort>(row[x..]), out Vector<uint> old0, out Vector<uint> old1);
                var m0 = Vector.ConditionalSelect(Vector.Equals(c0, Vector<int>.Zero), Vector.AsVectorInt32(old0), Quotient(new Vector<int>(sums[x..]), c0));
                var m1 = Vector.ConditionalSelect(Vector.Equals(c1, Vector<int>.Zero), Vector.AsVectorInt32(old1), Quotient(new Vector<int>(sums[(x + half)..]), c1));
                // Means of uint16 values are at most 65 535: the narrowing keeps them whole.
                Vector.Narrow(Vector.AsVectorUInt32(m0), Vector.AsVectorUInt32(m1)).CopyTo(row[x..]);
            }
        }
        for (; x < row.Length; x++)
            if (counts[x] != 0)
                row[x] = (ushort)Math.Min(65535, Math.Round((double)sums[x] / counts[x]));
    }

    /// <summary>round(s / c) to even, per lane, through double (lanes with c = 0 hold garbage: the caller masks them).</summary>
    private static Vector<int> Quotient(Vector<int> s, Vector<int> c)
    {
        Vector.Widen(s, out Vector<long> s0, out Vector<long> s1);
        Vector.Widen(c, out Vector<long> c0, out Vector<long> c1);
        var bias = new Vector<double>(RoundingBias);
        // s / c is the correctly rounded double Math.Round sees; adding the bias rounds it to an integer (ties to even)
        // in the low bits of the sum, which the subtraction of the bias's bits leaves.
        var q0 = Vector.AsVectorInt64(Vector.ConvertToDouble(s0) / Vector.ConvertToDouble(c0) + bias) - Vector.AsVectorInt64(bias);
        var q1 = Vector.AsVectorInt64(Vector.ConvertToDouble(s1) / Vector.ConvertToDouble(c1) + bias) - Vector.AsVectorInt64(bias);
        return Vector.Narrow(q0, q1);
    }

    // Whole rows of int, a vector at a time: no dependency along the row.
    private static void Add(Span<int> acc, ReadOnlySpan<int> row, bool vectors)
    {
        int x = 0;
        if (vectors)
            for (; x <= acc.Length - Vector<int>.Count; x += Vector<int>.Count)
                (new Vector<int>(acc[x..]) + new Vector<int>(row[x..])).CopyTo(acc[x..]);
        for (; x < acc.Length; x++) acc[x] += row[x];
    }

    private static void Subtract(Span<int> acc, ReadOnlySpan<int> row, bool vectors)
    {
        int x = 0;
        if (vectors)
            for (; x <= acc.Length - Vector<int>.Count; x += Vector<int>.Count)
                (new Vector<int>(acc[x..]) - new Vector<int>(row[x..])).CopyTo(acc[x..]);
        for (; x < acc.Length; x++) acc[x] -= row[x];
    }
}
