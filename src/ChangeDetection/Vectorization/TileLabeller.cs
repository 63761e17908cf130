using System.Runtime.InteropServices;

namespace ChangeDetection.Vectorization;

/// <summary>A directed unit-or-longer boundary segment on pixel corners; the piece it bounds is on its left (see <see cref="RingTracer"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BoundarySegment(int x0, int y0, int x1, int y1, int label)
{
    public int X0 = x0, Y0 = y0, X1 = x1, Y1 = y1, Label = label;
}

/// <summary>What one tile contributes: its 4-connected pieces, their boundary segments inside the tile, and its border pixels for seam joining.</summary>
internal sealed class TileResult
{
    public required MaskTile Tile { get; init; }
    public required int PieceCount { get; init; }
    public required byte[] PieceClass { get; init; }
    public required long[] PiecePixels { get; init; }
    /// <summary>For 8-connectivity: a piece of the same 8-connected group in this tile (itself when alone); null for 4-connectivity.</summary>
    public int[]? PieceGroup { get; init; }
    /// <summary>Boundary segments with tile-local piece labels. Segments on tile seams are not here: the join emits them.</summary>
    public required List<BoundarySegment> Segments { get; init; }
    public required int[] TopLabels { get; init; }
    public required int[] BottomLabels { get; init; }
    public required int[] LeftLabels { get; init; }
    public required int[] RightLabels { get; init; }
    public required byte[] TopValues { get; init; }
    public required byte[] BottomValues { get; init; }
    public required byte[] LeftValues { get; init; }
    public required byte[] RightValues { get; init; }
    /// <summary>The tile-local piece label of each probe asked about (in the order given), −1 where the pixel is no change.</summary>
    public int[] ProbeLabels { get; init; } = [];
}

/// <summary>
/// Labels one tile: maximal runs of equal non-zero values per row, joined by union-find into
/// 4-connected pieces (and, for 8-connectivity, groups of pieces touching diagonally), and emits
/// the boundary segments between each piece and everything else that lie inside the tile or on
/// the image border. Hand-written: no library on this package source traces rasters into polygons.
/// </summary>
internal static class TileLabeller
{
    private readonly record struct Run(int X0, int X1, byte Class);

    // values: the tile's pixels, row-major, nodata already replaced by 0. minPixels: for 4-connectivity, a piece
    // with fewer pixels that touches no tile edge is a whole component below the caller's cut: its boundary is not kept.
    // probes: pixels of this tile (image coordinates) whose piece label the caller wants (TileResult.ProbeLabels).
    public static TileResult Label(ReadOnlySpan<byte> values, MaskTile tile, int imageWidth, int imageHeight, bool eight, long minPixels = 0,
        IReadOnlyList<PixelPoint>? probes = null)
    {
        int tw = tile.Window.Width, th = tile.Window.Height, ox = tile.Window.X, oy = tile.Window.Y;
        var runs = new List<Run>();
        var rowStart = new int[th + 1];
        var uf4 = new UnionFind(256);
        var uf8 = eight ? new UnionFind(256) : null;

        for (int r = 0; r < th; r++)
        {
            var row = values.Slice(r * tw, tw);
            int x = 0;
            while (x < tw)
            {
                int k = row[x..].IndexOfAnyExcept((byte)0);
                if (k < 0) break;
                x += k;
                byte c = row[x];
                int e = row[x..].IndexOfAnyExcept(c);
                e = e < 0 ? tw : x + e;
                runs.Add(new Run(x, e, c));
                uf4.Add();
                uf8?.Add();
                x = e;
            }
            rowStart[r + 1] = runs.Count;
            if (r == 0) continue;
            int i = rowStart[r - 1], pe = rowStart[r];
            for (int j = rowStart[r]; j < rowStart[r + 1]; j++)
            {
                var cur = runs[j];
                while (i < pe && runs[i].X1 + 1 <= cur.X0) i++;
                for (int p = i; p < pe && runs[p].X0 <= cur.X1; p++)
                {
                    var prev = runs[p];
                    if (prev.Class != cur.Class) continue;
                    bool overlap = prev.X0 < cur.X1 && cur.X0 < prev.X1;
                    if (overlap)
                    {
                        uf4.Union(p, j);
                        uf8?.Union(p, j);
                    }
                    else uf8?.Union(p, j);
                }
            }
        }

        // Compact the roots into piece labels.
        int n = runs.Count;
        var pieceOfRun = new int[n];
        var rootPiece = new int[n];
        Array.Fill(rootPiece, -1);
        var pieceClass = new List<byte>();
        var piecePixels = new List<long>();
        for (int j = 0; j < n; j++)
        {
            int root = uf4.Find(j);
            int piece = rootPiece[root];
            if (piece < 0)
            {
                piece = rootPiece[root] = pieceClass.Count;
                pieceClass.Add(runs[j].Class);
                piecePixels.Add(0);
            }
            pieceOfRun[j] = piece;
            piecePixels[piece] += runs[j].X1 - runs[j].X0;
        }
        int[]? group = null;
        if (uf8 is not null)
        {
            group = new int[pieceClass.Count];
            for (int j = 0; j < n; j++) group[pieceOfRun[j]] = pieceOfRun[uf8.Find(j)];
        }

        var kept = KeptPieces(runs, rowStart, pieceOfRun, piecePixels, tw, th, eight ? 0 : minPixels);

        var top = NewLabels(tw);
        var bottom = NewLabels(tw);
        var left = NewLabels(th);
        var right = NewLabels(th);
        var leftValues = new byte[th];
        var rightValues = new byte[th];
        for (int r = 0; r < th; r++)
        {
            leftValues[r] = values[r * tw];
            rightValues[r] = values[r * tw + tw - 1];
        }

        bool topIsImageEdge = oy == 0, bottomIsImageEdge = oy + th == imageHeight;
        bool leftIsImageEdge = ox == 0, rightIsImageEdge = ox + tw == imageWidth;
        var segs = new List<BoundarySegment>(n * 3);
        for (int r = 0; r < th; r++)
        {
            int y = oy + r;
            for (int j = rowStart[r]; j < rowStart[r + 1]; j++)
            {
                var run = runs[j];
                int label = pieceOfRun[j];
                if (r == 0) top.AsSpan(run.X0, run.X1 - run.X0).Fill(label);
                if (r == th - 1) bottom.AsSpan(run.X0, run.X1 - run.X0).Fill(label);
                if (run.X0 == 0) left[r] = label;
                if (run.X1 == tw) right[r] = label;
                if (kept is not null && !kept[label]) continue;

                // Top edges run +x, bottom edges −x, left edges −y, right edges +y: the piece is on the left
                // in a y-down frame (shells come out with positive shoelace area in pixel coordinates).
                if (r > 0) EmitDiffering(values.Slice((r - 1) * tw, tw), run, ox, y, label, forward: true, segs);
                else if (topIsImageEdge) segs.Add(new BoundarySegment(ox + run.X0, y, ox + run.X1, y, label));
                if (r < th - 1) EmitDiffering(values.Slice((r + 1) * tw, tw), run, ox, y + 1, label, forward: false, segs);
                else if (bottomIsImageEdge) segs.Add(new BoundarySegment(ox + run.X1, y + 1, ox + run.X0, y + 1, label));
                if (run.X0 > 0 || leftIsImageEdge) segs.Add(new BoundarySegment(ox + run.X0, y + 1, ox + run.X0, y, label));
                if (run.X1 < tw || rightIsImageEdge) segs.Add(new BoundarySegment(ox + run.X1, y, ox + run.X1, y + 1, label));
            }
        }

        return new TileResult
        {
            Tile = tile,
            PieceCount = pieceClass.Count,
            PieceClass = [.. pieceClass],
            PiecePixels = [.. piecePixels],
            PieceGroup = group,
            Segments = segs,
            TopLabels = top,
            BottomLabels = bottom,
            LeftLabels = left,
            RightLabels = right,
            TopValues = values[..tw].ToArray(),
            BottomValues = values.Slice((th - 1) * tw, tw).ToArray(),
            LeftValues = leftValues,
            RightValues = rightValues,
            ProbeLabels = probes is null ? [] : ProbeLabels(probes, runs, rowStart, pieceOfRun, ox, oy),
        };
    }

