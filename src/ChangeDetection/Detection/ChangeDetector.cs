using System.Buffers;
using System.Diagnostics;
using ChangeDetection.Geo;
using ChangeDetection.Vectorization;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Registration;

namespace ChangeDetection.Detection;

/// <summary>
/// What pass 1 decides for the whole scene: the kernel (per-band normalisation, roles, weights),
/// the smoothing radius (pixels), the upper end of the score histogram and the after image's shift.
/// </summary>
internal sealed record DetectionModel(ChangeKernelOptions Kernel, int SmoothRadius, float HistogramMax)
{
    /// <summary>The after image's shift against the before image found in pass 1 (pixels of the pair grid).</summary>
    public GlobalShift Registration { get; init; } = new(0, 0, GlobalShiftStatus.NoConfidentWindow, 0, 0, 0, "not estimated");

    /// <summary>
    /// True when every pass reads the after image shifted by <see cref="Registration"/>
    /// (<see cref="ChangeDetectionOptions.Register"/>; <see cref="ChangeDetector.Align"/>).
    /// </summary>
    public bool RegistrationApplied { get; init; }

    /// <summary>
    /// A score at or below which no pixel is expected to be change (score units): a fraction of the threshold that the
    /// statistics sample's scores give (<see cref="ChangeDetector.ScoreFloorOf"/>). The histogram pass keeps the imagery of
    /// the pixels that could be change above it (<see cref="TileScoreStore"/>'s kept form); the mask pass checks the real
    /// threshold against it and scores every tile again in full if the estimate was too high. −∞: no estimate (a model of
    /// an older ledger, a pixel model's run): every score is kept and the mask pass reads the imagery again.
    /// </summary>
    public float ScoreFloor { get; init; } = float.NegativeInfinity;
}

/// <summary>What a detection run produced and the global figures it used.</summary>
public sealed record ChangeDetectionResult(
    GeoGrid Grid,
    float Threshold,
    long ValidPixels,
    long ChangedPixels,
    IReadOnlyList<BandNormalization> Normalization,
    IReadOnlyList<SpectralBand> Bands,
    int SmoothRadius,
    string? MaskPath,
    TimeSpan Elapsed)
{
    /// <summary>
    /// The feature sums of every piece of change, in tile order (<see cref="ChangeDetector.TileMaskAndPieces"/>):
    /// with the patches, Classification's <c>PatchFeatures.ForPatches</c> gives each patch's features.
    /// </summary>
    public IReadOnlyList<PatchPiece> Pieces { get; init; } = [];

    /// <summary>The after image's shift found in pass 1 (<see cref="DetectionModel.Registration"/>).</summary>
    public GlobalShift Registration { get; init; }
}

/// <summary>
/// The detection stage: a <see cref="ScenePair"/> in, a change mask out (uint8 on the pair grid:
/// 1 change, 0 no change, 255 no data in either date). Three streamed passes, tile by tile:
/// <list type="number">
/// <item>statistics on evenly spread sample windows → per-band radiometric normalisation;</item>
/// <item>the change score of every valid pixel into one global histogram → one threshold; each
/// tile's scores are kept in a <see cref="TileScoreStore"/>;</item>
/// <item>threshold, opening and closing of the stored scores per tile (with a halo from the
/// neighbouring tiles' scores) → the mask; the imagery is read again only around the change
/// (the patch features' sums), and never smoothed or scored again.</item>
/// </list>
/// Every tile sees the same normalisation and threshold, and reads enough halo for the
/// neighbourhood operations, so the mask does not depend on the tile size.
/// </summary>
public sealed class ChangeDetector
{
    /// <summary>
    /// Version of the detector's decision rules (what a tile's scores, histogram and mask are), part of the run ledger's key:
    /// raise it whenever a change to the rules changes a mask. 2: ground vegetated on both dates is never change.
    /// </summary>
    internal const int RulesVersion = 2;

    private const int SampleWindow = 256;

    /// <summary>Most sample pixels the invariant-pixel fit iterates over (a 512² image's worth: plenty for 3–16 gains and offsets, and for IR-MAD's means and covariances of up to 32 values).</summary>
    private const int MaxFitSamples = 262_144;

    public ChangeDetector(ChangeDetectionOptions options)
    {
        options.Validate();
        Options = options;
        // Planes of a size per worker: what the tiles in flight hold (histogram: before and after as delivered, smoothed a row at a time;
        // validity and flags; the kept region and its scratch. Mask: flags, mask, morphology scratch, validity; before and after).
        // Mask: flags, mask, morphology scratch, validity and the core's mask a tile (PlanePool: not rounded up, not zeroed).
        _ushortPlanes = new PlanePool<ushort>(4 * options.Workers);
        _bytePlanes = new PlanePool<byte>(5 * options.Workers);
        _floatPlanes = new PlanePool<float>(options.Workers);
        _intPlanes = new PlanePool<int>(options.Workers);
    }

    // The histogram tiles' planes, pooled per detector rather than in the shared pools: those keep arrays per thread as well
    // as per core, and the tile passes' thread-pool threads change over a run, so the shared pools held several sets of
    // ~40 MB planes (peak RSS at 8192² 385 → 544 MiB); these keep at most one set per worker and go with the detector.
    private readonly PlanePool<ushort> _ushortPlanes;
    private readonly PlanePool<byte> _bytePlanes;
    private readonly PlanePool<float> _floatPlanes;
    // The mask pass's piece labels (a core's worth of ints), pooled for the same reason.
    private readonly PlanePool<int> _intPlanes;

    public ChangeDetectionOptions Options { get; }

    private long _pixelsScored;

    /// <summary>
    /// Pixels this detector has smoothed and scored in tile passes (read windows, halos included): one
    /// histogram pass's worth per run, as the mask pass thresholds the stored scores.
    /// </summary>
    public long PixelsScored => Interlocked.Read(ref _pixelsScored);

    /// <summary>Shortcut: detects with <paramref name="options"/> (defaults when null) and writes the mask.</summary>
    public static ChangeDetectionResult Detect(ScenePair pair, string maskPath, ChangeDetectionOptions? options = null, IProgress<StageProgress>? progress = null, IChangeDecision? decision = null) =>
        new ChangeDetector(options ?? new ChangeDetectionOptions()).Run(pair, maskPath, progress, decision);

