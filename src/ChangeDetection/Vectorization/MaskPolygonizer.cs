using System.Buffers;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Vectorization;

/// <summary>How pixels connect into one component.</summary>
public enum Connectivity
{
    /// <summary>Edge neighbours only (GDAL's default). Every component is one valid Polygon.</summary>
    Four = 4,
    /// <summary>Edge and corner neighbours. A component whose parts touch only at corners is a valid MultiPolygon of its 4-connected parts.</summary>
    Eight = 8,
}

public sealed record PolygonizeOptions
{
    public Connectivity Connectivity { get; init; } = Connectivity.Four;
    /// <summary>Tile width and height in pixels; null = the source's preferred tile (file blocks, ~1024). A performance knob only: results do not depend on it.</summary>
    public int? TileSize { get; init; }
    /// <summary>Worker threads for the tile pass; null = all cores.</summary>
    public int? MaxDegreeOfParallelism { get; init; }
    /// <summary>Stops the polygonizer between tiles and between pieces traced (<see cref="OperationCanceledException"/>); none by default.</summary>
    public CancellationToken CancellationToken { get; init; }
    /// <summary>
    /// Components of fewer pixels are not traced and not returned (0: every component). For callers that drop them
    /// anyway (<see cref="PatchBuilder.PixelsAlwaysDropped"/>): a scene of noisy change holds hundreds of thousands of
    /// specks, whose boundaries would otherwise be held and traced before being dropped.
    /// </summary>
    public long MinPixelCount { get; init; }
}

/// <summary>
/// One connected component of a mask, traced on integer pixel corners (x = column, y = row, y down).
/// <see cref="PixelGeometry"/> is a <see cref="Polygon"/> (always for 4-connectivity), or for
/// 8-connectivity a <see cref="MultiPolygon"/> of 4-connected parts that touch at corners.
/// </summary>
public sealed record TracedComponent(int Id, byte ClassValue, long PixelCount, Geometry PixelGeometry)
{
    /// <summary>The component's stable identity (its first pixel, row-major); default for components made by hand.</summary>
    public PatchId PatchId { get; init; }

    public int HoleCount => PixelGeometry switch
    {
        Polygon p => p.NumInteriorRings,
        MultiPolygon mp => mp.Geometries.Sum(g => ((Polygon)g).NumInteriorRings),
        _ => 0,
    };
}

/// <summary>The components of a mask and the owners of the pixels the caller probed (<see cref="MaskPolygonizer.PolygonizeWithOwners"/>).</summary>
/// <param name="Components">In row-major order of their first pixel (<see cref="PatchId"/> order).</param>
/// <param name="Owners">The component of each probed pixel that lies in one.</param>
public sealed record PolygonizedMask(IReadOnlyList<TracedComponent> Components, PixelOwners Owners);

/// <summary>
/// Turns a change mask into one polygon per connected component of equal non-zero value, streaming
/// the mask tile by tile (in parallel) and joining components across tile seams exactly, in pixel
/// space. The result does not depend on the tile size: rings are canonical (start at their top-left
/// corner, collinear vertices removed, holes in row-major order) and components come in row-major
/// order of their first pixel.
/// <para>
/// Method (hand-written; no library on this package source does raster→polygon tracing): each tile
/// labels runs with union-find into 4-connected pieces and emits the boundary segments of each piece
/// that lie inside the tile; it keeps only its border pixels and labels. A global union-find then
/// joins pieces across seams and emits the seam segments; finally each piece's segments are chained
/// into rings (<see cref="RingTracer"/>). Memory holds the per-tile boundary segments (the size of
/// the output), never the whole mask.
/// </para>
/// </summary>
public static class MaskPolygonizer
{
    public static IReadOnlyList<TracedComponent> Polygonize(IMaskSource source, PolygonizeOptions? options = null) =>
        PolygonizeWithOwners(source, [], options).Components;

