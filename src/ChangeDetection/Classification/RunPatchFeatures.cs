namespace ChangeDetection.Classification;

/// <summary>
/// The patch features a region run keeps in its output folder (<see cref="FileName"/>): the
/// <see cref="PatchFeatures"/> vector of every patch (图斑) of the run, pseudo-changes included, by
/// monitoring ID (JCBH). Verification results that come back later are joined to it by JCBH, so the
/// imagery need not be read again to train on them.
/// </summary>
public sealed class RunPatchFeatures
{
    /// <summary>The file in a run's output folder, a <see cref="FeatureTable"/> with id = JCBH and no labels.</summary>
    public const string FileName = "patch_features.csv";

    private RunPatchFeatures(string runFolder, string file, IReadOnlyDictionary<string, float[]> byJcbh)
    {
        RunFolder = runFolder;
        FilePath = file;
        ByJcbh = byJcbh;
    }

    /// <summary>The run's output folder.</summary>
    public string RunFolder { get; }

    /// <summary>Its <see cref="FileName"/>.</summary>
    public string FilePath { get; }

    /// <summary>Feature vectors by JCBH.</summary>
    public IReadOnlyDictionary<string, float[]> ByJcbh { get; }

    /// <summary>Reads the features kept by the run in <paramref name="runFolder"/> (a run.json or patch_features.csv in it is taken as the folder).</summary>
    /// <exception cref="ChangeDetectionException">
    /// No such folder, no <see cref="FileName"/> in it (a run of an older version, or not a run folder),
    /// or features of another <see cref="PatchFeatures.SchemaVersion"/>: the message says to re-run the region.
    /// </exception>
    public static RunPatchFeatures Load(string runFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runFolder);
        string folder = Path.GetFullPath(runFolder);
        if (File.Exists(folder)) folder = Path.GetDirectoryName(folder)!;
        if (!Directory.Exists(folder)) throw new ChangeDetectionException($"{runFolder}: run folder not found.");
        string file = Path.Combine(folder, FileName);
        const string rerun = "re-run 'cdx run REGION.json' on that region with this version (the same inputs give the same JCBH) and train again";
        if (!File.Exists(file))
            throw new ChangeDetectionException($"{folder}: no {FileName}, so its patches cannot be matched: it is not the output folder of 'cdx run', or a run made before runs kept their patch features; {rerun}.");
        int? schema = FeatureTable.ReadSchemaVersion(file);
        if (schema != PatchFeatures.SchemaVersion)
            throw new ChangeDetectionException(
                $"{file}: patch features of schema {(schema is int s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown")}; this version computes schema {PatchFeatures.SchemaVersion}; {rerun}.");
        var byJcbh = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var row in FeatureTable.ReadRows(file))
        {
            string id = row.Id.ToUpperInvariant();
            if (id.Length == 0) throw new ChangeDetectionException($"{file}:{row.Line}: a patch without a JCBH.");
            if (!byJcbh.TryAdd(id, row.Features)) throw new ChangeDetectionException($"{file}:{row.Line}: JCBH {id} is listed twice.");
        }
        return new RunPatchFeatures(folder, file, byJcbh);
    }
}
