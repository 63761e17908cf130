using BenchmarkDotNet.Attributes;
using ChangeDetection.Detection;
using ChangeDetection.Raster;
using ChangeDetection.Synthetic;

namespace ChangeDetection.Benchmarks.Pipeline;

/// <summary>
/// The per-tile hot path of <c>cdx run</c> on the bottom-right 1024² tile of a synthetic 2048² region (<c>cdx sample --seed 2024</c>:
/// 4-band uint16 DEFLATE GeoTIFFs in 256² blocks), against a memory copy of the tile's input (its read window, both dates):
/// <list type="bullet">
/// <item><c>Read</c>: decoding the tile's window with its halo from both files (no block cache: every block inflated, as the first touch in a run);</item>
/// <item><c>HistogramPass</c>: read + smoothing + change kernel + the tile's histogram and its scores written to the score store;</item>
/// <item><c>MaskPass</c>: the stored scores thresholded, opening and closing (morphology), greening split and the pieces' feature sums;</item>
/// <item><c>HotPath</c>: both passes, what a run does per tile.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class TileHotPathBenchmark
{
    private string _folder = "";
    private ScenePair _pair = null!;
    private ChangeDetector _detector = null!;
    private DetectionModel _model = null!;
    private TileScoreStore _store = null!;
    private Tile _histogramTile, _maskTile;
    private float _threshold;
    private ushort[] _inputBefore = [], _inputAfter = [], _copyBefore = [], _copyAfter = [];
    private ushort[] _before = [], _after = [];
    private byte[] _valid = [];

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"cdx-bench-hotpath-{Environment.ProcessId}");
        SyntheticRegion.Generate(_folder, new SyntheticRegionOptions { Size = 2048, Seed = 2024 });
        _pair = ScenePair.Open(Path.Combine(_folder, "before.tif"), Path.Combine(_folder, "after.tif"), new ScenePairOptions { BlockCacheBytes = 0 });
        _detector = new ChangeDetector(new ChangeDetectionOptions { Workers = 1 });
        // The passes of 'cdx detect' up to the threshold: every tile's scores stored, as the mask pass reads them.
        var passes = TilePasses.Open(_detector, _pair, new MemoryTileStore(), Path.Combine(_folder, "scores"));
        (_model, _store, _threshold) = (passes.Model, passes.Scores, passes.Threshold());
        // A tile whose halo reaches into its neighbours (left, top and diagonal), as most tiles of a scene.
        _histogramTile = _detector.HistogramTiles(_pair, _model)[1, 1];
        _maskTile = _detector.MaskTiles(_pair, _model)[1, 1];
        int bands = _pair.Bands.Count;
        long n = _histogramTile.Read.PixelCount * bands;
        (_before, _after, _valid) = (new ushort[n], new ushort[n], new byte[_histogramTile.Read.PixelCount]);
        _pair.Read(_histogramTile.Read, _before, _after, _valid);
        (_inputBefore, _inputAfter) = ((ushort[])_before.Clone(), (ushort[])_after.Clone());
        (_copyBefore, _copyAfter) = (new ushort[n], new ushort[n]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "memcpy of the tile's input")]
    public void CopyInput()
    {
        _inputBefore.AsSpan().CopyTo(_copyBefore);
        _inputAfter.AsSpan().CopyTo(_copyAfter);
    }

    [Benchmark(Description = "read (decode both dates)")]
    public void Read() => _pair.Read(_histogramTile.Read, _before, _after, _valid);

    [Benchmark(Description = "histogram pass (read + smoothing + kernel + scores)")]
    public long HistogramPass() => _detector.TileHistogram(_pair, _model, _histogramTile, _store).Total;

    [Benchmark(Description = "mask pass (threshold + morphology + pieces)")]
    public int MaskPass() => MaskAndPieces();

    [Benchmark(Description = "hot path (both passes)")]
    public int HotPath()
    {
        _detector.TileHistogram(_pair, _model, _histogramTile, _store);
        return MaskAndPieces();
    }

    // As the mask pass runs a tile: the core's mask into a plane of the detector's pool.
    private int MaskAndPieces()
    {
        byte[] plane = _detector.RentCoreMask(_maskTile);
        try
        {
            return _detector.TileMaskAndPieces(_pair, _model, _threshold, _maskTile, _store, plane, null).Pieces.Count;
        }
        finally
        {
            _detector.ReturnCoreMask(plane);
        }
    }
}