    /// <summary>
    /// Runs the three passes (<see cref="TilePasses"/> over a <see cref="MemoryTileStore"/>) and writes the mask GeoTIFF to <paramref name="maskPath"/>; with a
    /// <paramref name="decision"/>, the mask of every tile comes from it instead of the threshold (the scores,
    /// the threshold and the pieces' feature sums are computed all the same).
    /// </summary>
    public ChangeDetectionResult Run(ScenePair pair, string maskPath, IProgress<StageProgress>? progress = null, IChangeDecision? decision = null)
    {
        var clock = Stopwatch.StartNew();
        // The scores wait for the mask pass next to the mask, not in the temp folder: /tmp may be memory.
        var passes = TilePasses.Open(this, pair, new MemoryTileStore(),
            Path.Combine(Path.GetDirectoryName(Path.GetFullPath(maskPath))!, $".{Path.GetFileName(maskPath)}.{Environment.ProcessId}.scores"), progress,
            keepImagery: decision is null);
        float threshold;
        long valid, changed;
        try
        {
            threshold = passes.Threshold();
            passes.MaskPass(passes.UnfinishedMaskTiles(), threshold, decision);
            (valid, changed) = passes.WriteMask(maskPath);
        }
        finally
        {
            passes.Scores.Delete();
        }
        var model = passes.Model;
        return new ChangeDetectionResult(pair.Grid, threshold, valid, changed, model.Kernel.Bands, pair.Bands, model.SmoothRadius, maskPath, clock.Elapsed)
        {
            Pieces = passes.Pieces(tile => $"Mask tile {tile} has no pieces.").ToList(),
            Registration = model.Registration,
        };
    }

    /// <summary>
    /// Pass 1: co-registration (the after image's global shift; with <see cref="ChangeDetectionOptions.Register"/> applied to
    /// <paramref name="pair"/> first, else estimated beside the statistics) and statistics on sample windows of the aligned
    /// pair → the model every tile uses.
    /// </summary>
    /// <param name="pair">The scene pair (its after image's shift is set here).</param>
    /// <param name="progress">Progress of "registration" and "statistics".</param>
    /// <param name="cancellationToken">Once cancelled, no further window starts and the pass throws <see cref="OperationCanceledException"/>.</param>
    internal DetectionModel Prepare(ScenePair pair, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        // The sample's blocks are held until the histogram pass reads them again (each lies inside one tile at 1 024 px):
        // the statistics and the registration read them, and the pass's first read of each takes it from the cache.
        pair.HoldDecodedBlocks(true);
        try
        {
            return PrepareHeld(pair, progress, cancellationToken);
        }
        finally
        {
            pair.HoldDecodedBlocks(false);
        }
    }

    private DetectionModel PrepareHeld(ScenePair pair, IProgress<StageProgress>? progress, CancellationToken cancellationToken)
    {
        if (pair.Bands.Count < ChangeKernelOptions.MinBands)
            throw new ChangeDetectionException($"{pair.BeforeInfo.Path} and {pair.AfterInfo.Path} share only {pair.Bands.Count} spectral band(s) ({string.Join(", ", pair.Bands.Select(b => b.Name()))}); change detection needs at least {ChangeKernelOptions.MinBands}.");
        int smooth = Options.SmoothRadiusFor(pair.Grid);
        if (Options.Register)
        {
            // Applied, the shift moves every read of the after image: the statistics wait for it.
            var applied = Register(pair, progress, cancellationToken);
            return Statistics(pair, smooth, progress, sampleRead: null, cancellationToken) with { Registration = applied, RegistrationApplied = true };
        }
        // Unapplied, it changes no read: its windows are correlated once the statistics have read their sample, beside
        // the statistics' serial steps (the fit's pick of pixels, the fit's sums, the order statistic), on the cores
        // those leave idle. Not sooner: two readers at once could both decode a block neither finds cached, and a whole
        // run decodes each block once. At 2 048 px and more its windows lie on sample windows (RegistrationWindows),
        // whose blocks the pair's caches then still hold.
        pair.ShiftAfter(0, 0);
        Task<GlobalShift>? registering = null;
        DetectionModel model;
        try
        {
            model = Statistics(pair, smooth, progress,
                sampleRead: () => registering = Task.Run(() => EstimateShift(pair, progress, cancellationToken), cancellationToken), cancellationToken);
        }
        catch
        {
            // No read of the pair may outlive this call; the statistics' error is the one to report.
            try { registering?.Wait(CancellationToken.None); } catch (AggregateException) { }
            throw;
        }
        var shift = registering is null ? EstimateShift(pair, progress, cancellationToken) : registering.GetAwaiter().GetResult();
        return model with { Registration = shift, RegistrationApplied = false };
    }

    /// <summary>
    /// The statistics of pass 1 on the pair as it is read now: the kernel's normalisation, the histogram range and the score
    /// floor; <c>sampleRead</c> is called once they will read the pair no more (never when they read their windows twice).
    /// </summary>
    private DetectionModel Statistics(ScenePair pair, int smooth, IProgress<StageProgress>? progress, Action? sampleRead, CancellationToken cancellationToken)
    {
        var (kernel, sampleScores, floorScores) = Normalise(pair, smooth, progress, sampleRead, cancellationToken);
        // The histogram range comes from the sample, with room above its extreme tail;
        // anything beyond lands in the last bin, which Otsu and percentiles handle.
        // One order statistic, the value the sorted sample holds at that index, without sorting 4 million scores.
        float p999 = sampleScores.Length == 0 ? 1 : OrderStatistic.Select(sampleScores, Math.Min(sampleScores.Length - 1, (int)(sampleScores.Length * 0.999)));
        float max = Math.Max(1e-3f, 2 * p999);
        return new DetectionModel(kernel, smooth, max) { ScoreFloor = ScoreFloorOf(floorScores, max) };
    }

    /// <summary>
    /// How far below the sample's threshold the score floor lies (<see cref="DetectionModel.ScoreFloor"/>): the sample is
    /// a few percent of a large scene, counts vegetated ground the scene's histogram leaves out, and its threshold moves
    /// with it. A quarter of margin keeps the real threshold above the floor on every labelled pair and sample measured
    /// (benchmarks/RESULTS.md); where it does not, the mask pass scores the scene again in full (slower, same mask).
    /// </summary>
    internal const float ScoreFloorMargin = 0.25f;

    /// <summary>
    /// The score floor of a model (<see cref="DetectionModel.ScoreFloor"/>): a fixed threshold is its own floor; a threshold
    /// from the histogram is estimated on the statistics sample's scores of ground not vegetated on both dates (as the scene's
    /// histogram counts it), less <see cref="ScoreFloorMargin"/> of it.
    /// </summary>
    internal float ScoreFloorOf(float[] sampleScores, float histogramMax)
    {
        if (Options.Threshold.Method == ThresholdMethod.Fixed) return Options.Threshold.Resolve(null);
        var histogram = new ScoreHistogram(Options.HistogramBins, histogramMax);
        histogram.Add(sampleScores);
        if (histogram.Total == 0) return float.NegativeInfinity;
        float estimate = Options.Threshold.Resolve(histogram);
        return estimate - ScoreFloorMargin * Math.Abs(estimate);
    }

    /// <summary>
    /// How many pixels beyond its thresholded pixels a tile's final change can reach, plus one: the closings grow change by
    /// their radius (an opening never grows it), and the patch features read one pixel around every piece pixel. The kept
    /// form of the score store keeps every pixel within this distance of a pixel above the floor.
    /// </summary>
    internal int KeptReach => 1 + Filters().Sum(f => f.Operation == MorphologyOperation.Open ? 0 : f.Radius);

