using ChangeDetection.Export;
using ChangeDetection.Raster;
using ChangeDetection.Tasks;

namespace ChangeDetection.Pipeline;

/// <summary>What <c>cdx export</c> may change about a run's packages; null: what the run recorded.</summary>
public sealed record RunExportOptions
{
    /// <summary>Export only this province (two-digit code); null: every province of the run.</summary>
    public string? Province { get; init; }
    /// <summary>The Shapefiles' text encoding; null: the run's.</summary>
    public DbfEncoding? ShapefileEncoding { get; init; }
    /// <summary>The delivery CRS; null: the run's (<c>parameters.delivery_crs</c>).</summary>
    public DeliveryCrs? Crs { get; init; }
    /// <summary>Threads writing the packages at once (<see cref="ProvincePackageOptions.Workers"/>); null: one per core.</summary>
    internal int? Workers { get; init; }
    /// <summary>The chips' stretch limits when already computed (<see cref="ChipWriter.SceneLimits(ChipSource)"/> of <see cref="RunExport.ChipSourceOf"/>); null: computed here.</summary>
    internal IReadOnlyList<StretchLimits>? SceneLimits { get; init; }
}

/// <summary>The packages an export wrote: by province, with the record they came from.</summary>
public sealed record RunExportResult(string OutputFolder, RunRecord Record, IReadOnlyList<ProvincePackageResult> Packages)
{
    /// <summary>The tasks exported, by province code.</summary>
    public IReadOnlyDictionary<string, int> TasksByProvince =>
        Packages.OrderBy(p => p.Province, StringComparer.Ordinal).ToDictionary(p => p.Province, p => p.TaskCount);
}

/// <summary>
/// The export stage: writes the province packages of a run from its <see cref="RunRecord"/> and
/// <see cref="RunTasks"/>. <see cref="RegionRun"/> delivers through it, and <c>cdx export</c> calls it
/// on a finished run's folder without detection, the config or the model: with no option changed it
/// gives the run's packages byte for byte.
/// </summary>
public static class RunExport
{
    /// <summary>Writes the packages of the run in <paramref name="outputFolder"/> again, under its lock, swapped in whole.</summary>
    /// <exception cref="ChangeDetectionException">No finished run there, or its images changed since (chips would not match): one line naming the file.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: nothing is swapped in, the folder keeps its packages.</exception>
    public static RunExportResult Execute(string outputFolder, RunExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RunExportOptions();
        string output = Path.GetFullPath(outputFolder);
        string recordPath = Path.Combine(output, RunRecord.FileName);
        if (!File.Exists(recordPath))
            throw new ChangeDetectionException($"{output}: no {RunRecord.FileName} here; export needs the output folder of a finished 'cdx run'.");
        using var held = RegionLock.Acquire(output);
        Delivery.Recover(output);
        var record = Delivered(recordPath);
        var tasks = RunTasks.Read(Path.Combine(output, RunTasks.FileName));
        var (before, after) = (Scene(record, "before", recordPath), Scene(record, "after", recordPath));
        using var pair = ScenePair.Open(before.Path, after.Path, record.PairOptions());
        using var delivery = Delivery.Begin(output);
        var packages = Write(delivery.Staging, tasks, pair.Grid.Crs, record, options, cancellationToken: cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        delivery.Commit(mergeProvinces: options.Province is not null, packagesOnly: true);
        return new RunExportResult(output, record, packages.Select(p => p with { Folder = delivery.FinalPath(p.Folder) }).ToList());
    }

    /// <summary>
    /// The province packages of <paramref name="tasks"/> into <paramref name="folder"/>/provinces, with the
    /// settings <paramref name="record"/> holds unless <paramref name="options"/> change them.
    /// </summary>
    /// <remarks><paramref name="progress"/> and <paramref name="cancellationToken"/> as <see cref="ProvincePackage.Write"/> takes them.</remarks>
    internal static IReadOnlyList<ProvincePackageResult> Write(string folder, IReadOnlyList<VerificationTask> tasks, Geo.Crs imageCrs, RunRecord record, RunExportOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var p = record.Parameters;
        var selected = options.Province is string code ? tasks.Where(t => t.Province == code).ToList() : tasks;
        return ProvincePackage.Write(folder, selected, imageCrs, new ProvincePackageOptions
        {
            ShapefileEncoding = options.ShapefileEncoding ?? ShapefileEncodings.Parse(p.ShapefileEncoding) ?? DbfEncoding.Utf8,
            Crs = options.Crs ?? (p.DeliveryCrs is string crs ? DeliveryCrs.Parse(crs) : DeliveryCrs.Default),
            Run = new PackageRun(record.Region.Code, record.Region.Name, record.Region.Quarter, record.Fingerprint ?? "", RegionRun.ToolVersion),
            Chips = ChipSourceOf(record),
            ChipOptions = new ChipOptions { SceneLimits = options.SceneLimits },
            Workers = options.Workers,
            LastChange = record.Dates?.After.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            Layers = p.Layers ?? [],
        }, progress, cancellationToken);
    }

    /// <summary>The images the chips of <paramref name="record"/>'s packages are cut from: its inputs, with its band numbers.</summary>
    internal static ChipSource ChipSourceOf(RunRecord record) =>
        new(record.Input("before")!.Path, record.Input("after")!.Path, record.PairOptions());

    /// <summary>The record of the set the folder holds (<see cref="RunRecord.ReadDelivered"/>), with what export needs.</summary>
    private static RunRecord Delivered(string path)
    {
        var record = RunRecord.ReadDelivered(path, "export");
        if (record.Dates is null || record.Parameters.Layers is null)
            throw new ChangeDetectionException($"{path}: written by an older cdx that did not record what export needs; run the region again with 'cdx run {record.Config.Path}' (it resumes from its ledger).");
        return record;
    }

    /// <summary>An image of the run, unchanged since (the chips are cut from it).</summary>
    private static RunInput Scene(RunRecord record, string role, string recordPath)
    {
        var input = record.Input(role) ?? throw new ChangeDetectionException($"{recordPath}: no {role} image among the inputs; run the region again with 'cdx run'.");
        var file = new FileInfo(input.Path);
        if (!file.Exists)
            throw new ChangeDetectionException($"{input.Path}: the {role} image of this run is missing; the chips are cut from it: put it back, or run the region again with 'cdx run'.");
        if (file.Length != input.Size || file.LastWriteTimeUtc.ToString("O") != input.ModifiedUtc)
            throw new ChangeDetectionException($"{input.Path}: the {role} image changed since the run (size or time differ from {RunRecord.FileName}); the chips would not match the tasks: run the region again with 'cdx run'.");
        return input;
    }
}
