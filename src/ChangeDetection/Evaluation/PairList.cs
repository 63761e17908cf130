using CsvHelper;

namespace ChangeDetection.Evaluation;

/// <summary>One labelled pair: a folder holding before.tif, after.tif and truth.tif.</summary>
public sealed record LabelledPair(string Source, string Name, string Directory)
{
    /// <summary>
    /// The scene the pair was cut from (pairs of one group share imagery, e.g. two crops of one LEVIR
    /// tile): a pair is held out together with its group. Default: <c>source/pair</c>, a group of its own.
    /// </summary>
    public string Group { get; init; } = $"{Source}/{Name}";

    public string Before { get; init; } = Path.Combine(Directory, "before.tif");
    public string After { get; init; } = Path.Combine(Directory, "after.tif");
    public string Truth { get; init; } = Path.Combine(Directory, "truth.tif");
}

/// <summary>Reads a pairs CSV (columns <c>source</c>, <c>dir</c> relative to the CSV, optional <c>pair</c> and <c>group</c>).</summary>
public static class PairList
{
    public static IReadOnlyList<LabelledPair> Read(string csvPath)
    {
        if (!File.Exists(csvPath)) throw new ChangeDetectionException($"{csvPath}: file not found.");
        string baseDir = Path.GetDirectoryName(Path.GetFullPath(csvPath))!;
        var pairs = new List<LabelledPair>();
        using var csv = CsvReader.FromFile(csvPath, CsvHelper.CsvReaderOptions.Default);
        csv.ReadHeader();
        foreach (string column in new[] { "source", "dir" })
            if (!csv.Headers.Contains(column))
                throw new ChangeDetectionException($"{csvPath}: no '{column}' column (found: {string.Join(", ", csv.Headers)}). Expected columns source, pair, dir.");
        bool hasName = csv.Headers.Contains("pair");
        bool hasGroup = csv.Headers.Contains("group");
        while (csv.Read())
        {
            string dir = csv.GetString("dir");
            string source = csv.GetString("source");
            string full = Path.GetFullPath(Path.Combine(baseDir, dir));
            string name = hasName ? csv.GetString("pair") : Path.GetFileName(full);
            var pair = new LabelledPair(source, name, full);
            if (hasGroup && !string.IsNullOrWhiteSpace(csv.GetString("group"))) pair = pair with { Group = csv.GetString("group") };
            foreach (var f in new[] { pair.Before, pair.After, pair.Truth })
                if (!File.Exists(f))
                    throw new ChangeDetectionException($"{csvPath} line {csv.LineNumber}: {f} not found.");
            pairs.Add(pair);
        }
        if (pairs.Count == 0) throw new ChangeDetectionException($"{csvPath}: lists no pairs.");
        return pairs;
    }
}
