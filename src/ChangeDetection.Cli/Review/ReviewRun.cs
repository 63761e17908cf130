using ChangeDetection.Export;
using ChangeDetection.Geo;
using ChangeDetection.Overlay;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Review;
using ChangeDetection.Tasks;

namespace ChangeDetection.Cli.Review;

/// <summary>A red-line layer of the run's region config, reprojected to the image CRS for the map.</summary>
internal sealed record ReviewLayer(string Name, string Kind, PolygonLayer Layer);

/// <summary>
/// The run a review page shows: its record, its tasks in review order (priority, then area, largest first),
/// the image pair (open for the quicklook tiles; its reads are thread-safe), the chips of the province
/// packages, the red-line layers and the verdicts.
/// </summary>
internal sealed class ReviewRun : IDisposable
{
    private readonly Dictionary<string, VerificationTask> _byJcbh;

    private ReviewRun(string folder, RunRecord record, IReadOnlyList<VerificationTask> tasks, ScenePair pair, IReadOnlyList<ReviewLayer> layers, IReadOnlyList<string> warnings)
    {
        Folder = folder;
        Record = record;
        Tasks = tasks;
        Pair = pair;
        Layers = layers;
        Warnings = warnings;
        _byJcbh = tasks.ToDictionary(t => t.JCBH, StringComparer.Ordinal);
        Limits = ChipWriter.SceneLimits(pair, ChipWriter.ColourBands(pair));
        Verdicts = ReviewVerdicts.Open(folder);
    }

    /// <summary>The run folder (absolute).</summary>
    public string Folder { get; }
    public RunRecord Record { get; }
    /// <summary>Every task, high priority first, then by area (largest first), then JCBH.</summary>
    public IReadOnlyList<VerificationTask> Tasks { get; }
    public ScenePair Pair { get; }
    public GeoGrid Grid => Pair.Grid;
    /// <summary>The stretch limits of the chips (same for every tile and both dates).</summary>
    public IReadOnlyList<StretchLimits> Limits { get; }
    public IReadOnlyList<ReviewLayer> Layers { get; }
    /// <summary>What could not be loaded but does not stop the review (e.g. a red-line layer moved away).</summary>
    public IReadOnlyList<string> Warnings { get; }
    public ReviewVerdicts Verdicts { get; }

    /// <summary>The task of <paramref name="jcbh"/>, or null.</summary>
    public VerificationTask? Task(string jcbh) => _byJcbh.GetValueOrDefault(jcbh);

    /// <summary>The chip file of a task and date (<c>before</c> or <c>after</c>) in its province package; null when the run wrote none.</summary>
    public string? ChipPath(VerificationTask task, string date)
    {
        string path = Path.Combine(Folder, "provinces", ProvincePackage.FolderName(task.Province), "chips", $"{task.JCBH}_{date}.png");
        return File.Exists(path) ? path : null;
    }

    /// <summary>Opens the finished run in <paramref name="folder"/>.</summary>
    /// <exception cref="ChangeDetectionException">No finished run there, or its images are missing: one line naming the file.</exception>
    public static ReviewRun Open(string folder)
    {
        string output = Path.GetFullPath(folder);
        if (!Directory.Exists(output)) throw new ChangeDetectionException($"{output}: no such folder; give the output folder of a finished 'cdx run'.");
        string recordPath = Path.Combine(output, RunRecord.FileName);
        if (!File.Exists(recordPath)) throw new ChangeDetectionException($"{output}: no {RunRecord.FileName} here; review needs the output folder of a finished 'cdx run'.");
        var record = RunRecord.ReadDelivered(recordPath, "review");
        var tasks = Ordered(RunTasks.Read(Path.Combine(output, RunTasks.FileName)));
        string before = Image(record, "before", recordPath), after = Image(record, "after", recordPath);
        var pair = ScenePair.Open(before, after, record.PairOptions());
        try
        {
            var warnings = new List<string>();
            var layers = LoadLayers(record, pair.Grid.Crs, warnings);
            return new ReviewRun(output, record, tasks, pair, layers, warnings);
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>Review order: what enforcement acts on first (<see cref="TaskPriority"/>), the largest first within a priority.</summary>
    internal static IReadOnlyList<VerificationTask> Ordered(IEnumerable<VerificationTask> tasks) =>
        tasks.OrderBy(t => PriorityRank(t.YXJ)).ThenByDescending(t => t.TBMJ).ThenBy(t => t.JCBH, StringComparer.Ordinal).ToList();

    /// <summary>0 for high, 1 for medium, 2 for low (and anything else).</summary>
    internal static int PriorityRank(string priority) => priority switch
    {
        TaskPriority.High => 0,
        TaskPriority.Medium => 1,
        _ => 2,
    };

    private static string Image(RunRecord record, string role, string recordPath)
    {
        var input = record.Input(role) ?? throw new ChangeDetectionException($"{recordPath}: no {role} image among the inputs; run the region again with 'cdx run'.");
        if (!File.Exists(input.Path))
            throw new ChangeDetectionException($"{input.Path}: the {role} image of this run is missing; the map is drawn from it: put it back, or run the region again with 'cdx run'.");
        return input.Path;
    }

    /// <summary>The red-line layers of the run's region config; one that cannot be read is a warning, not a failure (the tasks carry their overlaps).</summary>
    private static List<ReviewLayer> LoadLayers(RunRecord record, Crs crs, List<string> warnings)
    {
        var layers = new List<ReviewLayer>();
        RegionConfig config;
        try
        {
            config = RegionConfig.Load(record.Config.Path);
        }
        catch (ChangeDetectionException e)
        {
            warnings.Add($"red-line layers not shown: {e.Message}");
            return layers;
        }
        foreach (var l in config.Layers)
        {
            try
            {
                layers.Add(new ReviewLayer(l.Name, l.Kind, PolygonLayerReader.Read(l.Path, crs, declaredEpsg: l.Epsg)));
            }
            catch (ChangeDetectionException e)
            {
                warnings.Add($"layer {l.Name} not shown: {e.Message}");
            }
        }
        return layers;
    }

    public void Dispose() => Pair.Dispose();
}
