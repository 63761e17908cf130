using System.Diagnostics;
using System.Reflection;
using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Export;
using ChangeDetection.IO;
using ChangeDetection.Vectorization;
using ChangeDetection.Overlay;
using ChangeDetection.PixelModel;
using ChangeDetection.Tasks;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Pipeline;

/// <summary>
/// A region run: the stages wired together. The tile passes (<see cref="TilePasses"/>) run over a <see cref="RunLedger"/>
/// keyed by the run's <see cref="RunFingerprint"/>, so that a killed run resumes where it stopped and ends with the same
/// outputs. Data flows one way:
/// config → scene pair → model → histogram → threshold → mask tiles → mask → outputs, run.json.
/// </summary>
public sealed partial class RegionRun
{
    public RegionRun(RegionConfig config, RegionRunOptions? options = null)
    {
        Config = config;
        Options = options ?? new RegionRunOptions();
        // The config's options with the run's overrides: one record, so a new detector option needs no copying here.
        Detection = config.Detection.Options with
        {
            TileSize = Options.TileSize ?? config.Detection.Options.TileSize,
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
    public const double DefaultPseudoConfidence = PseudoChangePolicy.DefaultConfidence;

    /// <summary>Which patches give no task (options, else config, else the default confidence).</summary>
    public PseudoChangePolicy PseudoChange => PseudoChangePolicy.Resolve(Options.PseudoConfidence, Config.PseudoConfidence);

    /// <summary>The confidence from which a pseudo-change call drops a task (<see cref="PseudoChange"/>).</summary>
    public double PseudoConfidence => PseudoChange.Confidence;
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
        var detector = new ChangeDetector(Detection);
        // Pass 1 reads the images only: on a new ledger it runs beside the check, the lock, the fingerprint and the ledger.
        using var early = Speculates ? EarlyModel.Start(this, detector, progress, cancellationToken) : null;
        var check = Check();
        var timings = new Dictionary<string, double>();
        string output = OutputFolder;
        // One writer per output folder (cdx run, cdx export and region jobs alike); it then cleans what killed runs left.
        using var held = RegionLock.Acquire(output);
        Delivery.Recover(output);
        string work = Path.Combine(output, ".work");
        var fingerprint = Fingerprint();

        using var ledger = RunLedger.Open(work, fingerprint.Raster, Options.Force, Options.RestartIfChanged);
        using var ownPair = early is null ? OpenPair() : null;
        var settings = Settings(fingerprint);
        var started = StartRecord(fingerprint, settings);
        started.Write(Path.Combine(output, RunRecord.FileName));
        // Until here nothing waited for pass 1: "start" is the check, the lock, the ledger and the running record.
        timings["start"] = clock.Elapsed.TotalSeconds;

        var stage = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        ScenePair pair = ownPair!;
        DetectionModel? prepared = null;
        if (early is not null) (pair, prepared) = early.Result();
        var passes = OpenPasses(detector, ledger, pair, prepared, progress, cancellationToken);
        var model = passes.Model;
        // Pass 1, or with the early one the part of it that the start did not hide.
        timings["statistics"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        float threshold = passes.Threshold();
        timings["histogram"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        var scheme = passes.MaskTiles;
        var todo = passes.UnfinishedMaskTiles();
        int resumed = scheme.Count - todo.Count;
        using (var pixel = todo.Count > 0 ? PixelDecision.Open(this, ledger) : null)
            passes.MaskPass(todo, threshold, pixel?.Decision);
        // Every mask tile is in the ledger now: the scores are not needed again, even to resume,
        // and no later stage reads the imagery through this pair's block caches.
        passes.Scores.Delete();
        pair.ClearBlockCaches();
        double? pixelThreshold = PixelThreshold(ledger);
        timings["mask"] = stage.Elapsed.TotalSeconds;
        // In its place among the keys; it runs beside the patches and gets the wall it adds where it is waited for.
        timings["assemble"] = 0;

        // What the overlay and the chips need besides the patches starts now, beside the stages that leave a core idle
        // (the mask's assembly, the pieces' read-back): the layers read and indexed, and the chips' stretch limits (a sample
        // of the scene). Each is waited for where it is used, and on the way out whatever happens.
        using var layers = Started.Run(() => OverlayStage.Prepare(pair.Grid.Crs, LayerSpecs(), AdminSpecOrNull()));
        using var limits = Started.Run(() => ChipWriter.SceneLimits(RunExport.ChipSourceOf(started)));
        // The classifier's model loads (ML.NET: about a second on one thread, mostly JIT) beside the assembly, the patches
        // and their features: only the classification needs it. The rules are the run's until it ends, loaded or not.
        using var loading = Started.Owning(ProductRules);
        // The mask file is assembled from the stored tiles (one thread: compression) beside the patches, which read the
        // same tiles from the ledger (StoredMask), not the file: only the pixel counts and the kept mask wait for it.
        string maskPath = Path.Combine(work, "mask.tif");
        using var assembling = StartAssembly(passes, maskPath);

        cancellationToken.ThrowIfCancellationRequested();
        stage.Restart();
        // The pieces' first pixels only (PatchFeatures.Probes of the pieces): their sums are read once, for the features.
        var probes = Checked(passes.PieceOrigins(tile => NoPieces(ledger, tile)), cancellationToken).ToList();
        // The polygonizer says which patch holds each piece of the mask pass (by its first pixel). The smallest candidate
        // depends on whether there is a classifier, not on its model.
        double candidateMinArea = Classification.ProductRules.CandidateMinAreaOf(Classification.ProductRules.UnitsOf(Config.Detection.MinAreaM2), ModelPath is not null);
        var candidates = Classification.ProductRules.Candidates(passes.StoredMask(), pair.Grid, Detection.Workers, probes, candidateMinArea, cancellationToken);
        progress?.Report(new StageProgress("patches", 1, 1));
        timings["patches"] = stage.Elapsed.TotalSeconds;

        stage.Restart();
        var features = PatchFeatureVectors(passes, ledger, candidates, threshold, cancellationToken);
        timings["features"] = stage.Elapsed.TotalSeconds;

        // What the assembly, beside the patches, still took: the wall it adds.
        stage.Restart();
        var (valid, changed) = assembling.Result;
        timings["assemble"] = stage.Elapsed.TotalSeconds;

        cancellationToken.ThrowIfCancellationRequested();
        stage.Restart();
        var rules = loading.Result;
        var patches = rules.Classify(candidates.Patches.Select(p => new PatchRecord(p) { Features = features[p.PatchId] }).ToList())
            .Where(r => r.Delivered).ToList();
        timings["classify"] = stage.Elapsed.TotalSeconds;

        cancellationToken.ThrowIfCancellationRequested();
        stage.Restart();
        var overlay = OverlayStage.Compute(patches.Select(r => r.Patch.MapGeometry).ToList(), layers.Result, RegionDivision, Detection.Workers, cancellationToken);
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
        // The run's own files (mask, patch layer, features, tasks) are written on a thread of their own beside the packages:
        // neither reads what the other writes. Listed in the order they always were.
        using var runFiles = Started.Run(() =>
        {
            var files = new List<string>();
            if (keptMask is not null)
            {
                CloudOptimizedMask.Write(maskPath, Path.Combine(staging, Delivery.MaskName));
                files.Add(Path.Combine(staging, Delivery.MaskName));
            }
            files.AddRange(WritePatches(staging, records, pair.Grid.Crs));
            cancellationToken.ThrowIfCancellationRequested();
            files.Add(WritePatchFeatures(staging, numbered));
            RunTasks.Write(Path.Combine(staging, RunTasks.FileName), tasks);
            files.Add(Path.Combine(staging, RunTasks.FileName));
            return files;
        });
        var record = started with
        {
            Status = RunRecord.Complete, ProcessId = null, Previous = null, Fingerprint = fingerprint.Raster,
            Parameters = settings with
            {
                SmoothRadius = model.SmoothRadius,
                Bands = pair.Bands.Select(b => b.Name()).ToList(),
                AfterResampled = pair.AfterResampled,
                Registration = new RunRegistration(model.Registration.Dx, model.Registration.Dy, model.Registration.Status.ToString(), model.Registration.Windows,
                    model.Registration.Confident, model.Registration.Agreeing, model.Registration.Reason),
                RegistrationApplied = model.RegistrationApplied,
                PixelThreshold = pixelThreshold,
            },
            Grid = new RunGrid(pair.Grid.Width, pair.Grid.Height, pair.Grid.Crs.Epsg, pair.Grid.Transform.ToArray()),
        };
        // The packages come from the record and the tasks alone, as 'cdx export' makes them again. Stopped inside (between
        // provinces, files and chips), the staging folder is dropped with the delivery: the folder keeps its previous set.
        cancellationToken.ThrowIfCancellationRequested();
        var packages = RunExport.Write(staging, tasks, pair.Grid.Crs, record,
            new RunExportOptions { Province = Options.Province, Workers = Detection.Workers, SceneLimits = limits.Result }, progress, cancellationToken);
        staged.AddRange(runFiles.Result);
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
            PixelThreshold = pixelThreshold,
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
    /// <summary>
    /// <see cref="TilePasses.WriteMask"/> started on the thread pool. A method of its own so that its closure holds the
    /// passes alone: a lambda in <see cref="Execute"/> would hoist them into the closure the run's last stages share,
    /// and keep the passes (the model, the score store) alive to the end of the run.
    /// </summary>
    private static Started<(long Valid, long Changed)> StartAssembly(TilePasses passes, string maskPath) =>
        Started.Run(() => passes.WriteMask(maskPath));

    /// <remarks>
    /// The pieces of change of every mask tile, in tile order, decoded from the ledger one tile at a time (never all held at
    /// once); only the pieces of a candidate get their sums decoded (PatchFeatures.ByPatch skips the rest anyway).
    /// </remarks>
    private static IReadOnlyDictionary<PatchId, float[]> PatchFeatureVectors(TilePasses passes, RunLedger ledger, CandidatePatches candidates, float threshold,
        CancellationToken cancellationToken) =>
        PatchFeatures.ByPatch(candidates.Patches,
            Checked(passes.Pieces(tile => NoPieces(ledger, tile), pixel => candidates.Owners.TryGetOwner(pixel, out _)), cancellationToken),
            candidates.Owners, threshold);

    /// <summary>The message when a finished mask tile has no pieces in the ledger.</summary>
    private static string NoPieces(RunLedger ledger, int tile) =>
        $"{ledger.Path}: mask tile {tile} has no patch-feature sums (a ledger of another cdx version?); run again with --force.";

    /// <summary><paramref name="items"/>, checking <paramref name="cancellationToken"/> per item: a stop is seen inside the ledger's long read.</summary>
    private static IEnumerable<T> Checked<T>(IEnumerable<T> items, CancellationToken cancellationToken) =>
        items.Select(item =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            return item;
        });

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
    /// The tile passes of this run over <paramref name="ledger"/>, with the histogram pass's scores in <c>.work/scores</c>,
    /// seen by every process that sees the output folder (the fan-out's workers).
    /// </summary>
    private TilePasses OpenPasses(RunLedger ledger, ScenePair pair, IProgress<StageProgress>? progress, CancellationToken cancellationToken) =>
        OpenPasses(new ChangeDetector(Detection), ledger, pair, null, progress, cancellationToken);

    /// <summary>As above with <paramref name="detector"/>, and with pass 1's model when it is made already (<see cref="EarlyModel"/>).</summary>
    /// <remarks>The histogram pass keeps the imagery the mask pass needs unless a pixel model decides the mask.</remarks>
    private TilePasses OpenPasses(ChangeDetector detector, RunLedger ledger, ScenePair pair, DetectionModel? prepared, IProgress<StageProgress>? progress,
        CancellationToken cancellationToken) =>
        TilePasses.Open(detector, pair, ledger, Path.Combine(OutputFolder, ".work", "scores"), prepared, progress,
            keepImagery: PixelModelPath is null, cancellationToken);

    /// <summary>
    /// The pixel model's threshold the mask pass used: the one recorded in the ledger (its scene threshold), the model's
    /// fixed one for a ledger from before the record; null without a pixel model.
    /// </summary>
    private double? PixelThreshold(ITileStore ledger) =>
        LoadedPixelModel() is not { } pixel ? null
        : TileStages.PixelThreshold.TryGet(ledger, out double recorded) ? recorded
        : pixel.Threshold;

    /// <summary>This run's ledger key, models' hashes and input records (<see cref="RunFingerprint"/>).</summary>
    private RunFingerprint Fingerprint() => RunFingerprint.Of(Config, Detection, ModelPath, PixelModelPath);

    internal static string ToolVersion =>
        typeof(RegionRun).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The settings of this run known before any raster work: what run.json records and the packages are made with.</summary>
    private RunParameters Settings(RunFingerprint fingerprint) => new()
    {
        TileSize = Detection.TileSize,
        Workers = Detection.Workers,
        ThresholdRule = Detection.Threshold.ToString(),
        OpenRadius = Detection.OpenRadius,
        CloseRadius = Detection.CloseRadius,
        BandNumbers = Config.Bands?.OrderBy(b => b.Key).ToDictionary(b => b.Key.Name(), b => b.Value),
        Model = ModelPath,
        ModelSha256 = fingerprint.ModelSha256,
        PseudoConfidence = PseudoConfidence,
        PixelModel = PixelModelPath,
        PixelModelSha256 = fingerprint.PixelModelSha256,
        // Under the scene rule the threshold is known only once the mask pass has run (the final record has it).
        PixelThreshold = LoadedPixelModel() is { ThresholdRule: PixelThresholdRule.Model } fixedRule ? fixedRule.Threshold : null,
        DeliveryCrs = DeliveryCrsSetting.ToString(),
        ShapefileEncoding = ShapefileEncodings.Name(Options.ShapefileEncoding),
        Layers = Config.Layers.Select(l => new ManifestLayer(l.Name, l.Kind, new Overlay.LayerSpec(l.Name, l.Kind, l.Path) { Field = l.Field }.TaskField)).ToList(),
    };

    /// <summary>
    /// run.json while a run is writing the folder: <see cref="RunRecord.Running"/>, the settings, and under
    /// <c>previous</c> the record of the complete set the folder still holds until this run swaps its own in.
    /// </summary>
    private RunRecord StartRecord(RunFingerprint fingerprint, RunParameters settings) => new()
    {
        Status = RunRecord.Running,
        Version = ToolVersion,
        StartedUtc = DateTime.UtcNow.ToString("O"),
        ProcessId = Environment.ProcessId,
        Region = new RunRegion(Config.RegionCode, Config.RegionName, Config.Quarter),
        Dates = new RunDates(Config.Before.Date, Config.After.Date),
        Config = new RunConfigFile(Config.FilePath, fingerprint.ConfigSha256),
        Inputs = fingerprint.Inputs,
        Parameters = settings,
        Previous = RunRecord.PreviousOf(Path.Combine(OutputFolder, RunRecord.FileName)),
    };
}