    /// <summary>
    /// <see cref="Polygonize"/>, and for every pixel of <paramref name="probes"/> the <see cref="PatchId"/> of the
    /// returned component that holds it, read from the labels the tile pass gives its pixels (the pieces of the
    /// detection tile pass join their patches by it).
    /// </summary>
    /// <param name="source">The mask.</param>
    /// <param name="probes">Pixels inside the mask's grid (x = column, y = row); duplicates are allowed.</param>
    /// <param name="options">As for <see cref="Polygonize"/>.</param>
    public static PolygonizedMask PolygonizeWithOwners(IMaskSource source, IReadOnlyCollection<PixelPoint> probes, PolygonizeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(probes);
        options ??= new PolygonizeOptions();
        bool eight = options.Connectivity == Connectivity.Eight;
        int width = source.Width, height = source.Height;
        (int tw, int th) = options.TileSize is int ts ? (ts, ts) : source.PreferredTile;
        if (tw <= 0 || th <= 0) (tw, th) = (1024, 1024);
        tw = Math.Min(tw, width);
        th = Math.Min(th, height);
        var tiles = MaskTile.Grid(width, height, tw, th, out int across, out int down);
        byte? noData = source.NoData;
        var tileProbes = ProbesByTile(probes, width, height, tw, th, across, tiles.Length);

        var results = new TileResult[tiles.Length];
        var po = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? Environment.ProcessorCount, CancellationToken = options.CancellationToken };
        Parallel.For(0, tiles.Length, po, t =>
        {
            var tile = tiles[t];
            int count = (int)tile.Window.PixelCount;
            byte[] buffer = ArrayPool<byte>.Shared.Rent(count);
            try
            {
                var span = buffer.AsSpan(0, count);
                source.Read(tile.Window, span);
                if (noData is byte nd && nd != 0) span.Replace(nd, (byte)0);
                results[t] = TileLabeller.Label(span, tile, width, height, eight, options.MinPixelCount, tileProbes[t]);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });

        // Global labels: tile base + local piece label.
        var bases = new int[tiles.Length];
        int total = 0;
        for (int t = 0; t < tiles.Length; t++)
        {
            bases[t] = total;
            total = checked(total + results[t].PieceCount);
        }
        var uf4 = new UnionFind(total);
        uf4.EnsureCount(total);
        UnionFind? uf8 = null;
        if (eight)
        {
            uf8 = new UnionFind(total);
            uf8.EnsureCount(total);
            for (int t = 0; t < tiles.Length; t++)
            {
                var g = results[t].PieceGroup!;
                for (int p = 0; p < g.Length; p++) uf8.Union(bases[t] + p, bases[t] + g[p]);
            }
        }

        var seamSegs = new List<BoundarySegment>();
        for (int r = 0; r < down; r++)
        {
            for (int c = 0; c < across; c++)
            {
                int t = r * across + c;
                var a = results[t];
                if (c + 1 < across)
                    JoinVertical(a, results[t + 1], bases[t], bases[t + 1], uf4, uf8, seamSegs);
                if (r + 1 < down)
                    JoinHorizontal(a, results[t + across], bases[t], bases[t + across], uf4, uf8, seamSegs);
                if (uf8 is not null && c + 1 < across && r + 1 < down)
                {
                    // Corner touches between diagonal tiles (only 8-connectivity joins across them).
                    var br = results[t + across + 1];
                    byte v = a.BottomValues[^1];
                    if (v != 0 && v == br.TopValues[0])
                        uf8.Union(bases[t] + a.BottomLabels[^1], bases[t + across + 1] + br.TopLabels[0]);
                    var tr = results[t + 1];
                    var bl = results[t + across];
                    v = tr.BottomValues[0];
                    if (v != 0 && v == bl.TopValues[^1])
                        uf8.Union(bases[t + 1] + tr.BottomLabels[0], bases[t + across] + bl.TopLabels[^1]);
                }
            }
        }

        // Final pieces (4-connected) and components.
        var pieceOf = new int[total];
        int pieceCount = 0;
        var rootPiece = new int[total];
        Array.Fill(rootPiece, -1);
        var pieceClass = new List<byte>();
        var piecePixels = new List<long>();
        var pieceGroupRoot = new List<int>();
        for (int t = 0; t < tiles.Length; t++)
        {
            var res = results[t];
            for (int p = 0; p < res.PieceCount; p++)
            {
                int g = bases[t] + p;
                int root = uf4.Find(g);
                int piece = rootPiece[root];
                if (piece < 0)
                {
                    piece = rootPiece[root] = pieceCount++;
                    pieceClass.Add(res.PieceClass[p]);
                    piecePixels.Add(0);
                    pieceGroupRoot.Add(uf8 is null ? piece : -1);
                }
                pieceOf[g] = piece;
                piecePixels[piece] += res.PiecePixels[p];
            }
        }
        if (uf8 is not null)
            for (int g = 0; g < total; g++) pieceGroupRoot[pieceOf[g]] = uf8.Find(g);
        // Components below the cut are neither traced nor returned (their pieces may have no segments: see TileLabeller).
        var groupPixels = new long[total];
        for (int p = 0; p < pieceCount; p++) groupPixels[pieceGroupRoot[p]] += piecePixels[p];
        bool Kept(int piece) => groupPixels[pieceGroupRoot[piece]] >= options.MinPixelCount;
        // The final piece of every probe on change (one on no change has none), while the tiles' labels are at hand.
        var probePieces = new List<(PixelPoint Pixel, int Piece)>(probes.Count);
        for (int t = 0; t < tiles.Length; t++)
        {
            if (tileProbes[t] is not { } asked) continue;
            var labels = results[t].ProbeLabels;
            for (int k = 0; k < asked.Count; k++)
                if (labels[k] >= 0) probePieces.Add((asked[k], pieceOf[bases[t] + labels[k]]));
        }

        // Bucket all segments by piece (counting sort), then sort each bucket by start vertex.
        long stride = (long)width + 1;
        var counts = new int[pieceCount + 1];
        foreach (var res in results)
            foreach (var s in res.Segments) counts[pieceOf[bases[TileIndex(res.Tile, across)] + s.Label] + 1]++;
        foreach (var s in seamSegs) counts[pieceOf[s.Label] + 1]++;
        for (int i = 0; i < pieceCount; i++) counts[i + 1] += counts[i];
        int segTotal = counts[pieceCount];
        var segs = new BoundarySegment[segTotal];
        var keys = new long[segTotal];
        var fill = (int[])counts.Clone();
        foreach (var res in results)
        {
            int b = bases[TileIndex(res.Tile, across)];
            foreach (var s in res.Segments)
            {
                int piece = pieceOf[b + s.Label];
                int at = fill[piece]++;
                segs[at] = s;
                keys[at] = s.Y0 * stride + s.X0;
            }
            res.Segments.Clear();
        }
        foreach (var s in seamSegs)
        {
            int piece = pieceOf[s.Label];
            int at = fill[piece]++;
            segs[at] = s;
            keys[at] = s.Y0 * stride + s.X0;
        }
        Array.Clear(results);

        var factory = new GeometryFactory(new PrecisionModel(), 0);
        var traced = new RingTracer.Traced[pieceCount];
        Parallel.For(0, pieceCount, po, p =>
        {
            if (!Kept(p)) return;
            int start = counts[p], len = counts[p + 1] - start;
            Array.Sort(keys, segs, start, len);
            traced[p] = RingTracer.Trace(keys.AsSpan(start, len), segs.AsSpan(start, len), stride, factory);
        });

        // Group pieces into components, order components by their top-left pixel.
        var byGroup = new Dictionary<int, List<int>>();
        for (int p = 0; p < pieceCount; p++)
        {
            if (!Kept(p)) continue;
            if (!byGroup.TryGetValue(pieceGroupRoot[p], out var list)) byGroup[pieceGroupRoot[p]] = list = [];
            list.Add(p);
        }
        var groups = byGroup.Values.Select(list =>
        {
            list.Sort((a, b) => traced[a].TopLeftKey.CompareTo(traced[b].TopLeftKey));
            return list;
        }).OrderBy(list => traced[list[0]].TopLeftKey).ToList();

        var components = new TracedComponent[groups.Count];
        for (int i = 0; i < groups.Count; i++)
        {
            var list = groups[i];
            Geometry geometry = list.Count == 1
                ? traced[list[0]].Polygon
                : factory.CreateMultiPolygon(list.Select(p => traced[p].Polygon).ToArray());
            long key = traced[list[0]].TopLeftKey;
            components[i] = new TracedComponent(i + 1, pieceClass[list[0]], list.Sum(p => piecePixels[p]), geometry)
            {
                // The top-left corner of the first piece's shell is the top-left corner of the component's first pixel.
                PatchId = new PatchId((int)(key % stride), (int)(key / stride)),
            };
        }
        var idOfGroup = new Dictionary<int, PatchId>(groups.Count);
        for (int i = 0; i < groups.Count; i++) idOfGroup[pieceGroupRoot[groups[i][0]]] = components[i].PatchId;
        var owners = new Dictionary<PixelPoint, PatchId>();
        foreach (var (pixel, piece) in probePieces)
            if (Kept(piece)) owners[pixel] = idOfGroup[pieceGroupRoot[piece]];
        return new PolygonizedMask(components, new PixelOwners(owners));
    }