    /// <summary>
    /// Reads the after image of <paramref name="pair"/> with the shift of <paramref name="model"/> from now
    /// on: what a resumed run or another worker does with a model read back from the ledger. Call it before
    /// any tile pass.
    /// </summary>
    internal static void Align(ScenePair pair, DetectionModel model)
    {
        if (model.RegistrationApplied) pair.ShiftAfter(model.Registration.Dx, model.Registration.Dy);
        else pair.ShiftAfter(0, 0);
    }

    /// <summary>
    /// The global shift of the after image, estimated and applied to the pair's reads (<see cref="ChangeDetectionOptions.Register"/>).
    /// Without that option it is still estimated (a few 256² windows: it is reported in run.json and by <c>cdx eval</c>, so a
    /// misregistered delivery is seen), beside the statistics (<see cref="Prepare"/>).
    /// </summary>
    private GlobalShift Register(ScenePair pair, IProgress<StageProgress>? progress, CancellationToken cancellationToken)
    {
        pair.ShiftAfter(0, 0);
        var shift = EstimateShift(pair, progress, cancellationToken);
        pair.ShiftAfter(shift.Dx, shift.Dy);
        return shift;
    }

    /// <summary>The global shift of the after image as <paramref name="pair"/> reads it now (unshifted), from the registration windows.</summary>
    private GlobalShift EstimateShift(ScenePair pair, IProgress<StageProgress>? progress, CancellationToken cancellationToken)
    {
        var windows = RegistrationWindows(pair.Grid);
        // The windows are correlated in parallel (reads and FFTs are independent); the estimate does not depend on their order.
        var estimates = new ShiftEstimate[windows.Count];
        Parallel.For(0, windows.Count, new ParallelOptions { MaxDegreeOfParallelism = Options.Workers, CancellationToken = cancellationToken },
            i => estimates[i] = CoRegistration.EstimateWindow(pair, windows[i]));
        var shift = CoRegistration.EstimateGlobal(estimates);
        progress?.Report(new StageProgress("registration", windows.Count, windows.Count));
        return shift;
    }

    /// <summary>
    /// The registration's windows: <see cref="CoRegistration.SpreadWindows(GeoGrid, CoRegistrationOptions?)"/>, each moved along an
    /// axis where the statistics sample lies on the block lattice (<see cref="LatticeOrigin"/>: 2 048 px and more) to the nearest
    /// sample window's position. They then read the blocks the sample windows read next, from the pair's block caches (without
    /// the registration applied, the after image's too), instead of four straddled blocks per band and date of their own (at
    /// 8192², 256 of the pass's 768 block decodes). Smaller axes (every labelled pair) keep the spread placement.
    /// </summary>
    internal IReadOnlyList<PixelWindow> RegistrationWindows(GeoGrid grid)
    {
        int perSide = Math.Max(1, (int)Math.Sqrt(Options.StatisticsWindows));
        int Snap(int size, int origin, int length)
        {
            if (length != SampleWindow || size / SampleWindow < perSide) return origin;
            return Enumerable.Range(0, perSide).Select(i => LatticeOrigin(size, SampleWindow, i, perSide)).MinBy(o => Math.Abs(o - origin));
        }
        return CoRegistration.SpreadWindows(grid)
            .Select(w => new PixelWindow(Snap(grid.Width, w.X, w.Width), Snap(grid.Height, w.Y, w.Height), w.Width, w.Height))
            .Distinct().ToList();
    }

    /// <summary>The tiles of pass 2 (histogram): cores with the smoothing halo.</summary>
    internal TileScheme HistogramTiles(ScenePair pair, DetectionModel model) => new(pair.Grid, Options.TileSize, model.SmoothRadius);

    /// <summary>
    /// The tiles of pass 3 (mask): the same cores, with the halo of stored scores that the opening and
    /// closing need, and at least one pixel for the patch features' gradients and nodata-neighbour test.
    /// </summary>
    internal TileScheme MaskTiles(ScenePair pair, DetectionModel model) =>
        new(pair.Grid, Options.TileSize, Math.Max(1, 2 * Options.OpenRadius + 2 * Options.CloseRadius));

    /// <summary>
    /// The store of pass 2's scores in <paramref name="folder"/>, for the cores of <see cref="HistogramTiles"/>;
    /// a missing tile is scored again (<see cref="TileHistogram"/>).
    /// </summary>
    /// <param name="pair">The scene pair (its grid and bands).</param>
    /// <param name="model">The model (smoothing halo, score floor).</param>
    /// <param name="folder">The scratch folder.</param>
    /// <param name="keepImagery">
    /// The kept form (<see cref="TileScoreStore.KeepsImagery"/>) when the model has a score floor: the mask pass then reads no
    /// imagery. Off for a pixel model's run, whose mask is not cut from the scores.
    /// </param>
    internal TileScoreStore ScoreStore(ScenePair pair, DetectionModel model, string folder, bool keepImagery = false)
    {
        var scheme = HistogramTiles(pair, model);
        TileScoreStore? store = null;
        bool kept = keepImagery && float.IsFinite(model.ScoreFloor);
        store = new TileScoreStore(folder, new TileScheme(pair.Grid, Options.TileSize), index =>
            TileHistogram(pair, model, scheme[index % scheme.Columns, index / scheme.Columns], store),
            kept ? pair.Bands.Count : 0, kept ? model.ScoreFloor : float.NegativeInfinity);
        return store;
    }

