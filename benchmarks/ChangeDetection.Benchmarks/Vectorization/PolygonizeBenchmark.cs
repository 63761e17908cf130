using BenchmarkDotNet.Attributes;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Benchmarks.Vectorization;

/// <summary>
/// <see cref="MaskPolygonizer"/> on an in-memory 4096 × 4096 mask with ~3 % change (random discs,
/// some with holes and islands), for several tile sizes: the tile size is a speed knob only.
/// The end-to-end comparison with gdal_polygonize.py on a 16384² file is benchmarks/scripts/polygonize_vs_gdal.sh.
/// </summary>
[MemoryDiagnoser]
public class PolygonizeBenchmark
{
    private const int Size = 4096;
    private ArrayMaskSource _source = null!;

    [Params(256, 1024, Size)]
    public int Tile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        var m = new byte[Size * Size];
        long target = (long)(0.03 * Size * Size), set = 0;
        while (set < target)
        {
            int cx = rng.Next(Size), cy = rng.Next(Size), r = rng.Next(2, 30);
            for (int y = Math.Max(0, cy - r); y <= Math.Min(Size - 1, cy + r); y++)
            {
                for (int x = Math.Max(0, cx - r); x <= Math.Min(Size - 1, cx + r); x++)
                {
                    int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                    byte v = d2 <= r * r ? (byte)1 : m[y * Size + x];
                    if (r >= 10 && d2 <= (r - 4) * (r - 4)) v = d2 <= (r / 3) * (r / 3) ? (byte)1 : (byte)0;
                    if (v == 1 && m[y * Size + x] == 0) set++;
                    m[y * Size + x] = v;
                }
            }
        }
        _source = new ArrayMaskSource(m, Size, Size);
    }

    [Benchmark]
    public int Polygonize() => MaskPolygonizer.Polygonize(_source, new PolygonizeOptions { TileSize = Tile }).Count;
}
