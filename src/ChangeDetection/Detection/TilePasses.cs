using System.Collections.Concurrent;
using ChangeDetection.IO;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Detection;

/// <summary>
/// The one driver of the detector's passes over a <see cref="ITileStore"/>: the model (pass 1), the histogram of
/// every tile's scores and the one global threshold (pass 2), the mask tiles with their pieces' feature sums
/// (pass 3), and the mask file assembled from the stored tiles. Each pass does only what the store does not hold
/// yet, so <c>cdx detect</c> and <c>cdx eval</c> (a <see cref="MemoryTileStore"/>), <c>cdx run</c> (the run ledger,
/// resumed after a kill) and the fan-out's workers (the same ledger, a range of mask tiles each) run the same code.
/// </summary>
/// <remarks>
/// The model and the threshold are run values: the first one recorded is the one every later pass and worker
/// reads back, so no batch of the fan-out takes a threshold of its own.
/// </remarks>
internal sealed class TilePasses
{
    private readonly ChangeDetector _detector;
    private readonly ScenePair _pair;
    private readonly ITileStore _store;
    private readonly IProgress<StageProgress>? _progress;
    private readonly CancellationToken _cancellationToken;

    private TilePasses(ChangeDetector detector, ScenePair pair, ITileStore store, DetectionModel model, string scoresFolder, bool keepImagery,
        IProgress<StageProgress>? progress, CancellationToken cancellationToken)
    {
        (_detector, _pair, _store, _progress, _cancellationToken) = (detector, pair, store, progress, cancellationToken);
        Model = model;
        MaskTiles = detector.MaskTiles(pair, model);
        _scoresFolder = scoresFolder;
        Scores = detector.ScoreStore(pair, model, scoresFolder, keepImagery);
    }

    /// <summary>
    /// The passes of <paramref name="detector"/> on <paramref name="pair"/> over <paramref name="store"/>: pass 1's model
    /// is read back from the store or made and recorded, and the pair is read with its co-registration shift from now on.
    /// </summary>
    /// <param name="detector">The detector whose options and per-tile work the passes use.</param>
    /// <param name="pair">The scene pair (aligned here).</param>
    /// <param name="store">What the passes finished before (nothing, for a new store) and where they record their work.</param>
    /// <param name="scoresFolder">Where the histogram pass keeps each tile's scores for the mask pass (<see cref="TileScoreStore"/>).</param>
    /// <param name="progress">Progress of every pass ("registration", "statistics", "histogram", "mask").</param>
    /// <param name="cancellationToken">Once cancelled, no further tile starts; the tiles in flight finish into the store.</param>
    /// <param name="keepImagery">
    /// The histogram pass keeps the imagery the mask pass needs (<see cref="TileScoreStore.KeepsImagery"/>); false when the
    /// mask pass will take a decided mask (a pixel model) rather than the threshold's.
    /// </param>
    public static TilePasses Open(ChangeDetector detector, ScenePair pair, ITileStore store, string scoresFolder,
        IProgress<StageProgress>? progress = null, bool keepImagery = true, CancellationToken cancellationToken = default) =>
        Open(detector, pair, store, scoresFolder, prepared: null, progress, keepImagery, cancellationToken);

    /// <summary>As above; <paramref name="prepared"/> is pass 1's model already made on <paramref name="pair"/> (<c>cdx run</c> makes it beside its start), recorded when the store holds none.</summary>
    public static TilePasses Open(ChangeDetector detector, ScenePair pair, ITileStore store, string scoresFolder, DetectionModel? prepared,
        IProgress<StageProgress>? progress, bool keepImagery, CancellationToken cancellationToken)
    {
        if (!TileStages.Model.TryGet(store, out var model))
            model = TileStages.Model.GetOrAdd(store, prepared ?? detector.Prepare(pair, progress, cancellationToken));
        ChangeDetector.Align(pair, model);
        return new TilePasses(detector, pair, store, model, scoresFolder, keepImagery, progress, cancellationToken);
    }

    /// <summary>Pass 1's model, which every tile uses.</summary>
    public DetectionModel Model { get; }

    /// <summary>The histogram pass's scores, kept for the mask pass; <see cref="TileScoreStore.Delete"/> once every mask tile is stored.</summary>
    public TileScoreStore Scores { get; private set; }

    private readonly string _scoresFolder;