    /// <summary>Pass 2 for one tile: the scores of its core, kept in <paramref name="store"/> when one is given.</summary>
    /// <remarks>
    /// The tile's planes (both dates' bands, validity, flags, scores: ~40 MB for a 1 024² tile with its halo, 4 bands) come
    /// from the detector's pools and go back to them, rather than fresh large-object arrays per tile that the collector
    /// must zero, then find and compact: at 8192² that was ~2.6 GB of large arrays a pass.
    /// </remarks>
    internal ScoreHistogram TileHistogram(ScenePair pair, DetectionModel model, Tile tile, TileScoreStore? store = null)
    {
        var histogram = new ScoreHistogram(Options.HistogramBins, model.HistogramMax);
        var read = tile.Read;
        int n = (int)read.PixelCount, bandCount = pair.Bands.Count;
        ushort[] beforeArray = _ushortPlanes.Rent(n * bandCount);
        ushort[] afterArray = _ushortPlanes.Rent(n * bandCount);
        byte[] validArray = _bytePlanes.Rent(n);
        byte[] flagsArray = _bytePlanes.Rent(n);
        float[] scoresArray = _floatPlanes.Rent(n);
        // The kept form stores some pixels' imagery as delivered: the planes read stay so (the means are scored a row at a time).
        bool keep = store?.KeepsImagery == true;
        try
        {
            var before = beforeArray.AsSpan(0, n * bandCount);
            var after = afterArray.AsSpan(0, n * bandCount);
            var valid = validArray.AsSpan(0, n);
            var flags = flagsArray.AsSpan(0, n);
            var scores = scoresArray.AsSpan(0, n);
            pair.Read(read, before, after, valid);
            // Greening and vegetation are judged on the delivered numbers (the planes read: the smoothing below does not write them).
            HistogramPassKernels.FlagsOfValid(valid, TileScoreStore.Valid, flags);
            var roles = Roles(pair.Bands);
            VegetationGain.FlagGreeningAndVegetated(flags, TileScoreStore.Greening, TileScoreStore.Vegetated, before, after, n, roles);
            Interlocked.Add(ref _pixelsScored, n);
            if (model.SmoothRadius <= 0) ChangeKernel.Compute(before, after, n, n, model.Kernel, scores);
            else
            {
                // Each row scored as soon as its means are made, from the sweep's row of every band (the kernel is per
                // pixel, and its paths give the same bits, so a row at a time gives the scores of the whole plane at once).
                var kernel = model.Kernel;
                int width = read.Width;
                BoxMean.Sweep(before, after, bandCount, width, read.Height, valid, model.SmoothRadius,
                    (y, b, a) => ChangeKernel.Compute(b, a, width, width, kernel, scoresArray.AsSpan(y * width, width)));
            }
            HistogramPassKernels.FillInvalid(scores, valid, ChangeKernel.NoDataScore);
            var core = tile.CoreInRead;
            for (int r = 0; r < core.Height; r++)
            {
                int start = (core.Y + r) * read.Width + core.X;
                // Ground that stays vegetated is never change, so it has no say in where change begins: counted, a
                // farmland scene's seasonal change is the bulk of the histogram and the threshold splits it instead.
                histogram.Add(scores.Slice(start, core.Width), flags.Slice(start, core.Width), TileScoreStore.Vegetated);
            }
            if (keep) WriteKept(store!, tile, scores, flags, beforeArray, afterArray);
            else store?.Write(tile, scores, flags, read.Width);
            return histogram;
        }
        finally
        {
            _ushortPlanes.Return(beforeArray);
            _ushortPlanes.Return(afterArray);
            _bytePlanes.Return(validArray);
            _bytePlanes.Return(flagsArray);
            _floatPlanes.Return(scoresArray);
        }
    }

    /// <summary>The kept form of a histogram tile (<see cref="KeptRegion"/>): its planes are the read window's.</summary>
    private void WriteKept(TileScoreStore store, Tile tile, ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, ushort[] before, ushort[] after)
    {
        int coreSize = (int)tile.Core.PixelCount;
        byte[] kept = _bytePlanes.Rent(coreSize);
        byte[] scratch = _bytePlanes.Rent(coreSize);
        try
        {
            int count = KeptRegion.Mark(scores, flags, tile.Read.Width, tile.CoreInRead, store.Floor, KeptReach, kept, scratch);
            store.WriteKept(tile, scores, flags, before, after, tile.Read.Width, kept, count);
        }
        finally
        {
            _bytePlanes.Return(kept);
            _bytePlanes.Return(scratch);
        }
    }

    /// <summary>The <paramref name="part"/> of a row-major <paramref name="window"/>-sized plane (part in window coordinates).</summary>
    private static T[] Crop<T>(T[] plane, PixelWindow window, PixelWindow part)
    {
        var result = new T[part.PixelCount];
        for (int r = 0; r < part.Height; r++)
            plane.AsSpan((part.Y + r) * window.Width + part.X, part.Width).CopyTo(result.AsSpan(r * part.Width));
        return result;
    }

    /// <summary>The global threshold from the whole-scene histogram (or the fixed value).</summary>
    internal float Threshold(ScenePair pair, ScoreHistogram histogram)
    {
        if (Options.Threshold.Method == ThresholdMethod.Fixed) return Options.Threshold.Resolve(null);
        if (histogram.Total == 0)
            throw new ChangeDetectionException($"{pair.BeforeInfo.Path} and {pair.AfterInfo.Path}: no pixel holds data in both dates.");
        return Options.Threshold.Resolve(histogram);
    }

    /// <summary>A core-sized plane from the detector's pools for <see cref="TileMaskAndPieces"/>; give it back with <see cref="ReturnCoreMask"/>.</summary>
    internal byte[] RentCoreMask(Tile tile) => _bytePlanes.Rent((int)tile.Core.PixelCount);

    /// <summary>Gives back a plane of <see cref="RentCoreMask"/>.</summary>
    internal void ReturnCoreMask(byte[] plane) => _bytePlanes.Return(plane);

    /// <summary>
    /// Pass 3 for one tile: the mask of its core (row-major, core-sized) and, for every 4-connected
    /// piece of change in the core, the sums of the patch features over its pixels (unsmoothed values,
    /// the scores the mask was cut from). Gathered here so the patch stage never reads the imagery again.
    /// The scores and the greening split come from <paramref name="store"/> (pass 2): the imagery is read
    /// again only over the change of the core and one pixel around it, for the features, and not at all
    /// for a tile without change. With a <paramref name="decision"/> the core's mask is its, not the threshold's.
    /// </summary>
    /// <remarks>
    /// The threshold's mask is written into <paramref name="coreMask"/> (at least the core's pixels; a pooled plane of
    /// <see cref="RentCoreMask"/>, so that the pass takes no fresh megabyte a tile): the mask returned is that plane's first
    /// core pixels, or the decision's own array.
    /// </remarks>
    internal (ReadOnlyMemory<byte> Mask, IReadOnlyList<PatchPiece> Pieces) TileMaskAndPieces(ScenePair pair, DetectionModel model, float threshold, Tile tile, TileScoreStore store,
        byte[] coreMask, IChangeDecision? decision)
    {
        var read = tile.Read;
        int n = (int)read.PixelCount;
        // The tile's planes (4 MB of scores at 1024² + halo) from the detector's pools, as the histogram pass's.
        float[] scores = _floatPlanes.Rent(n);
        byte[] flags = _bytePlanes.Rent(n);
        byte[] mask = _bytePlanes.Rent(n);
        byte[] scratch = _bytePlanes.Rent(n);
        // The kept form gives the pieces' imagery too (as delivered): the tile's read window of both dates and its validity.
        var imagery = store.KeepsImagery ? new KeptImagery(read, pair.Bands.Count, _ushortPlanes.Rent(n * pair.Bands.Count), _ushortPlanes.Rent(n * pair.Bands.Count), _bytePlanes.Rent(n)) : null;
        try
        {
            if (imagery is null) store.Read(read, scores.AsSpan(0, n), flags.AsSpan(0, n));
            else
            {
                store.ReadKept(read, scores.AsSpan(0, n), flags.AsSpan(0, n), imagery.Before.AsSpan(0, n * imagery.Bands), imagery.After.AsSpan(0, n * imagery.Bands));
                MaskKernels.ValidOf(flags.AsSpan(0, n), TileScoreStore.Valid, imagery.Valid.AsSpan(0, n));
            }
            if (decision is not null)
            {
                // A decided mask is not cut from the scores: the kept form may lack its pieces' pixels (TilePasses.MaskPass).
                if (imagery is not null) throw new InvalidOperationException("A decided mask needs the full form of the score store.");
                // The scores still give the pieces their feature sums, in the units the classifier was trained on.
                var decided = decision.CoreMask(tile);
                return (decided, Pieces(pair, tile, decided, scores, imagery));
            }
            MaskKernels.Threshold(scores.AsSpan(0, n), flags.AsSpan(0, n), threshold, TileScoreStore.Valid, TileScoreStore.Vegetated, mask.AsSpan(0, n));
            // Each filter writes the other plane: the planes swap roles instead of copying the result back.
            byte[] current = mask, other = scratch;
            foreach (var filter in Filters())
            {
                filter.Apply(current.AsSpan(0, n), read.Width, read.Height, other.AsSpan(0, n));
                (current, other) = (other, current);
            }
            // The closing fills gaps between change pixels: it must not fill them with vegetation. The rules are per pixel,
            // so they run on the core only, as it is cut out.
            var core = tile.CoreInRead;
            if (coreMask.Length < core.PixelCount) throw new ArgumentException($"The core's mask needs {core.PixelCount} bytes; got {coreMask.Length}.", nameof(coreMask));
            for (int r = 0; r < core.Height; r++)
            {
                int from = (core.Y + r) * read.Width + core.X;
                MaskKernels.Vegetation(current.AsSpan(from, core.Width), flags.AsSpan(from, core.Width),
                    TileScoreStore.Vegetated, TileScoreStore.Greening, coreMask.AsSpan(r * core.Width, core.Width));
            }
            return (coreMask.AsMemory(0, (int)core.PixelCount), Pieces(pair, tile, coreMask, scores, imagery));
        }
        finally
        {
            _floatPlanes.Return(scores);
            _bytePlanes.Return(flags);
            _bytePlanes.Return(mask);
            _bytePlanes.Return(scratch);
            if (imagery is not null)
            {
                _ushortPlanes.Return(imagery.Before);
                _ushortPlanes.Return(imagery.After);
                _bytePlanes.Return(imagery.Valid);
            }
        }
    }

