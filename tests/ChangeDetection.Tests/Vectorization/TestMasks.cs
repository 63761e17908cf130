namespace ChangeDetection.Tests.Vectorization;

/// <summary>Deterministic random masks for the polygonizer tests, and an independent flood-fill reference.</summary>
internal static class TestMasks
{
    public static readonly string[] Kinds = ["blobs", "holes", "islands", "checkerboard", "tile-corners", "noise", "classes"];

    public static byte[] Make(string kind, int w, int h, int seed)
    {
        var rng = new Random(seed);
        var m = new byte[w * h];
        switch (kind)
        {
            case "blobs":
                for (int i = 0; i < 40; i++) Disk(m, w, h, rng.Next(w), rng.Next(h), rng.Next(1, 14), 1);
                break;
            case "holes":
                for (int i = 0; i < 15; i++)
                {
                    int cx = rng.Next(w), cy = rng.Next(h), r = rng.Next(6, 25);
                    Disk(m, w, h, cx, cy, r, 1);
                    Disk(m, w, h, cx + rng.Next(-2, 3), cy + rng.Next(-2, 3), r - rng.Next(2, 5), 0);
                }
                break;
            case "islands":
                for (int i = 0; i < 8; i++)
                {
                    int cx = rng.Next(w), cy = rng.Next(h), r = rng.Next(12, 40);
                    Disk(m, w, h, cx, cy, r, 1);
                    Disk(m, w, h, cx, cy, r - 4, 0);
                    Disk(m, w, h, cx, cy, r - 8, 1);
                    Disk(m, w, h, cx, cy, r - 11, 0);
                    Disk(m, w, h, cx + 1, cy, 1, 1);
                }
                break;
            case "checkerboard":
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        m[y * w + x] = (byte)(((x / (1 + (y % 3 == 0 ? 1 : 0))) + y) % 2);
                for (int i = 0; i < 10; i++) Disk(m, w, h, rng.Next(w), rng.Next(h), rng.Next(2, 9), 1);
                break;
            case "tile-corners":
                // Pixels and diagonals around every corner of the 17- and 64-pixel tile grids.
                foreach (int t in new[] { 17, 64 })
                    for (int y = t; y < h; y += t)
                        for (int x = t; x < w; x += t)
                        {
                            int pattern = rng.Next(16);
                            Set(m, w, h, x - 1, y - 1, pattern & 1);
                            Set(m, w, h, x, y - 1, (pattern >> 1) & 1);
                            Set(m, w, h, x - 1, y, (pattern >> 2) & 1);
                            Set(m, w, h, x, y, (pattern >> 3) & 1);
                        }
                for (int i = 0; i < 6; i++) Disk(m, w, h, rng.Next(w), rng.Next(h), rng.Next(3, 20), 1);
                break;
            case "noise":
                for (int i = 0; i < m.Length; i++) m[i] = (byte)(rng.NextDouble() < 0.45 ? 1 : 0);
                break;
            case "classes":
                for (int i = 0; i < m.Length; i++) m[i] = (byte)(rng.NextDouble() < 0.3 ? rng.Next(1, 4) : 0);
                for (int i = 0; i < 12; i++) Disk(m, w, h, rng.Next(w), rng.Next(h), rng.Next(2, 16), (byte)rng.Next(0, 4));
                break;
            default:
                throw new ArgumentException(kind, nameof(kind));
        }
        return m;
    }

    public static void Disk(byte[] m, int w, int h, int cx, int cy, int r, byte v)
    {
        for (int y = Math.Max(0, cy - r); y <= Math.Min(h - 1, cy + r); y++)
            for (int x = Math.Max(0, cx - r); x <= Math.Min(w - 1, cx + r); x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m[y * w + x] = v;
    }

    private static void Set(byte[] m, int w, int h, int x, int y, int v)
    {
        if (x >= 0 && y >= 0 && x < w && y < h) m[y * w + x] = (byte)v;
    }

    /// <summary>Reference labelling by breadth-first flood fill: component id per pixel (−1 = none), and the count.</summary>
    public static (int[] Labels, int Count) FloodFill(byte[] m, int w, int h, bool eight, byte? noData = null)
    {
        var labels = new int[m.Length];
        Array.Fill(labels, -1);
        int count = 0;
        var queue = new Queue<int>();
        bool Fg(int i) => m[i] != 0 && m[i] != noData;
        for (int i = 0; i < m.Length; i++)
        {
            if (!Fg(i) || labels[i] >= 0) continue;
            labels[i] = count;
            queue.Enqueue(i);
            while (queue.Count > 0)
            {
                int p = queue.Dequeue(), px = p % w, py = p / w;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        if ((dx == 0 && dy == 0) || (!eight && dx != 0 && dy != 0)) continue;
                        int nx = px + dx, ny = py + dy;
                        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                        int q = ny * w + nx;
                        if (labels[q] >= 0 || m[q] != m[p]) continue;
                        labels[q] = count;
                        queue.Enqueue(q);
                    }
            }
            count++;
        }
        return (labels, count);
    }
}