    /// <summary>The probes of each tile (null for a tile without any), in the order given.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A probe lies outside the mask.</exception>
    private static List<PixelPoint>?[] ProbesByTile(IReadOnlyCollection<PixelPoint> probes, int width, int height, int tw, int th, int across, int tileCount)
    {
        var byTile = new List<PixelPoint>?[tileCount];
        foreach (var p in probes)
        {
            if (p.X < 0 || p.Y < 0 || p.X >= width || p.Y >= height)
                throw new ArgumentOutOfRangeException(nameof(probes), $"Pixel ({p.X}, {p.Y}) lies outside the {width}×{height} mask.");
            (byTile[p.Y / th * across + p.X / tw] ??= []).Add(p);
        }
        return byTile;
    }

    private static int TileIndex(MaskTile tile, int across) => tile.Row * across + tile.Column;

    private static void JoinVertical(TileResult a, TileResult b, int baseA, int baseB, UnionFind uf4, UnionFind? uf8, List<BoundarySegment> segs)
    {
        int x = a.Tile.Window.Right, y0 = a.Tile.Window.Y, n = a.Tile.Window.Height;
        for (int i = 0; i < n; i++)
        {
            byte va = a.RightValues[i], vb = b.LeftValues[i];
            int y = y0 + i;
            if (va == vb)
            {
                if (va == 0) continue;
                uf4.Union(baseA + a.RightLabels[i], baseB + b.LeftLabels[i]);
                uf8?.Union(baseA + a.RightLabels[i], baseB + b.LeftLabels[i]);
                continue;
            }
            if (va != 0) segs.Add(new BoundarySegment(x, y, x, y + 1, baseA + a.RightLabels[i]));
            if (vb != 0) segs.Add(new BoundarySegment(x, y + 1, x, y, baseB + b.LeftLabels[i]));
            if (uf8 is not null && va != 0)
            {
                if (i > 0 && b.LeftValues[i - 1] == va) uf8.Union(baseA + a.RightLabels[i], baseB + b.LeftLabels[i - 1]);
                if (i + 1 < n && b.LeftValues[i + 1] == va) uf8.Union(baseA + a.RightLabels[i], baseB + b.LeftLabels[i + 1]);
            }
        }
    }

