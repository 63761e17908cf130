using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Export;
using ChangeDetection.IO;
using ChangeDetection.Registration;
using ChangeDetection.Vectorization;
using ChangeDetection.Kernels;
using ChangeDetection.Overlay;
using ChangeDetection.PixelModel;
using ChangeDetection.Tasks;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Pipeline;

/// <summary>Options of a region run that are not in the config (host choices). Sizes in pixels.</summary>
public sealed record RegionRunOptions
{
    /// <summary>Output folder; overrides the config's <c>output</c>.</summary>
    public string? Output { get; init; }
    /// <summary>Tile edge in pixels; overrides the config's <c>detection.tileSize</c>.</summary>
    public int? TileSize { get; init; }
    public int Workers { get; init; } = Environment.ProcessorCount;
    /// <summary>Keep the change mask (mask.tif) in the output folder.</summary>
    public bool WriteMask { get; init; }
    /// <summary>Discard a ledger written by a different run and start over.</summary>
    public bool Force { get; init; }
    /// <summary>Resume when the ledger belongs to this same run, start over silently when it does not (the demo's choice).</summary>
    public bool RestartIfChanged { get; init; }
    /// <summary>The patch classifier model; overrides the config's <c>model</c>; <see cref="PatchClassifier.NoModel"/> (<c>none</c>): no classifier.</summary>
    public string? Model { get; init; }
    /// <summary>
    /// A patch classified pseudo-change with at least this confidence produces no task (it stays in the
    /// patch layer); overrides the config's <c>pseudoConfidence</c>; null: that, else <see cref="RegionRun.DefaultPseudoConfidence"/>.
    /// </summary>
    public double? PseudoConfidence { get; init; }
    /// <summary>DBF encoding of the exported Shapefiles (UTF-8; GBK for older desktop GIS).</summary>
    public DbfEncoding ShapefileEncoding { get; init; } = DbfEncoding.Utf8;
    /// <summary>The packages' delivery CRS; overrides the config's <c>deliveryCrs</c>; null: that, else <see cref="DeliveryCrs.Default"/>.</summary>
    public DeliveryCrs? DeliveryCrs { get; init; }
    /// <summary>Export only this province (two-digit code); null: every province.</summary>
    public string? Province { get; init; }
    /// <summary>
    /// The learned pixel model (<c>cdx train --pixel-model</c>) whose probability decides the mask; overrides the config's
    /// <c>pixelModel</c>; <see cref="RegionConfig.PixelModelNone"/> (<c>none</c>): the detector's threshold decides.
    /// </summary>
    public string? PixelModel { get; init; }
}

/// <summary>The outcome of a region run: where things are and the figures of run.json.</summary>
public sealed record RegionRunResult(string OutputFolder, string RunJson, float Threshold, long ValidPixels, long ChangedPixels, int Tiles, int TilesResumed, string? MaskPath)
{
    /// <summary>Monitoring patches (图斑) delivered (above the minimum mapping unit).</summary>
    public int Patches { get; init; }
    /// <summary>Patches the classifier called pseudo-change with enough confidence: in the patch layer, not tasks.</summary>
    public int PseudoPatches { get; init; }
    /// <summary>Verification tasks (核查任务) by province code.</summary>
    public IReadOnlyDictionary<string, int> TasksByProvince { get; init; } = new Dictionary<string, int>();
    /// <summary>Warnings of the overlay (repaired layer polygons, patches outside every division).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The deliverables written (absolute paths).</summary>
    public IReadOnlyList<string> Outputs { get; init; } = [];

    /// <summary>The pixel model whose probability decided the mask, or null when the detector's <see cref="Threshold"/> did.</summary>
    public string? PixelModel { get; init; }

    /// <summary>The pixel model's probability threshold (change above it); null without a pixel model.</summary>
    public double? PixelThreshold { get; init; }
}

/// <summary>
/// A region run: the stages wired together, driven by a <see cref="RunLedger"/> so that a killed
/// run resumes where it stopped and ends with the same outputs. Data flows one way:
/// config → scene pair → model → histogram → threshold → mask tiles → mask → outputs, run.json.
/// </summary>
public sealed partial class RegionRun
{
    private const string MaskStage = "mask";
    private const string HistogramStage = "histogram";
    private const string PiecesStage = "pieces";