    /// <summary>A mask tile's imagery as delivered, from the kept form of the score store (planes of <paramref name="Window"/>, pooled).</summary>
    private sealed record KeptImagery(PixelWindow Window, int Bands, ushort[] Before, ushort[] After, byte[] Valid);

    /// <summary>
    /// The pieces of change of a tile's core, each with the feature sums of its pixels: the imagery as delivered comes from
    /// <paramref name="imagery"/> (the kept form of the score store) or, without it, is read over each piece's bounding box
    /// and one pixel around it (the features' gradients and nodata-neighbour test look one pixel out), with the scores of
    /// <paramref name="scores"/> (<see cref="Tile.Read"/>-sized).
    /// </summary>
    /// <remarks>
    /// Without the kept form, one read per piece rather than one over the bounding box of all the core's change: a tile with a few scattered
    /// pieces (most tiles of a scene with a few percent of change) then decodes only the blocks under its pieces,
    /// not nearly every block of the tile again; neighbouring pieces' reads share blocks through the pair's block
    /// cache. The sums are the same: every read is per pixel whatever its window, a neighbour one pixel out of a piece
    /// lies in its window unless it lies outside the grid, and each piece adds its pixels in row order as before.
    /// </remarks>
    private List<PatchPiece> Pieces(ScenePair pair, Tile tile, byte[] coreMask, float[] scores, KeptImagery? imagery)
    {
        var core = tile.Core;
        var grid = new PixelWindow(0, 0, pair.Grid.Width, pair.Grid.Height);
        var layout = BandLayout.Of(pair.Bands);
        // The kept form's imagery: one view over the tile's read window for every piece. The sums are the same: the window
        // holds every pixel of the core and the one around it inside the grid, and the kept form holds every pixel a piece's
        // sums read (KeptRegion).
        PixelView? whole = imagery is null ? null
            : new PixelView(imagery.Window, pair.Grid.Width, pair.Grid.Height, layout, imagery.Before, imagery.After, imagery.Valid, scores);
        var result = new List<PatchPiece>();
        int[] labelPlane = _intPlanes.Rent((int)core.PixelCount);
        try
        {
            // One set of pieces per kind of change (a piece never spans two mask values, as no patch does): all the
            // change pieces, then all the greening ones, each kind in row-major order of first pixels.
            var labels = PieceLabeller.LabelRuns(coreMask, core.Width, core.Height, PieceValues, labelPlane);
            for (int k = 0; k < labels.Pieces.Count; k++)
            {
                var piece = labels.Pieces[k];
                var box = piece.Box;
                var view = whole ?? ReadPiece(pair, tile, box.Offset(core.X, core.Y).Expand(1, grid), layout, scores);
                var moments = new PatchMoments();
                int dx = core.X - view.Window.X, dy = core.Y - view.Window.Y;
                for (int y = box.Y; y < box.Bottom; y++)
                    for (int x = box.X; x < box.Right; x++)
                        if (coreMask[y * core.Width + x] == piece.Value && labels.PieceAt(x, y) == k) moments.Add(view, x + dx, y + dy);
                result.Add(new PatchPiece(core.X + piece.FirstX, core.Y + piece.FirstY, moments));
            }
        }
        finally
        {
            _intPlanes.Return(labelPlane);
        }
        return result;
    }

    /// <summary>A piece's window of the imagery as delivered, read from the pair, with the tile's scores cut to it.</summary>
    private static PixelView ReadPiece(ScenePair pair, Tile tile, PixelWindow window, BandLayout layout, float[] scores)
    {
        var t = new TileBuffers(window, pair.Bands.Count);
        pair.Read(window, t.Before, t.After, t.Valid);
        return new PixelView(window, pair.Grid.Width, pair.Grid.Height, layout, t.Before, t.After, t.Valid,
            Crop(scores, tile.Read, window.Offset(-tile.Read.X, -tile.Read.Y)));
    }

    /// <summary>The mask values whose pieces carry feature sums, in the order the pieces are listed.</summary>
    private static ReadOnlySpan<byte> PieceValues => [Morphology.Change, Morphology.ChangeVegetationGain];

    private IEnumerable<MorphologyFilter> Filters()
    {
        if (Options.OpenRadius > 0) yield return new MorphologyFilter(MorphologyOperation.Open, Options.OpenRadius);
        if (Options.CloseRadius > 0) yield return new MorphologyFilter(MorphologyOperation.Close, Options.CloseRadius);
    }

    /// <summary>Options for the mask GeoTIFF on the pair grid.</summary>
    public GeoTiffWriterOptions MaskFileOptions(GeoGrid grid) => MaskFileOptions(grid, Options.TileSize);

