namespace ChangeDetection.Vectorization;

/// <summary>
/// Labels the 4-connected pieces of one value in a small raster (a tile's core), row-major, labels
/// 0..n-1 in row-major order of each piece's first pixel; -1 elsewhere. A piece never spans two
/// components under either connectivity, so per-piece sums merge exactly into per-patch sums.
/// Hand-written two-pass labelling (no library on this package source labels rasters).
/// </summary>
internal static class PieceLabeller
{
    /// <returns>The label of every pixel, the piece count and each piece's first pixel (x, y in the raster).</returns>
    public static (int[] Labels, int Count, (int X, int Y)[] First) Label(ReadOnlySpan<byte> values, int width, int height, byte value)
    {
        var labels = new int[width * height];
        var uf = new UnionFind(64);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                if (values[i] != value) { labels[i] = -1; continue; }
                int left = x > 0 ? labels[i - 1] : -1, up = y > 0 ? labels[i - width] : -1;
                if (left < 0 && up < 0) labels[i] = uf.Add();
                else if (left < 0) labels[i] = up;
                else if (up < 0) labels[i] = left;
                else
                {
                    labels[i] = Math.Min(left, up);
                    uf.Union(left, up);
                }
            }
        }
        // Provisional labels are created in row-major order and roots are the smallest index, so
        // renumbering roots in order gives row-major order of first pixels.
        var final = new int[uf.Count];
        int count = 0;
        for (int k = 0; k < uf.Count; k++) final[k] = uf.Find(k) == k ? count++ : final[uf.Find(k)];
        var first = new (int X, int Y)[count];
        var seen = new bool[count];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0) continue;
            int l = labels[i] = final[labels[i]];
            if (!seen[l]) { seen[l] = true; first[l] = (i % width, i / width); }
        }
        return (labels, count, first);
    }
}