    public RegionRun(RegionConfig config, RegionRunOptions? options = null)
    {
        Config = config;
        Options = options ?? new RegionRunOptions();
        var d = config.Detection;
        Detection = new ChangeDetectionOptions
        {
            TileSize = Options.TileSize ?? d.TileSize,
            Threshold = d.Threshold,
            OpenRadius = d.OpenRadius,
            CloseRadius = d.CloseRadius,
            SmoothRadius = d.SmoothRadius,
            Normalization = d.Normalization,
            Register = d.Register,
            Workers = Options.Workers,
        };
        try
        {
            Detection.Validate();
        }
        catch (ChangeDetectionException e)
        {
            throw new ConfigException($"{config.FilePath}: detection settings (\"detection\", or --tile/--workers): {e.Message}", e);
        }
    }

    public RegionConfig Config { get; }
    /// <summary>The classifier model file used (options, else config), or null for none (<c>--model none</c>, <c>"model": "none"</c>).</summary>
    public string? ModelPath => Options.Model switch
    {
        PatchClassifier.NoModel => null,
        string m => Path.GetFullPath(m),
        null => Config.Model,
    };
    public RegionRunOptions Options { get; }

    /// <summary>The pixel model file used (options, else config), or null when the detector's threshold decides the mask.</summary>
    public string? PixelModelPath => Options.PixelModel switch
    {
        RegionConfig.PixelModelNone => null,
        string m => Path.GetFullPath(m),
        null => Config.PixelModel,
    };

    private PixelChangeModel? _pixelModel;

    /// <summary>The pixel model of <see cref="PixelModelPath"/>, loaded once (null without one).</summary>
    /// <exception cref="ChangeDetectionException">The file is missing or not a pixel model of this build.</exception>
    internal PixelChangeModel? LoadedPixelModel() =>
        PixelModelPath is string path ? _pixelModel ??= PixelChangeModel.Load(path) : null;

    /// <summary>The pseudo-change confidence when neither the options nor the config give one.</summary>
    public const double DefaultPseudoConfidence = Classification.ProductRules.DefaultPseudoConfidence;

    /// <summary>The confidence from which a pseudo-change call drops a task (options, else config, else the default).</summary>
    public double PseudoConfidence => Options.PseudoConfidence ?? Config.PseudoConfidence ?? DefaultPseudoConfidence;
    public ChangeDetectionOptions Detection { get; }

    /// <summary>The packages' delivery CRS setting (options, else config, else <see cref="DeliveryCrs.Default"/>).</summary>
    public DeliveryCrs DeliveryCrsSetting => Options.DeliveryCrs ?? Config.DeliveryCrs ?? DeliveryCrs.Default;
    public string OutputFolder => Options.Output is string o ? Path.GetFullPath(o) : Config.Output;