    /// <summary>
    /// Options for any change mask GeoTIFF on <paramref name="grid"/> (uint8, nodata 255, band "change"): the
    /// detector's, the baseline's and the pixel model's masks are read by the same tools.
    /// </summary>
    public static GeoTiffWriterOptions MaskFileOptions(GeoGrid grid, int tileSize) => new()
    {
        Width = grid.Width, Height = grid.Height, DataType = RasterDataType.UInt8, Transform = grid.Transform,
        Crs = grid.Crs, NoData = Morphology.NoData, BandNames = ["change"],
        TileSize = tileSize % 256 == 0 ? 256 : tileSize,
    };

    /// <summary>Counts of valid and changed pixels in a mask tile.</summary>
    public static (long Valid, long Changed) Count(ReadOnlySpan<byte> mask)
    {
        long v = 0, c = 0;
        foreach (byte px in mask)
        {
            if (px != Morphology.NoData) v++;
            if (Morphology.IsChange(px)) c++;
        }
        return (v, c);
    }

    /// <summary>
    /// Whether the change vector is IR-MAD's (<see cref="IrMad"/>) rather than the per-band scaled differences: when
    /// the bands reach the short-wave infrared, a property of the input. Then the bands span the reflective spectrum
    /// (visible, NIR, SWIR: Landsat TM/OLI, Sentinel-2), the setting IR-MAD was made for and validated on, and the
    /// variates separate directions of change (built-up vs bare soil vs water) that visible and NIR alone keep
    /// together. Measured on the labelled pairs (README, Detection): on the 6-band Landsat pair the MAD score lifts
    /// the product's pixel F1 from 0.770 to 0.804; on the 3-band RGB and 4-band VNIR pairs it scored below the per-band score.
    /// </summary>
    internal static bool UsesIrMad(BandRoles roles) => roles.Swir1.HasValue;

    /// <summary>
    /// The significance level at which the sample's median pixel must not look changed under IR-MAD's own no-change
    /// model (<see cref="FitsTheBulk"/>): the conventional 0.1 %. Checked against the labelled pairs, not chosen from
    /// them, but not free of them either: Nanjing's median pixel scores 19.9 against χ²₆'s 22.5 at this level (16.8 at
    /// 1 % would have refused it); a refused fit only means the per-band score of before this change.
    /// </summary>
    private const double MedianSignificance = 0.001;

    /// <summary>
    /// Whether IR-MAD's fit describes the bulk of the scene: the median pixel of the sample (an unchanged one, since
    /// most of a scene does not change, the premise of every threshold here) must not be significant change under
    /// the fit's own χ²_p model. It catches the reweighting collapsing onto one homogeneous class: on Sentinel-2
    /// cities stacked with SWIR (blue, green, red, NIR, SWIR1, SWIR2) IR-MAD's weights settled on the sea or a few
    /// fields, its median pixel scored χ² in the hundreds to tens of thousands, and the product's pooled F1 fell from
    /// 0.333 to 0.105 (README, Detection). Refused, the score is the per-band one.
    /// </summary>
    internal static bool FitsTheBulk(ChangeProjection projection, IReadOnlyList<BandNormalization> normalization, ushort[] before, ushort[] after, int n)
    {
        if (n == 0) return false;
        var scores = new float[n];
        ChangeKernel.Compute(before, after, n, n, new ChangeKernelOptions(normalization, projection: projection), scores);
        Array.Sort(scores);
        double median = scores[n / 2];
        return median * median <= MathNet.Numerics.Distributions.ChiSquared.InvCDF(projection.Count, 1 - MedianSignificance);
    }

    internal static BandRoles Roles(IReadOnlyList<SpectralBand> bands)
    {
        int? Find(SpectralBand b) { int i = bands.ToList().IndexOf(b); return i < 0 ? null : i; }
        return new BandRoles(Red: Find(SpectralBand.Red), Nir: Find(SpectralBand.Nir), Green: Find(SpectralBand.Green), Swir1: Find(SpectralBand.Swir1));
    }

    /// <summary>
    /// Sample windows on a regular lattice over the grid, <see cref="ChangeDetectionOptions.StatisticsWindows"/> of them
    /// (deterministic, tile-size independent, and as many on a 30 000² scene as on a 3 000² one: the statistics pass is a
    /// fixed cost). Along an axis that holds at least one whole window per lattice cell, each window starts on a multiple
    /// of the window size (<see cref="LatticeOrigin"/>); on a smaller axis the windows are centred in their cells and may overlap.
    /// </summary>
    internal IEnumerable<PixelWindow> SampleWindows(GeoGrid grid)
    {
        int perSide = Math.Max(1, (int)Math.Sqrt(Options.StatisticsWindows));
        int w = Math.Min(SampleWindow, grid.Width), h = Math.Min(SampleWindow, grid.Height);
        var seen = new HashSet<PixelWindow>();
        for (int j = 0; j < perSide; j++)
            for (int i = 0; i < perSide; i++)
            {
                var win = new PixelWindow(LatticeOrigin(grid.Width, w, i, perSide), LatticeOrigin(grid.Height, h, j, perSide), w, h);
                if (seen.Add(win)) yield return win;
            }
    }

    /// <summary>
    /// Where window <paramref name="i"/> of <paramref name="perSide"/> starts along an axis of <paramref name="size"/> pixels
    /// (<paramref name="window"/> pixels wide). When the axis holds at least <paramref name="perSide"/> whole windows, the
    /// window is snapped to the cell of the <paramref name="window"/>-pixel lattice nearest below the centred position:
    /// GeoTIFFs are tiled in 256² blocks (GDAL's default; 512² in COGs, of which a 256-aligned window covers a quarter),
    /// so a snapped window decodes one block per band and date instead of the four a window straddling block edges
    /// decodes; at 4096² the unsnapped lattice decoded 95 % of the scene's blocks, twice. Smaller axes (every labelled
    /// pair: the largest is 1 180 px) keep the centred placement, whose windows overlap and are read as one union.
    /// </summary>
    internal static int LatticeOrigin(int size, int window, int i, int perSide)
    {
        int cells = size / window;
        // cells ≥ perSide: cells · (i + ½) / perSide steps by at least one cell, so the windows stay distinct, and stays
        // below cells − ½, so the last window ends inside the axis.
        if (cells >= perSide) return window * (int)(cells * ((i + 0.5) / perSide));
        return (int)((size - window) * ((i + 0.5) / perSide));
    }