    /// <summary>The tiles of the mask pass (<see cref="ChangeDetector.MaskTiles"/>).</summary>
    public TileScheme MaskTiles { get; }

    /// <summary>
    /// Pass 2 over every tile the store has no histogram of, in parallel (each tile's scores into <see cref="Scores"/>
    /// before its histogram counts as finished), then the whole scene's histogram, merged in tile order.
    /// </summary>
    public ScoreHistogram Histogram()
    {
        var scheme = _detector.HistogramTiles(_pair, Model);
        var stage = TileStages.Histogram(Model.HistogramMax);
        var finished = stage.Finished(_store);
        int done = finished.Count;
        // Row by row: a tile's halo reads the first or last rows of the blocks of the tile rows above and below from the
        // readers' kept block edges, and the blocks it shares with the tile beside it from their block caches (GeoTiffReader).
        // Measured at 8192² (1024-px tiles, 2 workers), walking a band of columns per worker decoded no fewer blocks.
        // One tile at a time to each worker (no buffering): the default partitioner hands out growing chunks of the sequence,
        // so one worker ran a row's last tiles while the other still had its first ones, and the blocks the tiles between
        // share had left the caches by then (at 8192², ~200 of ~8 400 blocks decoded twice). Tiles beside each other now run
        // at once, and the second waits for the blocks the first is decoding (GeoTiffReader).
        var todo = Partitioner.Create(scheme.Tiles().Where(t => !finished.Contains(t.Index)), EnumerablePartitionerOptions.NoBuffering);
        Parallel.ForEach(todo, Parallelism(), tile =>
        {
            stage.Put(_store, tile.Index, _detector.TileHistogram(_pair, Model, tile, Scores));
            _progress?.Report(new StageProgress("histogram", Interlocked.Increment(ref done), scheme.Count));
        });
        // The statistics' blocks the pass did not read (tiles finished before a resume) are not read again.
        _pair.ReleaseHeldBlocks();
        // Integer counts: the order of the merge only matters for clarity.
        var total = new ScoreHistogram(_detector.Options.HistogramBins, Model.HistogramMax);
        foreach (var tile in scheme.Tiles())
            total.Merge(stage.Get(_store, tile.Index) ?? throw new InvalidOperationException($"Histogram tile {tile.Index} is missing from the store."));
        return total;
    }

    /// <summary>
    /// The run's one global threshold: the recorded one, else the rule's on the whole scene's <see cref="Histogram"/>
    /// (pass 2 resumed first where it stopped), recorded for every later pass and worker.
    /// </summary>
    public float Threshold() =>
        TileStages.Threshold.TryGet(_store, out float recorded)
            ? recorded
            : TileStages.Threshold.GetOrAdd(_store, _detector.Threshold(_pair, Histogram()));

    /// <summary>The mask tiles the store has not finished, in tile order; only those <paramref name="where"/> accepts when given.</summary>
    public IReadOnlyList<Tile> UnfinishedMaskTiles(Func<Tile, bool>? where = null)
    {
        var finished = TileStages.Mask.Finished(_store);
        return MaskTiles.Tiles().Where(t => !finished.Contains(t.Index) && (where?.Invoke(t) ?? true)).ToList();
    }

    /// <summary>
    /// Pass 3 over <paramref name="tiles"/>, in parallel: each tile's mask (the <paramref name="threshold"/>'s on the
    /// stored scores, or <paramref name="decision"/>'s) and its pieces' feature sums into the store. Progress counts
    /// every finished mask tile of the store, starting with the ones finished before.
    /// </summary>
    public void MaskPass(IReadOnlyList<Tile> tiles, float threshold, IChangeDecision? decision)
    {
        if (Scores.KeepsImagery && (decision is not null || !(threshold >= Scores.Floor)))
        {
            // The kept form holds what a threshold at or above its floor needs. Below it (the sample misjudged the scene) or
            // for a decided mask, every tile is scored again into the full form, beside the kept files (another worker may
            // still read those), as a missing file is: slower, the same mask.
            Scores = _detector.ScoreStore(_pair, Model, _scoresFolder, keepImagery: false);
        }
        int done = TileStages.Mask.Finished(_store).Count;
        _progress?.Report(new StageProgress("mask", done, MaskTiles.Count));
        // Last tile first: the pair's block caches still hold the blocks the histogram pass decoded last, which the
        // pieces' reads of the last tiles need again. Each tile's result does not depend on the order.
        Parallel.ForEach(tiles.Reverse(), Parallelism(), tile =>
        {
            // The core's mask into a pooled plane: the stored bytes are the same, and the pass takes no fresh plane a tile.
            byte[] plane = _detector.RentCoreMask(tile);
            try
            {
                var (mask, pieces) = _detector.TileMaskAndPieces(_pair, Model, threshold, tile, Scores, plane, decision);
                // Pieces first: a tile counts as finished once its mask is in.
                TileStages.Pieces.Put(_store, tile.Index, pieces);
                TileStages.PutMask(_store, tile.Index, mask.Span);
            }
            finally
            {
                _detector.ReturnCoreMask(plane);
            }
            _progress?.Report(new StageProgress("mask", Interlocked.Increment(ref done), MaskTiles.Count));
        });
    }

