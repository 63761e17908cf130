namespace ChangeDetection.Kernels;

/// <summary>
/// Mean of each band over a (2r+1) × (2r+1) square, counting only valid pixels, in place on a
/// band-sequential uint16 window. Applied to both dates before differencing, it absorbs
/// sub-pixel misregistration and sensor noise, the main sources of false change at edges.
/// </summary>
/// <remarks>
/// Separable running sums make the cost independent of r. Scalar on purpose: the running sum is
/// a sequential dependency along each row, and this pass costs far less than decoding the tile.
/// Squares are clipped to the window, so a window read with a halo of r around its core gives the
/// core exactly the values a whole-image pass would.
/// </remarks>
internal static class BoxMean
{
    public static void Apply(Span<ushort> bands, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius)
    {
        if (radius <= 0) return;
        int n = width * height;
        var sums = new double[n];
        var counts = new int[n];
        var rowSum = new double[width];
        var rowCount = new int[width];

        // Valid counts do not depend on the band: compute the column pass of counts once.
        var countH = new int[n];
        for (int y = 0; y < height; y++)
            RunningSum(valid.Slice(y * width, width), radius, countH.AsSpan(y * width, width));
        BoxColumns(countH, width, height, radius, counts);

        var horizontal = new double[n];
        for (int b = 0; b < bandCount; b++)
        {
            var band = bands.Slice(b * n, n);
            for (int y = 0; y < height; y++)
            {
                var row = band.Slice(y * width, width);
                var v = valid.Slice(y * width, width);
                double acc = 0;
                // Running sum of valid values along the row, window [x-r, x+r] clipped.
                for (int x = 0; x < Math.Min(radius, width); x++) acc += v[x] != 0 ? row[x] : 0;
                for (int x = 0; x < width; x++)
                {
                    int add = x + radius, sub = x - radius - 1;
                    if (add < width && v[add] != 0) acc += row[add];
                    if (sub >= 0 && v[sub] != 0) acc -= row[sub];
                    horizontal[y * width + x] = acc;
                }
            }
            BoxColumns(horizontal, width, height, radius, sums);
            for (int i = 0; i < n; i++)
                if (valid[i] != 0 && counts[i] > 0)
                    band[i] = (ushort)Math.Min(65535, Math.Round(sums[i] / counts[i]));
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

    private static void BoxColumns<T>(ReadOnlySpan<T> source, int width, int height, int radius, Span<T> result)
        where T : struct, System.Numerics.INumber<T>
    {
        var acc = new T[width];
        for (int y = 0; y < Math.Min(radius, height); y++)
            for (int x = 0; x < width; x++) acc[x] += source[y * width + x];
        for (int y = 0; y < height; y++)
        {
            int add = y + radius, sub = y - radius - 1;
            if (add < height) for (int x = 0; x < width; x++) acc[x] += source[add * width + x];
            if (sub >= 0) for (int x = 0; x < width; x++) acc[x] -= source[sub * width + x];
            acc.AsSpan().CopyTo(result.Slice(y * width, width));
        }
    }
}
