using NetTopologySuite.Geometries;

namespace ChangeDetection.Vectorization;

/// <summary>
/// Chains the boundary segments of one 4-connected piece into closed rings on pixel corners.
/// Segments keep the piece on their left in a y-down frame (positive shoelace area = shell).
/// <para>
/// Pinch vertices: where the piece occupies two diagonal pixels around a corner and the other two
/// pixels are not the piece, the corner has two incoming and two outgoing segments. Because the
/// piece is one 4-connected set, the two diagonal pixels are connected elsewhere, and the two
/// non-piece pixels lie in different complement regions (a Jordan-curve argument). Pairing each
/// incoming segment with the outgoing one that keeps the same non-piece pixel on its right
/// ("turn towards the outside") therefore traces each complement region's boundary as its own
/// simple ring: the shell and every hole are simple, and a hole may touch the shell or another hole
/// at such a corner, which OGC allows. The pieces of different components never meet here because
/// segments are chained per piece after the seams have been joined.
/// </para>
/// Hand-written: no library on this package source traces rasters into polygons.
/// </summary>
internal static class RingTracer
{
    /// <summary>One traced polygon: pixel-space geometry plus the key of its top-left corner (row-major order).</summary>
    public readonly record struct Traced(Polygon Polygon, long TopLeftKey);

    // keys: start-vertex keys of segs (y·stride + x), sorted ascending, in the same order as segs.
    public static Traced Trace(ReadOnlySpan<long> keys, ReadOnlySpan<BoundarySegment> segs, long stride, GeometryFactory factory)
    {
        int n = segs.Length;
        var used = new bool[n];
        LinearRing? shell = null;
        long shellKey = long.MaxValue;
        var holes = new List<(long Key, LinearRing Ring)>();
        var pts = new List<(int X, int Y)>();
        for (int s = 0; s < n; s++)
        {
            if (used[s]) continue;
            pts.Clear();
            int cur = s;
            while (true)
            {
                used[cur] = true;
                ref readonly var seg = ref segs[cur];
                pts.Add((seg.X0, seg.Y0));
                long endKey = seg.Y1 * stride + seg.X1;
                int lo = LowerBound(keys, endKey);
                if (lo >= n || keys[lo] != endKey)
                    throw new InvalidOperationException($"Open boundary at pixel corner ({seg.X1}, {seg.Y1}): the tile join lost a segment.");
                int next = lo;
                if (lo + 1 < n && keys[lo + 1] == endKey)
                {
                    // Pinch: turn towards the non-piece side, direction (dy, −dx).
                    int dx = Math.Sign(seg.X1 - seg.X0), dy = Math.Sign(seg.Y1 - seg.Y0);
                    ref readonly var a = ref segs[lo];
                    next = Math.Sign(a.X1 - a.X0) == dy && Math.Sign(a.Y1 - a.Y0) == -dx ? lo : lo + 1;
                }
                if (next == s) break;
                if (used[next]) throw new InvalidOperationException($"Boundary revisits pixel corner ({seg.X1}, {seg.Y1}).");
                cur = next;
            }
            var (ring, area2, key) = BuildRing(pts, stride, factory);
            if (area2 > 0)
            {
                if (shell is not null) throw new InvalidOperationException("A 4-connected piece traced into two shells.");
                shell = ring;
                shellKey = key;
            }
            else holes.Add((key, ring));
        }
        if (shell is null) throw new InvalidOperationException("A piece traced into holes only.");
        holes.Sort((a, b) => a.Key.CompareTo(b.Key));
        var polygon = factory.CreatePolygon(shell, holes.Select(h => h.Ring).ToArray());
        return new Traced(polygon, shellKey);
    }

    private static int LowerBound(ReadOnlySpan<long> keys, long key)
    {
        int lo = 0, hi = keys.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (keys[mid] < key) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Drops vertices inside straight runs, starts the ring at its top-left vertex (canonical form), closes it.</summary>
    private static (LinearRing Ring, long Area2, long Key) BuildRing(List<(int X, int Y)> pts, long stride, GeometryFactory factory)
    {
        int n = pts.Count;
        var corners = new List<(int X, int Y)>(n);
        for (int i = 0; i < n; i++)
        {
            var p = pts[(i + n - 1) % n];
            var c = pts[i];
            var q = pts[(i + 1) % n];
            bool straight = (p.X == c.X && c.X == q.X) || (p.Y == c.Y && c.Y == q.Y);
            if (!straight) corners.Add(c);
        }
        int m = corners.Count, first = 0;
        long best = long.MaxValue, area2 = 0;
        for (int i = 0; i < m; i++)
        {
            long k = corners[i].Y * stride + corners[i].X;
            if (k < best) { best = k; first = i; }
            var a = corners[i];
            var b = corners[(i + 1) % m];
            area2 += (long)a.X * b.Y - (long)b.X * a.Y;
        }
        var coords = new Coordinate[m + 1];
        for (int i = 0; i < m; i++)
        {
            var c = corners[(first + i) % m];
            coords[i] = new Coordinate(c.X, c.Y);
        }
        coords[m] = coords[0].Copy();
        return (factory.CreateLinearRing(coords), area2, best);
    }
}
