using ChangeDetection.Raster;

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
    /// <remarks>The pixel-by-pixel reference of <see cref="LabelRuns"/>, which the tests compare it with.</remarks>
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

    /// <summary>
    /// The 4-connected pieces of every value in <paramref name="pieceValues"/> at once, in one scan of runs: the pieces of
    /// <c>pieceValues[0]</c> first, then of <c>pieceValues[1]</c>, …, each value's pieces in row-major order of their first
    /// pixel, as <see cref="Label"/> numbers them value by value, with each piece's first pixel and bounding box.
    /// </summary>
    /// <param name="values">The raster (row-major, <paramref name="width"/> × <paramref name="height"/>).</param>
    /// <param name="width">Raster width (pixels).</param>
    /// <param name="height">Raster height (pixels).</param>
    /// <param name="pieceValues">The values whose pieces are wanted (each pixel of another value is left alone).</param>
    /// <param name="labels">
    /// Scratch of at least width × height (not cleared: only the pixels of a piece are written, and a run's label is read
    /// only where the value says the pixel belongs to a piece); afterwards <see cref="PieceLabels.PieceAt"/> reads it.
    /// </param>
    /// <remarks>
    /// Why not <see cref="Label"/> once per value: that allocated and filled a label plane per value and tile (4 MB at
    /// 1 024², fresh pages from the kernel each time: most of the mask pass's labelling cost) and scanned the plane twice
    /// more for the first pixels and the boxes. Here the background is skipped a vector at a time, each run of one value gets
    /// one provisional label, and the first pixel and box of each piece come from its runs. A piece's first pixel starts a
    /// run with no piece above it, which takes the piece's first and smallest provisional label, so ordering the roots by
    /// provisional label is ordering the pieces by first pixel.
    /// </remarks>
    public static PieceLabels LabelRuns(ReadOnlySpan<byte> values, int width, int height, ReadOnlySpan<byte> pieceValues, int[] labels)
    {
        int n = checked(width * height);
        if (values.Length < n || labels.Length < n)
            throw new ArgumentException($"A {width} × {height} raster needs {n} values and labels; got {values.Length} and {labels.Length}.");
        var uf = new UnionFind(64);
        var runs = new List<ProvisionalPiece>(64);
        for (int y = 0; y < height; y++)
        {
            var row = values.Slice(y * width, width);
            var above = y > 0 ? values.Slice((y - 1) * width, width) : default;
            int x = 0;
            while (x < width)
            {
                int skip = row[x..].IndexOfAny(pieceValues);
                if (skip < 0) break;
                x += skip;
                byte v = row[x];
                int length = row[x..].IndexOfAnyExcept(v);
                int end = length < 0 ? width : x + length;
                int label = -1;
                if (y > 0)
                {
                    // Every run above holds one provisional label: one look per run of the value above this one.
                    for (int xx = x; xx < end; xx++)
                    {
                        if (above[xx] != v || (xx > x && above[xx - 1] == v)) continue;
                        int up = labels[(y - 1) * width + xx];
                        if (label < 0) label = up;
                        else uf.Union(label, up);
                    }
                }
                if (label < 0)
                {
                    label = uf.Add();
                    runs.Add(new ProvisionalPiece(v, x, y, x, end - 1, y));
                }
                else runs[label] = runs[label].Grow(x, end - 1, y);
                labels.AsSpan(y * width + x, end - x).Fill(label);
                x = end;
            }
        }
        // Roots are the smallest provisional label of their set (UnionFind), so the first pixel of a root is its piece's.
        var final = new int[uf.Count];
        var pieces = new List<LabelledPiece>();
        foreach (byte value in pieceValues)
        {
            for (int k = 0; k < uf.Count; k++)
            {
                if (runs[k].Value != value || uf.Find(k) != k) continue;
                final[k] = pieces.Count;
                pieces.Add(new LabelledPiece(value, runs[k].FirstX, runs[k].FirstY, default));
            }
        }
        var x0 = new int[pieces.Count]; var x1 = new int[pieces.Count]; var y1 = new int[pieces.Count];
        Array.Fill(x0, int.MaxValue); Array.Fill(x1, -1); Array.Fill(y1, -1);
        for (int k = 0; k < uf.Count; k++)
        {
            int root = uf.Find(k), p = final[k] = final[root];
            var r = runs[k];
            x0[p] = Math.Min(x0[p], r.X0); x1[p] = Math.Max(x1[p], r.X1); y1[p] = Math.Max(y1[p], r.Y1);
        }
        for (int p = 0; p < pieces.Count; p++)
            pieces[p] = pieces[p] with { Box = new PixelWindow(x0[p], pieces[p].FirstY, x1[p] - x0[p] + 1, y1[p] - pieces[p].FirstY + 1) };
        return new PieceLabels(pieces, final, labels, width);
    }

    /// <summary>A provisional label's value, first pixel (where it was made) and the box of its runs so far.</summary>
    private readonly record struct ProvisionalPiece(byte Value, int FirstX, int FirstY, int X0, int X1, int Y1)
    {
        public ProvisionalPiece Grow(int x0, int x1, int y) => this with { X0 = Math.Min(X0, x0), X1 = Math.Max(X1, x1), Y1 = Math.Max(Y1, y) };
    }
}

/// <summary>A piece of <see cref="PieceLabeller.LabelRuns"/>: its value, first pixel (row-major) and bounding box (raster pixels).</summary>
internal readonly record struct LabelledPiece(byte Value, int FirstX, int FirstY, PixelWindow Box);

/// <summary>The pieces of a raster (<see cref="PieceLabeller.LabelRuns"/>) and which piece each of their pixels belongs to.</summary>
internal sealed class PieceLabels(IReadOnlyList<LabelledPiece> pieces, int[] pieceOfLabel, int[] labels, int width)
{
    /// <summary>The pieces, in the order <see cref="PieceLabeller.LabelRuns"/> gives.</summary>
    public IReadOnlyList<LabelledPiece> Pieces => pieces;

    /// <summary>
    /// The piece (index into <see cref="Pieces"/>) of pixel (<paramref name="x"/>, <paramref name="y"/>), which must hold a
    /// piece value (the caller checks the raster: other pixels' labels are stale).
    /// </summary>
    public int PieceAt(int x, int y) => pieceOfLabel[labels[y * width + x]];
}