    /// <summary>Shortcut: loads nothing, runs <paramref name="config"/> with <paramref name="options"/>.</summary>
    public static RegionRunResult Run(RegionConfig config, RegionRunOptions? options = null, IProgress<StageProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        new RegionRun(config, options).Execute(progress, cancellationToken);

    /// <summary>Checks (<see cref="Check"/>), then runs (or resumes) every stage and writes run.json.</summary>
    /// <exception cref="ConfigException">The check found a problem; nothing was computed or written.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled: the tiles in flight finish and are kept in the ledger, no stage
    /// after them starts and the previous deliverables stay in place, so the same run again resumes from there.
    /// </exception>
    public RegionRunResult Execute(IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var check = Check();
        var timings = new Dictionary<string, double>();
        string output = OutputFolder;
        // One writer per output folder (cdx run, cdx export and region jobs alike); it then cleans what killed runs left.
        using var held = RegionLock.Acquire(output);
        Delivery.Recover(output);
        string work = Path.Combine(output, ".work");
        var inputs = InputFingerprints();
        string configSha = ConfigSha();
        string fingerprint = RasterFingerprint();

        using var ledger = RunLedger.Open(work, fingerprint, Options.Force, Options.RestartIfChanged);
        using var pair = ScenePair.Open(Config.Before.Path, Config.After.Path, new ScenePairOptions { BandNumbers = Config.Bands });
        var settings = Settings();
        var started = StartRecord(configSha, settings, InputRecords(inputs, settings.ModelSha256, settings.PixelModelSha256));
        started.Write(Path.Combine(output, RunRecord.FileName));
        var detector = new ChangeDetector(Detection);

        var stage = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        var model = DetectionModelFor(ledger, detector, pair, progress);
        timings["statistics"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        var scores = ScoreStore(detector, pair, model);
        var histogram = RunHistogram(ledger, detector, pair, model, scores, progress, cancellationToken);
        float threshold = detector.Threshold(pair, histogram);
        timings["histogram"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        var scheme = detector.MaskTiles(pair, model);
        int resumed = ledger.Finished(MaskStage).Count;
        using (var pixel = resumed < scheme.Count ? PixelDecision.Open(this) : null)
            RunMaskTiles(ledger, detector, pair, model, threshold, scheme, scores, pixel?.Decision, progress, cancellationToken);
        // Every mask tile is in the ledger now: the scores are not needed again, even to resume,
        // and no later stage reads the imagery through this pair's block caches.
        scores.Delete();
        pair.ClearBlockCaches();
        timings["mask"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        string maskPath = Path.Combine(work, "mask.tif");
        var (valid, changed) = AssembleMask(ledger, detector, pair, scheme, maskPath);
        timings["assemble"] = stage.Elapsed.TotalSeconds;

        cancellationToken.ThrowIfCancellationRequested();
        stage.Restart();
        using var rules = ProductRules();
        // The polygonizer says which patch holds each piece of the mask pass (by its first pixel).
        var candidates = rules.Candidates(maskPath, pair.Grid, Detection.Workers, PatchFeatures.Probes(LedgerPieces(ledger, scheme)));
        progress?.Report(new StageProgress("patches", 1, 1));
        timings["patches"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        var features = PatchFeatureVectors(ledger, scheme, candidates, threshold);
        timings["features"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        var patches = rules.Classify(candidates.Patches.Select(p => new PatchRecord(p) { Features = features[p.PatchId] }).ToList())
            .Where(r => r.Delivered).ToList();
        timings["classify"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        var overlay = OverlayStage.Run(patches.Select(r => r.Patch.MapGeometry).ToList(), pair.Grid.Crs, LayerSpecs(), AdminSpecOrNull(), RegionDivision, Detection.Workers);
        // From here in JCBH order, each with its task fields.
        var numbered = TaskBuilder.Build(patches, overlay, Config.Before.Date, Config.After.Date, Config.Quarter);
        var records = numbered.Select(r => r.Task!).ToList();
        var tasks = TaskBuilder.Tasks(records);
        progress?.Report(new StageProgress("overlay", 1, 1));
        timings["overlay"] = stage.Elapsed.TotalSeconds;

        // The whole deliverable set is staged, then swapped in at once (Delivery).
        cancellationToken.ThrowIfCancellationRequested();
        stage.Restart();
        using var delivery = Delivery.Begin(output);
        string staging = delivery.Staging;
        var staged = new List<string>();
        // A mask.tif already in the folder is refreshed even when not asked for: it must not be another run's.
        string? keptMask = Options.WriteMask || File.Exists(Path.Combine(output, Delivery.MaskName)) ? Path.Combine(output, Delivery.MaskName) : null;
        if (keptMask is not null)
        {
            CloudOptimizedMask.Write(maskPath, Path.Combine(staging, Delivery.MaskName));
            staged.Add(Path.Combine(staging, Delivery.MaskName));
        }
        staged.AddRange(WritePatches(staging, records, pair.Grid.Crs));
        staged.Add(WritePatchFeatures(staging, numbered));
        RunTasks.Write(Path.Combine(staging, RunTasks.FileName), tasks);
        staged.Add(Path.Combine(staging, RunTasks.FileName));
        var record = started with
        {
            Status = RunRecord.Complete, ProcessId = null, Previous = null, Fingerprint = fingerprint,
            Parameters = settings with
            {
                SmoothRadius = model.SmoothRadius,
                Bands = pair.Bands.Select(b => b.Name()).ToList(),
                AfterResampled = pair.AfterResampled,
                Registration = new RunRegistration(model.Registration.Dx, model.Registration.Dy, model.Registration.Status.ToString(), model.Registration.Windows,
                    model.Registration.Confident, model.Registration.Agreeing, model.Registration.Reason),
                RegistrationApplied = model.RegistrationApplied,
            },
            Grid = new RunGrid(pair.Grid.Width, pair.Grid.Height, pair.Grid.Crs.Epsg, pair.Grid.Transform.ToArray()),
        };
        // The packages come from the record and the tasks alone, as 'cdx export' makes them again.
        var packages = RunExport.Write(staging, tasks, pair.Grid.Crs, record, new RunExportOptions { Province = Options.Province });
        staged.AddRange(packages.Select(p => p.Folder));
        timings["export"] = stage.Elapsed.TotalSeconds;
        var warnings = check.Warnings.Concat(overlay.Warnings).Concat(overlay.Patches.SelectMany(p => p.Warnings)).Distinct().ToList();

        string runJson = Path.Combine(output, Delivery.RunJsonName);
        var result = new RegionRunResult(output, runJson, threshold, valid, changed, scheme.Count, resumed, keptMask)
        {
            Outputs = staged.Select(delivery.FinalPath).ToList(),
            Patches = patches.Count,
            PseudoPatches = records.Count - tasks.Count,
            PixelModel = PixelModelPath,
            PixelThreshold = LoadedPixelModel()?.Threshold,
            TasksByProvince = tasks.GroupBy(t => t.Province).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            Warnings = warnings,
        };
        record = record with
        {
            Warnings = warnings,
            FinishedUtc = DateTime.UtcNow.ToString("O"),
            Threshold = threshold,
            Counts = new RunCounts(result.Tiles, result.TilesResumed, result.ValidPixels, result.ChangedPixels, result.Patches, result.PseudoPatches,
                result.TasksByProvince.Values.Sum(), result.TasksByProvince),
            Timings = timings.Select(kv => KeyValuePair.Create(kv.Key, Math.Round(kv.Value, 3)))
                .Append(KeyValuePair.Create("total", Math.Round(clock.Elapsed.TotalSeconds, 3))).ToDictionary(),
        };
        record.Write(Path.Combine(staging, RunRecord.FileName));
        // The last moment to stop: after the swap the run is complete.
        cancellationToken.ThrowIfCancellationRequested();
        delivery.Commit(mergeProvinces: Options.Province is not null);
        return result;
    }

    /// <summary>
    /// Each patch's <see cref="PatchFeatures"/> vector by <see cref="PatchId"/>, from the sums the mask pass gathered per
    /// piece of change (kept in the ledger with the tile's mask), each piece joined to the patch the polygonizer found
    /// holding it: the imagery is not read again. Used by the classifier and written to <see cref="RunPatchFeatures.FileName"/>.
    /// </summary>
    private static IReadOnlyDictionary<PatchId, float[]> PatchFeatureVectors(RunLedger ledger, TileScheme scheme, CandidatePatches candidates, float threshold) =>
        PatchFeatures.ByPatch(candidates.Patches, LedgerPieces(ledger, scheme), candidates.Owners, threshold);

    /// <summary>The pieces of change of every mask tile, in tile order, decoded from the ledger one tile at a time (never all held at once).</summary>
    private static IEnumerable<PatchPiece> LedgerPieces(RunLedger ledger, TileScheme scheme) =>
        scheme.Tiles().SelectMany(tile => DecodePieces(ledger.Get(PiecesStage, tile.Index)
            ?? throw new ChangeDetectionException($"{ledger.Path}: mask tile {tile.Index} has no patch-feature sums (a ledger of another cdx version?); run again with --force.")));

    /// <summary>
    /// The product rules of this run: the config's minimum mapping units, the model (loaded once per
    /// run) and <see cref="PseudoConfidence"/>; <c>cdx eval</c> scores masks with the same rules.
    /// </summary>
    public ProductRules ProductRules() => Classification.ProductRules.Load(ModelPath, PseudoConfidence, Config.Detection.MinAreaM2);

    /// <summary>
    /// <see cref="RunPatchFeatures.FileName"/>: every patch's feature vector by JCBH (label empty,
    /// with the schema version), in JCBH order, so that verification results sent back later can be
    /// trained on without reading the imagery again (<c>cdx train --results … --run …</c>).
    /// </summary>
    private static string WritePatchFeatures(string output, IReadOnlyList<PatchRecord> records)
    {
        var rows = records.Select(r => (r.Task!.JCBH, new LabelledFeatures(r.Features!, "")));
        string path = Path.Combine(output, RunPatchFeatures.FileName);
        AtomicFile.Write(path, tmp => FeatureTable.Write(tmp, rows));
        return path;
    }

    /// <summary>
    /// The patch layer: every patch with the task fields, pseudo-changes included —
    /// patches.gpkg (image CRS, layer <c>patches</c>) and patches.geojson (lon/lat).
    /// </summary>
    private IEnumerable<string> WritePatches(string output, IReadOnlyList<VerificationTask> records, Geo.Crs crs)
    {
        // A fixed gpkg timestamp (the after image's date) keeps re-runs byte-identical.
        var stamp = Config.After.Date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        string gpkg = Path.Combine(output, "patches.gpkg");
        GeoPackageTaskWriter.Write(gpkg, records, crs, "patches", "Monitoring patches (图斑)", stamp);
        yield return gpkg;
        if (new Geo.MapMeasurer(crs).CanLocate)
        {
            string geojson = Path.Combine(output, "patches.geojson");
            GeoJsonTaskWriter.Write(geojson, records, crs);
            yield return geojson;
        }
    }

    /// <summary>
    /// Where the histogram pass keeps each tile's scores for the mask pass: <c>.work/scores</c>, seen by
    /// every process that sees the output folder (the fan-out's workers).
    /// </summary>
    private TileScoreStore ScoreStore(ChangeDetector detector, ScenePair pair, DetectionModel model) =>
        detector.ScoreStore(pair, model, Path.Combine(OutputFolder, ".work", "scores"));

    private ScoreHistogram RunHistogram(RunLedger ledger, ChangeDetector detector, ScenePair pair, DetectionModel model, TileScoreStore scores, IProgress<StageProgress>? progress,
        CancellationToken cancellationToken)
    {
        var scheme = detector.HistogramTiles(pair, model);
        var finished = ledger.Finished(HistogramStage);
        int done = finished.Count;
        Parallel.ForEach(scheme.Tiles().Where(t => !finished.Contains(t.Index)), Parallelism(cancellationToken), tile =>
        {
            // The scores are on disk before the histogram counts as finished.
            var h = detector.TileHistogram(pair, model, tile, scores);
            ledger.Put(HistogramStage, tile.Index, EncodeHistogram(h));
            progress?.Report(new StageProgress("histogram", Interlocked.Increment(ref done), scheme.Count));
        });
        // Merge in tile order from the ledger: integer counts, so the order only matters for clarity.
        var total = new ScoreHistogram(Detection.HistogramBins, model.HistogramMax);
        foreach (var tile in scheme.Tiles())
            total.Merge(DecodeHistogram(ledger.Get(HistogramStage, tile.Index)!, model.HistogramMax));
        return total;
    }

    private void RunMaskTiles(RunLedger ledger, ChangeDetector detector, ScenePair pair, DetectionModel model, float threshold, TileScheme scheme, TileScoreStore scores,
        IChangeDecision? decision, IProgress<StageProgress>? progress, CancellationToken cancellationToken)
    {
        var finished = ledger.Finished(MaskStage);
        int done = finished.Count;
        progress?.Report(new StageProgress("mask", done, scheme.Count));
        Parallel.ForEach(scheme.Tiles().Where(t => !finished.Contains(t.Index)), Parallelism(cancellationToken), tile =>
        {
            ComputeMaskTile(ledger, detector, pair, model, threshold, tile, scores, decision);
            progress?.Report(new StageProgress("mask", Interlocked.Increment(ref done), scheme.Count));
        });
    }

    /// <summary>
    /// A tile pass's parallelism: once <paramref name="cancellationToken"/> is cancelled no further tile starts, the tiles
    /// in flight finish into the ledger, and the pass throws <see cref="OperationCanceledException"/>.
    /// </summary>
    private ParallelOptions Parallelism(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = Detection.Workers, CancellationToken = cancellationToken };

    /// <summary>
    /// One tile of the mask pass into the ledger: its mask (the threshold's on the scores, or the pixel model's
    /// <paramref name="decision"/>) and the feature sums of its pieces of change.
    /// </summary>
    private static void ComputeMaskTile(RunLedger ledger, ChangeDetector detector, ScenePair pair, DetectionModel model, float threshold, Tile tile, TileScoreStore scores, IChangeDecision? decision)
    {
        var (mask, pieces) = detector.TileMaskAndPieces(pair, model, threshold, tile, scores, decision);
        // Pieces first: a tile counts as finished once its mask is in.
        ledger.Put(PiecesStage, tile.Index, EncodePieces(pieces));
        ledger.Put(MaskStage, tile.Index, Compress(mask));
    }

    /// <summary>Writes the mask from the ledger in tile order, so the file's bytes do not depend on which tiles ran when.</summary>
    private static (long Valid, long Changed) AssembleMask(RunLedger ledger, ChangeDetector detector, ScenePair pair, TileScheme scheme, string path)
    {
        long valid = 0, changed = 0;
        AtomicFile.Write(path, tmp =>
        {
            using var writer = GeoTiffWriter.Create(tmp, detector.MaskFileOptions(pair.Grid));
            foreach (var tile in scheme.Tiles())
            {
                var mask = Decompress(ledger.Get(MaskStage, tile.Index) ?? throw new InvalidOperationException($"Mask tile {tile.Index} is missing from the ledger."), (int)tile.Core.PixelCount);
                writer.WriteWindow<byte>(tile.Core, mask);
                var (v, c) = ChangeDetector.Count(mask);
                valid += v;
                changed += c;
            }
        });
        return (valid, changed);
    }

    private static byte[] Compress(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest)) z.Write(data);
        return ms.ToArray();
    }

    private static byte[] Decompress(byte[] data, int length)
    {
        var result = new byte[length];
        using var z = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
        z.ReadExactly(result);
        return result;
    }

    private static byte[] EncodePieces(IReadOnlyList<PatchPiece> pieces)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(pieces.Count);
            foreach (var p in pieces)
            {
                w.Write(p.X);
                w.Write(p.Y);
                p.Moments.Write(w);
            }
        }
        return Compress(ms.ToArray());
    }

    private static List<PatchPiece> DecodePieces(byte[] data)
    {
        using var z = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
        using var r = new BinaryReader(z);
        int count = r.ReadInt32();
        var pieces = new List<PatchPiece>(count);
        for (int k = 0; k < count; k++)
        {
            int x = r.ReadInt32(), y = r.ReadInt32();
            pieces.Add(new PatchPiece(x, y, PatchMoments.Read(r)));
        }
        return pieces;
    }

    private static byte[] EncodeHistogram(ScoreHistogram h)
    {
        var counts = h.Counts;
        var bytes = new byte[8 * (counts.Length + 1)];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), h.AboveMax);
        for (int i = 0; i < counts.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(8 * (i + 1)), counts[i]);
        return Compress(bytes);
    }

    private ScoreHistogram DecodeHistogram(byte[] data, float max)
    {
        var bytes = Decompress(data, 8 * (Detection.HistogramBins + 1));
        var counts = new long[Detection.HistogramBins];
        for (int i = 0; i < counts.Length; i++) counts[i] = BitConverter.ToInt64(bytes, 8 * (i + 1));
        return ScoreHistogram.FromCounts(max, counts, BitConverter.ToInt64(bytes, 0));
    }

    /// <summary>
    /// The run's detection model: read back from the ledger (a resumed run, another worker) or made by
    /// pass 1 and recorded; either way the pair is then read with its co-registration shift.
    /// </summary>
    private static DetectionModel DetectionModelFor(RunLedger ledger, ChangeDetector detector, ScenePair pair, IProgress<StageProgress>? progress)
    {
        DetectionModel model;
        if (ledger.GetValue("model") is string json) model = ModelJson.Read(json);
        else
        {
            model = detector.Prepare(pair, progress);
            ledger.SetValue("model", ModelJson.Write(model));
        }
        ChangeDetector.Align(pair, model);
        return model;
    }

    /// <summary>Inputs as (role, path, size, mtime): enough to notice a replaced or edited file.</summary>
    private List<(string Role, string Path, long Size, DateTime Modified)> InputFingerprints()
    {
        var files = new List<(string, string)> { ("config", Config.FilePath), ("before", Config.Before.Path), ("after", Config.After.Path) };
        files.AddRange(Config.Layers.Select(l => ($"layer:{l.Name}", l.Path)));
        if (Config.Admin is { } a) files.Add(("admin", a.Path));
        if (ModelPath is string m) files.Add(("model", m));
        if (PixelModelPath is string pm) files.Add(("pixel-model", pm));
        return files.Select(f => (f.Item1, f.Item2, new FileInfo(f.Item2).Length, File.GetLastWriteTimeUtc(f.Item2))).ToList();
    }

    /// <summary>
    /// The key of the ledger: only what its raster work (detection model, histogram, mask tiles, their
    /// feature sums) depends on — the two images, the bands, the detection parameters with the tile grid,
    /// the feature schema and the pixel model's SHA-256 (when one decides the mask). A changed layer, admin layer, classifier model, minimum mapping unit or
    /// export setting is not in it: the next run resumes every mask tile and re-does only the vector stages.
    /// </summary>
    private string RasterFingerprint()
    {
        var text = new StringBuilder();
        foreach (var (role, path) in new[] { ("before", Config.Before.Path), ("after", Config.After.Path) })
        {
            var file = new FileInfo(path);
            text.Append(role).Append('=').Append(path).Append('|').Append(file.Length).Append('|').Append(file.LastWriteTimeUtc.Ticks).Append('\n');
        }
        if (Config.Bands is { } bands)
            text.Append("bands=").AppendJoin(',', bands.OrderBy(b => b.Key).Select(b => $"{b.Key.Name()}:{b.Value}")).Append('\n');
        // Every detection parameter, present and future, but not the worker count (which never changes a result).
        text.Append("detection=").Append(JsonSerializer.Serialize(Detection with { Workers = 1 })).Append('\n');
        // The ledger keeps per-tile feature sums: another feature schema cannot resume from it.
        text.Append("features=").Append(PatchFeatures.SchemaVersion).Append('\n');
        // The bytes, not the path: a retrained model under the same name decides other masks. Absent without a
        // pixel model, so the ledgers of runs without one keep their key.
        if (PixelModelPath is string pixel) text.Append("pixelModel=").Append(Sha256(File.ReadAllBytes(pixel))).Append('\n');
        return Sha256(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private string ConfigSha() => Sha256(File.ReadAllBytes(Config.FilePath));

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    internal static string ToolVersion =>
        typeof(RegionRun).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The settings of this run known before any raster work: what run.json records and the packages are made with.</summary>
    private RunParameters Settings() => new()
    {
        TileSize = Detection.TileSize,
        Workers = Detection.Workers,
        ThresholdRule = Detection.Threshold.ToString(),
        OpenRadius = Detection.OpenRadius,
        CloseRadius = Detection.CloseRadius,
        BandNumbers = Config.Bands?.OrderBy(b => b.Key).ToDictionary(b => b.Key.Name(), b => b.Value),
        Model = ModelPath,
        ModelSha256 = ModelPath is string m ? Sha256(File.ReadAllBytes(m)) : null,
        PseudoConfidence = PseudoConfidence,
        PixelModel = PixelModelPath,
        PixelModelSha256 = PixelModelPath is string pm ? Sha256(File.ReadAllBytes(pm)) : null,
        PixelThreshold = LoadedPixelModel()?.Threshold,
        DeliveryCrs = DeliveryCrsSetting.ToString(),
        ShapefileEncoding = ShapefileEncodings.Name(Options.ShapefileEncoding),
        Layers = Config.Layers.Select(l => new ManifestLayer(l.Name, l.Kind, new Overlay.LayerSpec(l.Name, l.Kind, l.Path) { Field = l.Field }.TaskField)).ToList(),
    };

    private static List<RunInput> InputRecords(List<(string Role, string Path, long Size, DateTime Modified)> inputs, string? modelSha256, string? pixelModelSha256) =>
        inputs.Select(i => new RunInput(i.Role, i.Path, i.Size, i.Modified.ToString("O"), i.Role switch { "model" => modelSha256, "pixel-model" => pixelModelSha256, _ => null })).ToList();

    /// <summary>
    /// run.json while a run is writing the folder: <see cref="RunRecord.Running"/>, the settings, and under
    /// <c>previous</c> the record of the complete set the folder still holds until this run swaps its own in.
    /// </summary>
    private RunRecord StartRecord(string configSha, RunParameters settings, List<RunInput> inputs) => new()
    {
        Status = RunRecord.Running,
        Version = ToolVersion,
        StartedUtc = DateTime.UtcNow.ToString("O"),
        ProcessId = Environment.ProcessId,
        Region = new RunRegion(Config.RegionCode, Config.RegionName, Config.Quarter),
        Dates = new RunDates(Config.Before.Date, Config.After.Date),
        Config = new RunConfigFile(Config.FilePath, configSha),
        Inputs = inputs,
        Parameters = settings,
        Previous = RunRecord.PreviousOf(Path.Combine(OutputFolder, RunRecord.FileName)),
    };
}

/// <summary>
/// The pixel model's decision for a run's mask pass, on a pair of its own: the model reads the images as it was
/// trained (not shifted by the detector's co-registration), with the run's bands and morphology.
/// </summary>
internal sealed class PixelDecision : IDisposable
{
    private readonly ScenePair _pair;

    private PixelDecision(ScenePair pair, PixelTileMask decision) => (_pair, Decision) = (pair, decision);

    public PixelTileMask Decision { get; }

    /// <summary>The decision of <paramref name="run"/>'s pixel model, or null when it has none.</summary>
    public static PixelDecision? Open(RegionRun run)
    {
        var model = run.LoadedPixelModel();
        if (model is null) return null;
        var config = run.Config;
        var pair = ScenePair.Open(config.Before.Path, config.After.Path, new ScenePairOptions { BandNumbers = config.Bands });
        try
        {
            return new PixelDecision(pair, new PixelTileMask(pair, model, MaskMorphology.Of(run.Detection)));
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    public void Dispose() => _pair.Dispose();
}

/// <summary>The detection model as JSON, for the ledger: floats round-trip exactly.</summary>
internal static class ModelJson
{
    public static string Write(DetectionModel m) => new JsonObject
    {
        ["smooth"] = m.SmoothRadius,
        ["histogram_max"] = m.HistogramMax,
        ["bands"] = new JsonArray(m.Kernel.Bands.Select(b => (JsonNode)new JsonArray(b.Gain, b.Offset, b.Scale)).ToArray()),
        ["roles"] = new JsonArray(m.Kernel.Roles.Red, m.Kernel.Roles.Nir, m.Kernel.Roles.Green, m.Kernel.Roles.Swir1),
        ["ndvi_weight"] = m.Kernel.NdviWeight,
        ["water_weight"] = m.Kernel.WaterWeight,
        ["registration"] = RegistrationJson(m.Registration),
        ["registration_applied"] = m.RegistrationApplied,
        ["projection"] = m.Kernel.Projection is { } p ? new JsonObject
        {
            ["bands"] = p.Bands,
            ["before"] = new JsonArray(p.BeforeWeights.Select(v => (JsonNode)v).ToArray()),
            ["after"] = new JsonArray(p.AfterWeights.Select(v => (JsonNode)v).ToArray()),
            ["offsets"] = new JsonArray(p.Offsets.Select(v => (JsonNode)v).ToArray()),
        } : null,
    }.ToJsonString();

    /// <summary>The co-registration as run.json and the ledger record it (shift in pixels of the pair grid).</summary>
    public static JsonObject RegistrationJson(GlobalShift r) => new()
    {
        ["dx"] = r.Dx, ["dy"] = r.Dy, ["status"] = r.Status.ToString(), ["windows"] = r.Windows,
        ["confident"] = r.Confident, ["agreeing"] = r.Agreeing, ["reason"] = r.Reason,
    };

    public static DetectionModel Read(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        var bands = o["bands"]!.AsArray().Select(b => new BandNormalization(b![0]!.GetValue<float>(), b[1]!.GetValue<float>(), b[2]!.GetValue<float>())).ToArray();
        var r = o["roles"]!.AsArray();
        var roles = new BandRoles(r[0]?.GetValue<int>(), r[1]?.GetValue<int>(), r[2]?.GetValue<int>(), r[3]?.GetValue<int>());
        ChangeProjection? projection = o["projection"] is JsonObject p
            ? new ChangeProjection(p["bands"]!.GetValue<int>(), Floats(p["before"]!), Floats(p["after"]!), Floats(p["offsets"]!))
            : null;
        var kernel = new ChangeKernelOptions(bands, roles: roles, ndviWeight: o["ndvi_weight"]!.GetValue<float>(), waterWeight: o["water_weight"]!.GetValue<float>(),
            projection: projection);
        var model = new DetectionModel(kernel, o["smooth"]!.GetValue<int>(), o["histogram_max"]!.GetValue<float>());
        if (o["registration"] is JsonObject g)
            model = model with
            {
                Registration = new GlobalShift(g["dx"]!.GetValue<double>(), g["dy"]!.GetValue<double>(), Enum.Parse<GlobalShiftStatus>(g["status"]!.GetValue<string>()),
                    g["windows"]!.GetValue<int>(), g["confident"]!.GetValue<int>(), g["agreeing"]!.GetValue<int>(), g["reason"]!.GetValue<string>()),
                RegistrationApplied = o["registration_applied"]?.GetValue<bool>() ?? false,
            };
        return model;
    }

    private static float[] Floats(JsonNode array) => [.. array.AsArray().Select(v => v!.GetValue<float>())];
}
