using ChangeDetection.Geo;
using ChangeDetection.Tasks;

namespace ChangeDetection.Export;

/// <summary>Options for <see cref="ProvincePackage.Write"/>.</summary>
public sealed record ProvincePackageOptions
{
    /// <summary>DBF text encoding of <c>tasks.shp</c>.</summary>
    public DbfEncoding ShapefileEncoding { get; init; } = DbfEncoding.Utf8;
    /// <summary>The CRS of <c>tasks.shp</c> and <c>tasks.gpkg</c> (GeoJSON and KML are always EPSG:4490 longitude/latitude).</summary>
    public DeliveryCrs Crs { get; init; } = DeliveryCrs.Default;
    /// <summary>The image pair to cut chips from; null: no <c>chips/</c> folder.</summary>
    public ChipSource? Chips { get; init; }
    public ChipOptions ChipOptions { get; init; } = new();
    /// <summary>The run the tasks come from, named in <c>manifest.json</c> and <c>说明.txt</c>; null: not named.</summary>
    public PackageRun? Run { get; init; }
    /// <summary>The protected layers the tasks were overlaid with, listed in the manifest (the run's config layers).</summary>
    public IReadOnlyList<ManifestLayer> Layers { get; init; } = [];
    /// <summary>gpkg_contents.last_change of <c>tasks.gpkg</c> (default: now); fix it for byte-identical re-runs.</summary>
    public DateTime? LastChange { get; init; }
}

/// <summary>
/// What <see cref="ProvincePackage.Write"/> wrote for one province: its code, folder, task count,
/// manifest, and the prefix its data file names start with (<c>32_2026Q3_</c>; empty when the quarter is unknown).
/// </summary>
public sealed record ProvincePackageResult(string Province, string Folder, int TaskCount, PackageManifest Manifest, string Prefix = "")
{
    /// <summary>The path of a package file by its plain name: <c>tasks.shp</c> → <c>&lt;Folder&gt;/32_2026Q3_tasks.shp</c>.</summary>
    public string PathOf(string name) => Path.Combine(Folder, Prefix + name);
}

/// <summary>
/// Writes the per-province export package (one folder per province, 省级分发):
/// <c>&lt;outputRoot&gt;/provinces/&lt;code&gt;_&lt;name&gt;/</c> (e.g. <c>32_江苏省</c>) holding, with file
/// names that start with province and quarter (<c>32_2026Q3_</c>), <c>tasks.shp</c> (+ .shx .dbf .prj .cpg),
/// <c>tasks.gpkg</c>, <c>tasks.geojson</c>, <c>tasks.csv</c> (+ .csvt), <c>tasks.xlsx</c>, <c>tasks.kml</c>,
/// <c>fields.csv</c>, then <c>说明.txt</c> (what the package is, in Chinese), optionally <c>chips/</c>, and
/// <c>manifest.json</c> last. Each province folder is
/// built under a scratch name and swapped in whole, so a province folder is always one complete
/// delivery and a re-run leaves no stale chips. A province with no tasks gets no folder; folders of
/// provinces absent from this call are left alone (another region may have written them).
/// </summary>
public static class ProvincePackage
{
    public const string ProvincesFolder = "provinces";

    /// <summary>The data files every package holds, by plain name (each written as prefix + name), in writing order.</summary>
    public static IReadOnlyList<string> DataFileNames { get; } =
        ["tasks.dbf", "tasks.shx", "tasks.cpg", "tasks.prj", "tasks.shp", "tasks.gpkg", "tasks.geojson", "tasks.csv", "tasks.csvt", "tasks.xlsx", "tasks.kml", "fields.csv"];

    /// <summary>The files a package holds besides <c>chips/</c> and the manifest, for a file-name prefix (see <see cref="Prefix"/>).</summary>
    public static IReadOnlyList<string> FileNames(string prefix) => [.. DataFileNames.Select(n => prefix + n), PackageReadme.FileName];

    /// <summary>The folder of a province under <c>provinces/</c>: code and name (<c>32_江苏省</c>), or the code alone when it names no province.</summary>
    public static string FolderName(string province) => Provinces.NameOf(province) is string name ? $"{province}_{name}" : province;

    /// <summary>The file-name prefix of a province and quarter (<c>32_2026Q3_</c>); empty when the quarter is unknown.</summary>
    public static string Prefix(string province, string? quarter) => quarter is null ? "" : $"{province}_{quarter}_";

