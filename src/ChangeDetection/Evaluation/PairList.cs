using CsvHelper;

namespace ChangeDetection.Evaluation;

/// <summary>One labelled pair: a folder holding before.tif, after.tif and truth.tif.</summary>
public sealed record LabelledPair(string Source, string Name, string Directory)
{
    public string Before { get; init; } = Path.Combine(Directory, "before.tif");
    public string After { get; init; } = Path.Combine(Directory, "after.tif");
    public string Truth { get; init; } = Path.Combine(Directory, "truth.tif");
}

/// <summary>Reads a pairs CSV (columns <c>source</c>, <c>dir</c> relative to the CSV, optional <c>pair</c>).</summary>
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
        while (csv.Read())
        {
            string dir = csv.GetString("dir");
            string source = csv.GetString("source");
            string full = Path.GetFullPath(Path.Combine(baseDir, dir));
            string name = hasName ? csv.GetString("pair") : Path.GetFileName(full);
            var pair = new LabelledPair(source, name, full);
            foreach (var f in new[] { pair.Before, pair.After, pair.Truth })
                if (!File.Exists(f))
                    throw new ChangeDetectionException($"{csvPath} line {csv.LineNumber}: {f} not found.");
            pairs.Add(pair);
        }
        if (pairs.Count == 0) throw new ChangeDetectionException($"{csvPath}: lists no pairs.");
        return pairs;
    }
}