    /// <summary>The piece label of each probe: the run holding it, found by binary search in its row's runs (sorted by x).</summary>
    private static int[] ProbeLabels(IReadOnlyList<PixelPoint> probes, List<Run> runs, int[] rowStart, int[] pieceOfRun, int ox, int oy)
    {
        var labels = new int[probes.Count];
        for (int k = 0; k < labels.Length; k++)
        {
            int x = probes[k].X - ox, r = probes[k].Y - oy;
            int lo = rowStart[r], hi = rowStart[r + 1];
            // The last run of the row starting at or before x.
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (runs[mid].X0 <= x) lo = mid + 1;
                else hi = mid;
            }
            int j = lo - 1;
            labels[k] = j >= rowStart[r] && x < runs[j].X1 ? pieceOfRun[j] : -1;
        }
        return labels;
    }

    /// <summary>
    /// Which pieces keep their boundary: all (null) without a cut; else those with at least <paramref name="minPixels"/>
    /// pixels and those touching an edge of the tile (they may continue in the next tile).
    /// </summary>
    private static bool[]? KeptPieces(List<Run> runs, int[] rowStart, int[] pieceOfRun, List<long> piecePixels, int tw, int th, long minPixels)
    {
        if (minPixels <= 1) return null;
        var kept = new bool[piecePixels.Count];
        for (int p = 0; p < kept.Length; p++) kept[p] = piecePixels[p] >= minPixels;
        for (int r = 0; r < th; r++)
            for (int j = rowStart[r]; j < rowStart[r + 1]; j++)
                if (r == 0 || r == th - 1 || runs[j].X0 == 0 || runs[j].X1 == tw) kept[pieceOfRun[j]] = true;
        return kept;
    }

    private static int[] NewLabels(int n)
    {
        var a = new int[n];
        Array.Fill(a, -1);
        return a;
    }

    /// <summary>Emits the horizontal boundary pieces of <paramref name="run"/> against the neighbouring row: where that row differs from the run's class.</summary>
    private static void EmitDiffering(ReadOnlySpan<byte> neighbour, Run run, int ox, int y, int label, bool forward, List<BoundarySegment> segs)
    {
        var part = neighbour[run.X0..run.X1];
        int p = 0;
        while (p < part.Length)
        {
            int k = part[p..].IndexOfAnyExcept(run.Class);
            if (k < 0) break;
            p += k;
            int e = part[p..].IndexOf(run.Class);
            int end = e < 0 ? part.Length : p + e;
            int xs = ox + run.X0 + p, xe = ox + run.X0 + end;
            segs.Add(forward ? new BoundarySegment(xs, y, xe, y, label) : new BoundarySegment(xe, y, xs, y, label));
            p = end;
        }
    }
}