    private static void JoinHorizontal(TileResult a, TileResult b, int baseA, int baseB, UnionFind uf4, UnionFind? uf8, List<BoundarySegment> segs)
    {
        int y = a.Tile.Window.Bottom, x0 = a.Tile.Window.X, n = a.Tile.Window.Width;
        for (int i = 0; i < n; i++)
        {
            byte va = a.BottomValues[i], vb = b.TopValues[i];
            int x = x0 + i;
            if (va == vb)
            {
                if (va == 0) continue;
                uf4.Union(baseA + a.BottomLabels[i], baseB + b.TopLabels[i]);
                uf8?.Union(baseA + a.BottomLabels[i], baseB + b.TopLabels[i]);
                continue;
            }
            if (va != 0) segs.Add(new BoundarySegment(x + 1, y, x, y, baseA + a.BottomLabels[i]));
            if (vb != 0) segs.Add(new BoundarySegment(x, y, x + 1, y, baseB + b.TopLabels[i]));
            if (uf8 is not null && va != 0)
            {
                if (i > 0 && b.TopValues[i - 1] == va) uf8.Union(baseA + a.BottomLabels[i], baseB + b.TopLabels[i - 1]);
                if (i + 1 < n && b.TopValues[i + 1] == va) uf8.Union(baseA + a.BottomLabels[i], baseB + b.TopLabels[i + 1]);
            }
        }
    }
}
