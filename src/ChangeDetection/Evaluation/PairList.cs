using ChangeDetection.Raster;
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

    /// <summary>
    /// Bands held in files of their own beside the two images (<see cref="PairList"/>: Sentinel-2 band folders such as
    /// <c>bands_1/</c>, <c>bands_2/</c> of an OSCD city, when the pairs CSV names them). Only the learned pixel model reads them
    /// (<see cref="OpenForPixelModel"/>); the detector, the baseline and the patch classifier read the two images, as a
    /// region run does. Empty when there are none.
    /// </summary>
    public IReadOnlyList<BandFiles> ExtraBands { get; init; } = [];

    /// <summary>The pair as the pixel model reads it: the two images and the <see cref="ExtraBands"/>.</summary>
    public ScenePair OpenForPixelModel(ScenePairOptions? options = null) =>
        ScenePair.Open(Before, After, (options ?? new ScenePairOptions()) with { ExtraBands = ExtraBands });
}

/// <summary>
/// Reads a pairs CSV (columns <c>source</c>, <c>dir</c> relative to the CSV, optional <c>pair</c>, <c>group</c>,
/// <c>before_bands</c> and <c>after_bands</c>).
/// </summary>
/// <remarks>
/// <c>before_bands</c>, <c>after_bands</c>: folders (relative to the pair's <c>dir</c>) of one GeoTIFF per Sentinel-2 band
/// of each date, named as ESA names them (<c>…_B05.tif</c>; <see cref="SentinelBandFiles"/>), whose bands the images lack
/// become <see cref="LabelledPair.ExtraBands"/>. Empty, <c>none</c> or without the columns: none. Opt-in, not found by
/// themselves in the OSCD layout (<c>bands_1</c>, <c>bands_2</c>): on the nine OSCD cities left out one at a time, the pixel
/// model with the 20 m bands scored a pooled F1 of 0.395 against 0.392 without them, but a mean of the cities' F1 of 0.300
/// against 0.324 (five cities lower), so reading them is the user's call, not a default.
/// </remarks>
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
        bool hasBands = csv.Headers.Contains("before_bands") && csv.Headers.Contains("after_bands");
        if (!hasBands && (csv.Headers.Contains("before_bands") || csv.Headers.Contains("after_bands")))
            throw new ChangeDetectionException($"{csvPath}: give both 'before_bands' and 'after_bands' columns, or neither.");
        // Counted here: the reader counts lines only when asked to (TrackLineNumbers), and a quoted note may span lines.
        int row = 0;
        while (csv.Read())
        {
            row++;
            string dir = csv.GetString("dir");
            string source = csv.GetString("source");
            string full = Path.GetFullPath(Path.Combine(baseDir, dir));
            string name = hasName ? csv.GetString("pair") : Path.GetFileName(full);
            var pair = new LabelledPair(source, name, full);
            if (hasGroup && !string.IsNullOrWhiteSpace(csv.GetString("group"))) pair = pair with { Group = csv.GetString("group") };
            string? beforeBands = hasBands ? csv.GetString("before_bands").Trim() : null, afterBands = hasBands ? csv.GetString("after_bands").Trim() : null;
            try { pair = pair with { ExtraBands = ExtraBands(full, beforeBands, afterBands) }; }
            catch (ChangeDetectionException e) { throw new ChangeDetectionException($"{csvPath} pair row {row}: {e.Message}", e); }
            foreach (var f in new[] { pair.Before, pair.After, pair.Truth })
                if (!File.Exists(f))
                    throw new ChangeDetectionException($"{csvPath} pair row {row}: {f} not found.");
            pairs.Add(pair);
        }
        if (pairs.Count == 0) throw new ChangeDetectionException($"{csvPath}: lists no pairs.");
        return pairs;
    }

    /// <summary>The band files of a pair folder: those of the named folders; none for <c>none</c> or empty.</summary>
    internal static IReadOnlyList<BandFiles> ExtraBands(string pairDir, string? beforeBands, string? afterBands)
    {
        bool none(string? s) => string.Equals(s, "none", StringComparison.OrdinalIgnoreCase);
        if (none(beforeBands) || none(afterBands))
        {
            if (!(none(beforeBands) && none(afterBands))) throw new ChangeDetectionException("'none' in one of before_bands, after_bands needs 'none' in the other.");
            return [];
        }
        if (string.IsNullOrEmpty(beforeBands) != string.IsNullOrEmpty(afterBands))
            throw new ChangeDetectionException("give both before_bands and after_bands for a pair, or leave both empty.");
        if (string.IsNullOrEmpty(beforeBands)) return [];
        return SentinelBandFiles.Pair(Path.GetFullPath(Path.Combine(pairDir, beforeBands)), Path.GetFullPath(Path.Combine(pairDir, afterBands!)));
    }
}