    /// <summary>Writes one package per province of <paramref name="tasks"/> (which must carry their JCBH) in <paramref name="crs"/>.</summary>
    /// <remarks><paramref name="progress"/> is told as tasks are packaged (stage <c>export</c>, tasks done of <paramref name="tasks"/>): after each
    /// task's chips, and after each province. <paramref name="cancellationToken"/> stops the export between provinces and chips; the province
    /// being written is dropped (its scratch folder deleted), the folders already swapped in stay.</remarks>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<ProvincePackageResult> Write(string outputRoot, IReadOnlyList<VerificationTask> tasks, Crs crs, ProvincePackageOptions? options = null,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(crs);
        options ??= new ProvincePackageOptions();
        TaskList.Ordered(tasks); // fail before writing anything
        string? quarter = options.Run?.Quarter ?? QuarterOf(tasks);
        string root = Path.Combine(outputRoot, ProvincesFolder);
        Directory.CreateDirectory(root);
        // One scene, one stretch: the chips of every province share the limits, read once.
        if (options.Chips is ChipSource source && options.ChipOptions?.SceneLimits is null && tasks.Count > 0)
            options = options with { ChipOptions = (options.ChipOptions ?? new ChipOptions()) with { SceneLimits = ChipWriter.SceneLimits(source) } };
        var results = new List<ProvincePackageResult>();
        int packaged = 0;
        foreach (var group in tasks.GroupBy(t => t.Province, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var list = group.ToList();
            string final = Path.Combine(root, FolderName(group.Key));
            string scratch = $"{final}.partial-{Environment.ProcessId}";
            string old = $"{final}.old-{Environment.ProcessId}";
            string prefix = Prefix(group.Key, quarter);
            try
            {
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
                Directory.CreateDirectory(scratch);
                var chipProgress = progress is null ? null : new TasksDone(progress, packaged, tasks.Count);
                var manifest = WriteFolder(scratch, group.Key, prefix, list, crs, options, chipProgress, cancellationToken);
                // Nothing half-written is swapped in: the last moment to stop before this province's folder is replaced.
                cancellationToken.ThrowIfCancellationRequested();
                if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
                if (Directory.Exists(final)) Directory.Move(final, old);
                Directory.Move(scratch, final);
                // A folder named by the code alone is this province's delivery from an older cdx: it would stand beside the new one.
                string bare = Path.Combine(root, group.Key);
                if (bare != final && Directory.Exists(bare)) Directory.Delete(bare, recursive: true);
                results.Add(new ProvincePackageResult(group.Key, final, list.Count, manifest, prefix));
                packaged += list.Count;
                progress?.Report(new StageProgress("export", packaged, tasks.Count));
            }
            finally
            {
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
                if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            }
        }
        return results;
    }

    /// <summary>The quarter all the tasks' JCBH carry (XZQDM + quarter + number, see <see cref="TaskNumbering"/>), or null when they do not agree on one.</summary>
    private static string? QuarterOf(IReadOnlyList<VerificationTask> tasks)
    {
        var quarters = tasks.Select(t => t.JCBH.Length >= 12 ? t.JCBH[6..12] : "").Distinct(StringComparer.Ordinal).ToList();
        return quarters.Count == 1 && TaskNumbering.IsQuarter(quarters[0]) ? quarters[0] : null;
    }

    /// <summary>Reports a province's chips as tasks of the whole export: those of the provinces before it, plus its own.</summary>
    private sealed class TasksDone(IProgress<StageProgress> export, int before, int total) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => export.Report(new StageProgress("export", before + value.Done, total));
    }

    private static PackageManifest WriteFolder(string folder, string province, string prefix, IReadOnlyList<VerificationTask> tasks, Crs crs, ProvincePackageOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellationToken)
    {
        string File(string name) => Path.Combine(folder, prefix + name);
        var delivered = DeliveredTasks.Of(tasks, crs, options.Crs, $"province {province}");
        ShapefileTaskWriter.Write(File("tasks.shp"), delivered.Projected, delivered.Crs, options.ShapefileEncoding);
        GeoPackageTaskWriter.Write(File("tasks.gpkg"), delivered.Projected, delivered.Crs, options.LastChange);
        GeoJsonTaskWriter.Write(File("tasks.geojson"), delivered.ForLonLat, crs);
        CsvTaskWriter.Write(File("tasks.csv"), delivered.Projected);
        XlsxTaskWriter.Write(File("tasks.xlsx"), delivered.Projected);
        KmlTaskWriter.Write(File("tasks.kml"), delivered.ForLonLat, crs, $"核查任务 {province}");
        FieldDictionaryWriter.Write(File("fields.csv"), TaskFields.For(tasks));
        if (options.Chips is ChipSource chips)
            ChipWriter.Write(Path.Combine(folder, "chips"), tasks, crs, chips, options.ChipOptions, progress, cancellationToken);
        var header = new PackageManifest(province, tasks.Count, [])
        {
            ProvinceName = Provinces.NameOf(province), Run = options.Run, Crs = delivered.Crs.ToString(), Layers = options.Layers,
        };
        PackageReadme.Write(Path.Combine(folder, PackageReadme.FileName), header, delivered.Crs, tasks, options.ShapefileEncoding, options.Chips is not null, prefix);
        return PackageManifest.Write(folder, header);
    }
}