    private (ChangeKernelOptions Kernel, float[] SampleScores, float[] FloorScores) Normalise(ScenePair pair, int smooth, IProgress<StageProgress>? progress,
        Action? sampleRead, CancellationToken cancellationToken)
    {
        int bands = pair.Bands.Count;
        var stats = new PairStatistics(bands);
        var windows = SampleWindows(pair.Grid).ToList();
        var source = SampleSource.For(pair, windows);
        var roles = Roles(pair.Bands);
        bool invariant = Options.Normalization == RadiometricFit.InvariantPixels;
        bool mad = invariant && UsesIrMad(roles);
        // The invariant-pixel fit iterates over its sample, so it takes every k-th valid pixel,
        // k fixed by the lattice (never by the tile size): at most MaxFitSamples pixels.
        var fit = new FitSample(bands, windows.Sum(w => w.PixelCount));
        // The smoothed samples are kept for the scores below when they fit the budget (64 MiB for 64 windows of a 4-band
        // pair), rather than read and smoothed a second time: that second reading was as costly as the first.
        var kept = SampleBytes(windows, bands) <= KeptSampleBytes ? new (ushort[] Before, ushort[] After, int Count, byte[] Vegetated)[windows.Count] : null;
        int done = 0;
        // Each window's moments are summed on the thread that read it: integer sums, so merged in any order they are the
        // same, and the serial part below is left with the fit's pick of pixels.
        ForEachWindow(windows, win =>
        {
            var samples = ValidSamples(source, win, smooth, roles);
            var moments = new PairStatistics(bands);
            if (samples.Count > 0) moments.Add(samples.Before, samples.After, samples.Count, (int)win.PixelCount);
            return (Samples: samples, Moments: moments);
        }, (i, win, result) =>
        {
            var (samples, moments) = result;
            var (before, after, count, _) = samples;
            stats.Merge(moments);
            if (invariant) fit.Collect(before, after, count, (int)win.PixelCount);
            if (kept is not null) kept[i] = samples;
            progress?.Report(new StageProgress("statistics", ++done, windows.Count));
        }, all: kept is not null, cancellationToken);
        // IR-MAD's sample counts every pixel once: on a scene smaller than the lattice the windows overlap (up to
        // 32-fold on 512²), and a sample taken window by window weighs the centre of the scene many times over its
        // edges (on the labelled Landsat pair that alone cost 0.015 F1: 0.789 against 0.804). Then it reads the union of the windows, once.
        var madFit = fit;
        if (mad && source.Union is PixelWindow union)
        {
            madFit = new FitSample(bands, union.PixelCount);
            var (before, after, count, _) = ValidSamples(source, union, smooth, roles);
            madFit.Collect(before, after, count, (int)union.PixelCount);
        }
        // Kept, the sample is not read again: the pair is free for other readers.
        if (kept is not null) sampleRead?.Invoke();
        if (stats.Count == 0)
            throw new ChangeDetectionException($"{pair.BeforeInfo.Path} and {pair.AfterInfo.Path}: no sampled pixel holds data in both dates; the overlap is all nodata.");

        var normalization = invariant
            ? InvariantPixelNormalization.Fit(fit.Before, fit.After, workers: Math.Max(1, Options.Workers)).Bands
            : RadiometricNormalization.MeanStdMatching(stats);
        var projection = mad ? IrMad.Fit(madFit.Before, madFit.After)?.Projection : null;
        if (projection is not null)
        {
            var (sampleBefore, sampleAfter, count) = madFit.Samples();
            if (!FitsTheBulk(projection, normalization, sampleBefore, sampleAfter, count)) projection = null;
        }
        var kernel = new ChangeKernelOptions(normalization, roles: roles,
            ndviWeight: roles.HasNdvi ? Options.NdviWeight : null, waterWeight: roles.HasWaterIndex ? Options.WaterWeight : null,
            projection: projection);

        // The sample's scores size the histogram. Only one order statistic of them is used, so their order does not
        // change the result: the kept windows are scored in parallel, each into its own part of one array.
        if (kept is not null)
        {
            var keptScores = KeptScores(windows, kept, kernel, cancellationToken);
            return (kernel, keptScores.Scores, keptScores.Floor);
        }
        // Over the budget (many bands), the windows are read again, last window first: the pair's block caches then
        // still hold the blocks the first reading decoded last, and on the block-aligned lattice of a 4-band scene
        // (64 windows of one 128 KiB block per band and date: 32 MiB a file) every block of the sample.
        var scores = new List<float>();
        var floorScores = new List<float>();
        var reversed = Enumerable.Reverse(windows).ToList();
        ForEachWindow(reversed, win =>
        {
            var (before, after, count, vegetated) = ValidSamples(source, win, smooth, roles);
            var s = new float[count];
            if (count > 0) ChangeKernel.Compute(before, after, count, (int)win.PixelCount, kernel, s);
            return (s, vegetated);
        }, (_, _, s) =>
        {
            scores.AddRange(s.s);
            for (int i = 0; i < s.s.Length; i++)
                if (s.vegetated[i] == 0) floorScores.Add(s.s[i]);
        }, all: false, cancellationToken);
        return (kernel, scores.ToArray(), floorScores.ToArray());
    }

    /// <summary>
    /// The most bytes of smoothed sample pixels the statistics pass keeps between its fit and its scores (both dates, every
    /// band, 2 bytes a value): 64 windows of 256² of a 6-band pair (96 MiB); with more bands, the windows are read again.
    /// A test sets it to 0 to check that both ways give the same model.
    /// </summary>
    internal long KeptSampleBytes { get; init; } = 96L << 20;

    private static long SampleBytes(IReadOnlyList<PixelWindow> windows, int bands) => windows.Sum(w => w.PixelCount) * bands * 2 * sizeof(ushort);

