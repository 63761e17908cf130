using System.Buffers;
using System.Numerics;

namespace ChangeDetection.Kernels;

/// <summary>
/// Mean of each band over a (2r+1) × (2r+1) square, counting only valid pixels, in place on a
/// band-sequential uint16 window. Applied to both dates before differencing, it absorbs
/// sub-pixel misregistration and sensor noise, the main sources of false change at edges.
/// </summary>
/// <remarks>
/// Separable running sums make the cost independent of r. The row pass is scalar (the running sum is a
/// sequential dependency along each row); the column pass adds and subtracts whole rows of integer sums
/// with vectors. Both run on exact integer sums, so the result does not depend on the path.
/// Squares are clipped to the window, so a window read with a halo of r around its core gives the
/// core exactly the values a whole-image pass would.
/// </remarks>
internal static class BoxMean
{
    public static void Apply(Span<ushort> bands, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius)
    {
        if (radius <= 0) return;
        int n = width * height;
        // Integer sums: a square holds at most (2·16 + 1)² = 1 089 values below 2¹⁶, so every sum stays below 2³¹, and
        // the mean of exact integer sums is the one the double sums gave, bit for bit, at a third of the memory traffic.
        int[] sums = ArrayPool<int>.Shared.Rent(n);
        int[] counts = ArrayPool<int>.Shared.Rent(n);
        int[] horizontal = ArrayPool<int>.Shared.Rent(n);
        try
        {
            // Valid counts do not depend on the band: compute the column pass of counts once.
            for (int y = 0; y < height; y++)
                RunningSum(valid.Slice(y * width, width), radius, horizontal.AsSpan(y * width, width));
            BoxColumns(horizontal.AsSpan(0, n), width, height, radius, counts.AsSpan(0, n));

            for (int b = 0; b < bandCount; b++)
            {
                var band = bands.Slice(b * n, n);
                for (int y = 0; y < height; y++)
                    RowSums(band.Slice(y * width, width), valid.Slice(y * width, width), radius, horizontal.AsSpan(y * width, width));
                BoxColumns(horizontal.AsSpan(0, n), width, height, radius, sums.AsSpan(0, n));
                for (int i = 0; i < n; i++)
                    if (valid[i] != 0 && counts[i] > 0)
                        band[i] = (ushort)Math.Min(65535, Math.Round((double)sums[i] / counts[i]));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(sums);
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<int>.Shared.Return(horizontal);
        }
    }

    /// <summary>Running sum of the valid values of one row over [x − r, x + r], clipped to the row.</summary>
    private static void RowSums(ReadOnlySpan<ushort> row, ReadOnlySpan<byte> v, int radius, Span<int> result)
    {
        int width = row.Length, acc = 0;
        for (int x = 0; x < Math.Min(radius, width); x++) acc += v[x] != 0 ? row[x] : 0;
        for (int x = 0; x < width; x++)
        {
            int add = x + radius, sub = x - radius - 1;
            if (add < width && v[add] != 0) acc += row[add];
            if (sub >= 0 && v[sub] != 0) acc -= row[sub];
            result[x] = acc;
        }
    }

    private static void RunningSum(ReadOnlySpan<byte> valid, int radius, Span<int> result)
    {
        int width = valid.Length, acc = 0;
        for (int x = 0; x < Math.Min(radius, width); x++) acc += valid[x] != 0 ? 1 : 0;
        for (int x = 0; x < width; x++)
        {
            int add = x + radius, sub = x - radius - 1;
            if (add < width && valid[add] != 0) acc++;
            if (sub >= 0 && valid[sub] != 0) acc--;
            result[x] = acc;
        }
    }

    /// <summary>Column pass: each row of <paramref name="result"/> is the sum of rows [y − r, y + r] of <paramref name="source"/>, clipped.</summary>
    private static void BoxColumns(ReadOnlySpan<int> source, int width, int height, int radius, Span<int> result)
    {
        int[] rented = ArrayPool<int>.Shared.Rent(width);
        var acc = rented.AsSpan(0, width);
        acc.Clear();
        try
        {
            for (int y = 0; y < Math.Min(radius, height); y++) Add(acc, source.Slice(y * width, width));
            for (int y = 0; y < height; y++)
            {
                int add = y + radius, sub = y - radius - 1;
                if (add < height) Add(acc, source.Slice(add * width, width));
                if (sub >= 0) Subtract(acc, source.Slice(sub * width, width));
                acc.CopyTo(result.Slice(y * width, width));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    // Whole rows of int, a vector at a time: the column pass is most of the work and has no dependency along the row.
    private static void Add(Span<int> acc, ReadOnlySpan<int> row)
    {
        int x = 0;
        if (Vector.IsHardwareAccelerated)
            for (; x <= acc.Length - Vector<int>.Count; x += Vector<int>.Count)
                (new Vector<int>(acc[x..]) + new Vector<int>(row[x..])).CopyTo(acc[x..]);
        for (; x < acc.Length; x++) acc[x] += row[x];
    }

    private static void Subtract(Span<int> acc, ReadOnlySpan<int> row)
    {
        int x = 0;
        if (Vector.IsHardwareAccelerated)
            for (; x <= acc.Length - Vector<int>.Count; x += Vector<int>.Count)
                (new Vector<int>(acc[x..]) - new Vector<int>(row[x..])).CopyTo(acc[x..]);
        for (; x < acc.Length; x++) acc[x] -= row[x];
    }
}