    /// <summary>
    /// Writes the mask GeoTIFF from the stored tiles in tile order (the file's bytes do not depend on which tiles ran
    /// when or where) and counts its valid and changed pixels. Every mask tile must be finished.
    /// </summary>
    public (long Valid, long Changed) WriteMask(string path)
    {
        long valid = 0, changed = 0;
        AtomicFile.Write(path, tmp =>
        {
            using var writer = GeoTiffWriter.Create(tmp, _detector.MaskFileOptions(_pair.Grid));
            // Every tile inflated into one buffer (StoredMaskSource checks each holds its core), not a fresh array per tile.
            var source = new StoredMaskSource(_store, MaskTiles);
            var buffer = new byte[(long)MaskTiles.TileSize * MaskTiles.TileSize];
            foreach (var tile in MaskTiles.Tiles())
            {
                var mask = buffer.AsSpan(0, (int)tile.Core.PixelCount);
                source.Read(tile.Core, mask);
                writer.WriteWindow<byte>(tile.Core, mask);
                var (v, c) = ChangeDetector.Count(mask);
                valid += v;
                changed += c;
            }
        });
        return (valid, changed);
    }

    /// <summary>
    /// The mask read from the stored tiles themselves, not from the file <see cref="WriteMask"/> writes: the same pixels,
    /// available as soon as every mask tile is finished. Every mask tile must be finished.
    /// </summary>
    public IMaskSource StoredMask() => new StoredMaskSource(_store, MaskTiles);

    /// <summary>The pieces of change of every mask tile, in tile order (what Classification's patch features are summed from).</summary>
    /// <param name="missing">The message when a finished tile has no pieces (a store of another version).</param>
    public IEnumerable<PatchPiece> Pieces(Func<int, string> missing) =>
        MaskTiles.Tiles().SelectMany(tile => TileStages.Pieces.Get(_store, tile.Index) ?? throw new ChangeDetectionException(missing(tile.Index)));

    /// <summary>
    /// <see cref="Pieces(Func{int, string})"/>, only those whose first pixel <paramref name="wanted"/> accepts (the pieces
    /// of the patches kept): the others' sums are skipped, not decoded.
    /// </summary>
    public IEnumerable<PatchPiece> Pieces(Func<int, string> missing, Func<PixelPoint, bool> wanted) =>
        MaskTiles.Tiles().SelectMany(tile => TileStages.DecodePieces(Stored(TileStages.Pieces, tile.Index, missing), wanted));

    /// <summary>The first pixel of every piece of <see cref="Pieces(Func{int, string})"/>, in the same order, without their sums.</summary>
    public IEnumerable<PixelPoint> PieceOrigins(Func<int, string> missing) =>
        MaskTiles.Tiles().SelectMany(tile => TileStages.PieceOrigins(Stored(TileStages.Pieces, tile.Index, missing)));

    /// <summary>The stored bytes of <paramref name="stage"/> for tile <paramref name="tile"/>; <paramref name="missing"/> says why none.</summary>
    private byte[] Stored<T>(TileStage<T> stage, int tile, Func<int, string> missing) where T : class =>
        _store.Get(stage.Name, tile) ?? throw new ChangeDetectionException(missing(tile));

    /// <summary>
    /// A tile pass's parallelism: the detector's workers; once the token is cancelled no further tile starts, the tiles
    /// in flight finish into the store, and the pass throws <see cref="OperationCanceledException"/>.
    /// </summary>
    private ParallelOptions Parallelism() =>
        new() { MaxDegreeOfParallelism = _detector.Options.Workers, CancellationToken = _cancellationToken };
}
