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
    /// <summary>
    /// Threads writing at once (null: one per core): the chips of every province in parallel, and from 2 on the data files
    /// of every province on one more thread beside them; 1 writes one file after another. The bytes do not depend on it.
    /// </summary>
    public int? Workers { get; init; }
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
    /// task's chips, and after each province. <paramref name="cancellationToken"/> stops the export between files and chips; the provinces
    /// being written are dropped (their scratch folders deleted), the folders already swapped in stay (the provinces are written together
    /// and swapped in one after another at the end, see <see cref="ProvincePackageOptions.Workers"/>).</remarks>
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
        var provinces = tasks.GroupBy(t => t.Province, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Scratch(g.Key, g.ToList(), Path.Combine(root, FolderName(g.Key)), Prefix(g.Key, quarter))).ToList();
        var results = new List<ProvincePackageResult>();
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var p in provinces)
            {
                if (Directory.Exists(p.Folder)) Directory.Delete(p.Folder, recursive: true);
                Directory.CreateDirectory(p.Folder);
            }
            int chipped = WriteData(provinces, crs, options, progress, cancellationToken);
            int packaged = 0;
            foreach (var p in provinces)
            {
                var manifest = WriteReadmeAndManifest(p, options);
                // Nothing half-written is swapped in: the last moment to stop before this province's folder is replaced.
                cancellationToken.ThrowIfCancellationRequested();
                if (Directory.Exists(p.Old)) Directory.Delete(p.Old, recursive: true);
                if (Directory.Exists(p.Final)) Directory.Move(p.Final, p.Old);
                Directory.Move(p.Folder, p.Final);
                // A folder named by the code alone is this province's delivery from an older cdx: it would stand beside the new one.
                string bare = Path.Combine(root, p.Province);
                if (bare != p.Final && Directory.Exists(bare)) Directory.Delete(bare, recursive: true);
                if (Directory.Exists(p.Old)) Directory.Delete(p.Old, recursive: true);
                results.Add(new ProvincePackageResult(p.Province, p.Final, p.Tasks.Count, manifest, p.Prefix));
                packaged += p.Tasks.Count;
                // The chips already told of every task with a chip: the count does not go back.
                progress?.Report(new StageProgress("export", Math.Max(packaged, chipped), tasks.Count));
            }
        }
        finally
        {
            foreach (var p in provinces)
            {
                if (Directory.Exists(p.Folder)) Directory.Delete(p.Folder, recursive: true);
                if (Directory.Exists(p.Old)) Directory.Delete(p.Old, recursive: true);
            }
        }
        return results;
    }

    /// <summary>A province being written: its tasks, its scratch folder (swapped in whole as <see cref="Final"/>) and file-name prefix.</summary>
    private sealed record Scratch(string Province, IReadOnlyList<VerificationTask> Tasks, string Final, string Prefix)
    {
        public string Folder { get; } = $"{Final}.partial-{Environment.ProcessId}";
        public string Old { get; } = $"{Final}.old-{Environment.ProcessId}";
        public string File(string name) => Path.Combine(Folder, Prefix + name);
        /// <summary>The tasks in the delivery CRS, once <see cref="WriteTables"/> wrote them.</summary>
        public DeliveredTasks? Delivered { get; set; }
    }

    /// <summary>
    /// The data files (<see cref="WriteTables"/>) and chips of every province into its scratch folder; returns the tasks
    /// that got chips. With more than one worker, the tables of every province are written on one thread beside the chips
    /// of every province (one parallel loop over one image pair, <see cref="ChipWriter"/>): the tables are small but mostly
    /// cold code (SQLite, the XLSX and KML writers' first call), which a core would otherwise compile while the other idles.
    /// With one worker, tables then chips, one province after another. The bytes are the same either way.
    /// </summary>
    private static int WriteData(IReadOnlyList<Scratch> provinces, Crs crs, ProvincePackageOptions options, IProgress<StageProgress>? progress,
        CancellationToken cancellationToken)
    {
        int workers = Math.Max(1, options.Workers ?? Environment.ProcessorCount);
        void Tables()
        {
            foreach (var p in provinces)
            {
                cancellationToken.ThrowIfCancellationRequested();
                WriteTables(p, crs, options, cancellationToken);
            }
        }
        if (options.Chips is not ChipSource chips)
        {
            Tables();
            return 0;
        }
        int chipped = 0;
        var told = progress is null ? null : new Progress(value =>
        {
            Interlocked.Increment(ref chipped); // one report per task with chips
            progress.Report(new StageProgress("export", value.Done, value.Total));
        });
        var folders = provinces.Select(p => new ChipFolder(Path.Combine(p.Folder, "chips"), p.Tasks)).ToArray();
        if (workers == 1)
        {
            Tables();
            ChipWriter.Write(folders, crs, chips, options.ChipOptions, workers, told, cancellationToken);
            return chipped;
        }
        // The tables' thread stops with the chips (the token), and is always waited for: no file is written into a scratch
        // folder after it is deleted. The first failure is the one reported.
        var tables = Task.Factory.StartNew(Tables, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            ChipWriter.Write(folders, crs, chips, options.ChipOptions, workers, told, cancellationToken);
        }
        catch
        {
            try { tables.Wait(CancellationToken.None); } catch { }
            throw;
        }
        tables.GetAwaiter().GetResult();
        return chipped;
    }

    /// <summary>Relays the chips' reports, on the thread that wrote them (no synchronisation context involved).</summary>
    private sealed class Progress(Action<StageProgress> report) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => report(value);
    }

    /// <summary>The quarter all the tasks' JCBH carry (XZQDM + quarter + number, see <see cref="TaskNumbering"/>), or null when they do not agree on one.</summary>
    private static string? QuarterOf(IReadOnlyList<VerificationTask> tasks)
    {
        var quarters = tasks.Select(t => t.JCBH.Length >= 12 ? t.JCBH[6..12] : "").Distinct(StringComparer.Ordinal).ToList();
        return quarters.Count == 1 && TaskNumbering.IsQuarter(quarters[0]) ? quarters[0] : null;
    }

    /// <summary>The province's data files (<see cref="DataFileNames"/>), in that order.</summary>
    private static void WriteTables(Scratch p, Crs crs, ProvincePackageOptions options, CancellationToken cancellationToken)
    {
        var delivered = p.Delivered = DeliveredTasks.Of(p.Tasks, crs, options.Crs, $"province {p.Province}");
        ShapefileTaskWriter.Write(p.File("tasks.shp"), delivered.Projected, delivered.Crs, options.ShapefileEncoding);
        GeoPackageTaskWriter.Write(p.File("tasks.gpkg"), delivered.Projected, delivered.Crs, options.LastChange);
        cancellationToken.ThrowIfCancellationRequested();
        GeoJsonTaskWriter.Write(p.File("tasks.geojson"), delivered.ForLonLat, crs);
        CsvTaskWriter.Write(p.File("tasks.csv"), delivered.Projected);
        cancellationToken.ThrowIfCancellationRequested();
        XlsxTaskWriter.Write(p.File("tasks.xlsx"), delivered.Projected);
        KmlTaskWriter.Write(p.File("tasks.kml"), delivered.ForLonLat, crs, $"核查任务 {p.Province}");
        FieldDictionaryWriter.Write(p.File("fields.csv"), TaskFields.For(p.Tasks));
    }

    /// <summary><c>说明.txt</c>, then <c>manifest.json</c> last (it hashes every other file of the folder).</summary>
    private static PackageManifest WriteReadmeAndManifest(Scratch p, ProvincePackageOptions options)
    {
        var deliveryCrs = p.Delivered!.Crs;
        var header = new PackageManifest(p.Province, p.Tasks.Count, [])
        {
            ProvinceName = Provinces.NameOf(p.Province), Run = options.Run, Crs = deliveryCrs.ToString(), Layers = options.Layers,
        };
        PackageReadme.Write(Path.Combine(p.Folder, PackageReadme.FileName), header, deliveryCrs, p.Tasks, options.ShapefileEncoding, options.Chips is not null, p.Prefix);
        return PackageManifest.Write(p.Folder, header);
    }
}