    /// <summary>
    /// The scores of the kept sample windows (their valid pixels), window after window in one array, and those of the pixels
    /// not vegetated on both dates (what the scene's histogram counts: the score floor's sample).
    /// </summary>
    private (float[] Scores, float[] Floor) KeptScores(IReadOnlyList<PixelWindow> windows, (ushort[] Before, ushort[] After, int Count, byte[] Vegetated)[] kept, ChangeKernelOptions kernel,
        CancellationToken cancellationToken)
    {
        var offsets = new int[kept.Length + 1];
        for (int i = 0; i < kept.Length; i++) offsets[i + 1] = offsets[i] + kept[i].Count;
        var scores = new float[offsets[^1]];
        var vegetated = new byte[offsets[^1]];
        Parallel.For(0, kept.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Options.Workers), CancellationToken = cancellationToken }, i =>
        {
            var (before, after, count, flags) = kept[i];
            if (count > 0) ChangeKernel.Compute(before, after, count, (int)windows[i].PixelCount, kernel, scores.AsSpan(offsets[i], count));
            flags.AsSpan(0, count).CopyTo(vegetated.AsSpan(offsets[i]));
            kept[i] = default;
        });
        var floor = new float[vegetated.Length - vegetated.Count(v => v != 0)];
        for (int i = 0, j = 0; i < scores.Length; i++)
            if (vegetated[i] == 0) floor[j++] = scores[i];
        return (scores, floor);
    }

    /// <summary>
    /// Applies <paramref name="work"/> (a window's read and arithmetic) to <paramref name="windows"/> on
    /// <see cref="ChangeDetectionOptions.Workers"/> threads, and <paramref name="consume"/> (given the window's index) to the
    /// results one at a time in window order: the sums the statistics accumulate then do not depend on the thread timing.
    /// With <paramref name="all"/> the windows run as one parallel loop (the caller keeps every result anyway); else in
    /// batches of the worker count, so that at most one batch of windows' buffers is alive at a time.
    /// </summary>
    private void ForEachWindow<T>(IReadOnlyList<PixelWindow> windows, Func<PixelWindow, T> work, Action<int, PixelWindow, T> consume, bool all,
        CancellationToken cancellationToken)
    {
        int workers = Math.Max(1, Options.Workers), batch = all ? Math.Max(1, windows.Count) : workers;
        var results = new T[batch];
        for (int start = 0; start < windows.Count; start += batch)
        {
            int count = Math.Min(batch, windows.Count - start);
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, k => results[k] = work(windows[start + k]));
            for (int k = 0; k < count; k++)
            {
                consume(start + k, windows[start + k], results[k]);
                results[k] = default!;
            }
        }
    }

    /// <summary>
    /// The pixels of a window valid in both dates, compacted to the front of each band (band stride = window pixels), and
    /// whether each is vegetated on both dates (1; judged on the delivered numbers, as the histogram pass does).
    /// </summary>
    private static (ushort[] Before, ushort[] After, int Count, byte[] Vegetated) ValidSamples(SampleSource source, PixelWindow win, int smooth, BandRoles roles)
    {
        int bands = source.Bands, n = (int)win.PixelCount, m = 0;
        var t = new TileBuffers(win, bands);
        source.Read(win, t);
        var vegetated = new byte[n];
        VegetationGain.FlagVegetated(vegetated, 1, t.Before, t.After, n, roles);
        Smooth(bands, win, t, smooth);
        for (int i = 0; i < n; i++)
        {
            if (t.Valid[i] == 0) continue;
            for (int k = 0; k < bands; k++)
            {
                t.Before[k * n + m] = t.Before[k * n + i];
                t.After[k * n + m] = t.After[k * n + i];
            }
            vegetated[m] = vegetated[i];
            m++;
        }
        return (t.Before, t.After, m, vegetated);
    }

    private static void ReadSmoothed(ScenePair pair, PixelWindow window, TileBuffers t, int smooth)
    {
        pair.Read(window, t.Before, t.After, t.Valid);
        Smooth(pair.Bands.Count, window, t, smooth);
    }

    private static void Smooth(int bands, PixelWindow window, TileBuffers t, int smooth)
    {
        BoxMean.Apply(t.Before, t.After, bands, window.Width, window.Height, t.Valid, smooth);
    }

    /// <summary>
    /// Where the statistics pass reads its sample windows. On a scene narrower or shorter than the lattice
    /// (8 windows of 256 px a side) the windows overlap, up to 32-fold on a 512² scene: then the union of
    /// the windows is read once and each window is cut from it, which gives the same pixels as reading the
    /// window (a pair's read is per pixel, whatever the window) without decoding the same blocks again.
    /// </summary>
    private sealed class SampleSource
    {
        private readonly ScenePair _pair;
        private readonly PixelWindow _union;
        private readonly TileBuffers? _cache;

        private SampleSource(ScenePair pair, PixelWindow union, TileBuffers? cache) => (_pair, _union, _cache) = (pair, union, cache);

        public int Bands => _pair.Bands.Count;

        /// <summary>The union of the windows when it is read once and the windows cut from it (they overlap), else null.</summary>
        public PixelWindow? Union => _cache is null ? null : _union;

        public static SampleSource For(ScenePair pair, IReadOnlyList<PixelWindow> windows)
        {
            if (windows.Count == 0) return new SampleSource(pair, default, null);
            int x0 = windows.Min(w => w.X), y0 = windows.Min(w => w.Y);
            var union = new PixelWindow(x0, y0, windows.Max(w => w.Right) - x0, windows.Max(w => w.Bottom) - y0);
            // Only when the windows overlap at least twofold: the union then holds at most half the
            // lattice's pixels, so the buffer stays below what the windows' reads decode anyway.
            if (2 * union.PixelCount > windows.Sum(w => w.PixelCount)) return new SampleSource(pair, union, null);
            var cache = new TileBuffers(union, pair.Bands.Count);
            pair.Read(union, cache.Before, cache.After, cache.Valid);
            return new SampleSource(pair, union, cache);
        }

        public void Read(PixelWindow window, TileBuffers t)
        {
            if (_cache is null)
            {
                _pair.Read(window, t.Before, t.After, t.Valid);
                return;
            }
            int n = (int)window.PixelCount, un = (int)_union.PixelCount;
            for (int r = 0; r < window.Height; r++)
            {
                int from = (window.Y - _union.Y + r) * _union.Width + (window.X - _union.X), to = r * window.Width;
                _cache.Valid.AsSpan(from, window.Width).CopyTo(t.Valid.AsSpan(to));
                for (int k = 0; k < Bands; k++)
                {
                    _cache.Before.AsSpan(k * un + from, window.Width).CopyTo(t.Before.AsSpan(k * n + to));
                    _cache.After.AsSpan(k * un + from, window.Width).CopyTo(t.After.AsSpan(k * n + to));
                }
            }
        }
    }

    /// <summary>Every k-th valid pixel offered, k chosen so that at most <see cref="MaxFitSamples"/> of <c>offered</c> are kept.</summary>
    private sealed class FitSample(int bands, long offered)
    {
        private readonly int _stride = (int)Math.Max(1, (offered + MaxFitSamples - 1) / MaxFitSamples);
        private readonly List<float>[] _before = [.. Enumerable.Range(0, bands).Select(_ => new List<float>())];
        private readonly List<float>[] _after = [.. Enumerable.Range(0, bands).Select(_ => new List<float>())];
        private long _seen;

        /// <summary>Offers the first <paramref name="count"/> pixels of band-sequential buffers of band stride <paramref name="n"/>.</summary>
        public void Collect(ushort[] before, ushort[] after, int count, int n)
        {
            for (int i = 0; i < count; i++, _seen++)
            {
                if (_seen % _stride != 0) continue;
                for (int k = 0; k < bands; k++)
                {
                    _before[k].Add(before[k * n + i]);
                    _after[k].Add(after[k * n + i]);
                }
            }
        }

        /// <summary>The kept pixels as band-sequential DN rows (band stride = pixel count), as the kernel reads them.</summary>
        public (ushort[] Before, ushort[] After, int Count) Samples()
        {
            int n = _before[0].Count;
            var b = new ushort[bands * n];
            var a = new ushort[bands * n];
            for (int k = 0; k < bands; k++)
                for (int i = 0; i < n; i++)
                {
                    b[k * n + i] = (ushort)_before[k][i];
                    a[k * n + i] = (ushort)_after[k][i];
                }
            return (b, a, n);
        }

        public float[][] Before => [.. _before.Select(l => l.ToArray())];
        public float[][] After => [.. _after.Select(l => l.ToArray())];
    }

    private sealed class TileBuffers(PixelWindow window, int bands)
    {
        public ushort[] Before { get; } = new ushort[window.PixelCount * bands];
        public ushort[] After { get; } = new ushort[window.PixelCount * bands];
        public byte[] Valid { get; } = new byte[window.PixelCount];
    }
}
