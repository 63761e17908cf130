using System.Globalization;
using System.Text;
using ChangeDetection.Tasks;
using CsvHelper;

namespace ChangeDetection.Classification;

/// <summary>One row of a feature table as read: its id (empty without an <c>id</c> column), its label (empty = not labelled) and its vector.</summary>
public sealed record FeatureTableRow(string Id, string Label, float[] Features, int Line);

/// <summary>
/// Labelled feature vectors as CSV (UTF-8, comma, invariant numbers, header row; read with CsvHelper,
/// so a quoted cell may hold commas, quotes and line breaks): an <c>id</c>
/// column, a <c>label</c> column (a <see cref="ChangeClasses"/> code; empty = not labelled, skipped on
/// reading), a <c>schema</c> column (the <see cref="PatchFeatures.SchemaVersion"/> the vector was
/// computed with) and one column per <see cref="PatchFeatures.Names"/>; missing values (NaN) are
/// empty cells. Other columns (a seed, a note) are kept by people and ignored here; a table without
/// a <c>schema</c> column is read as long as it holds every feature column. Uses: the training data
/// of <c>cdx train --export-features</c> / <c>--labels</c>, and a run's <c>patch_features.csv</c>
/// (id = JCBH, label empty), which verification results are joined to (<c>cdx train --results … --run …</c>).
/// </summary>
public static class FeatureTable
{
    public const string IdColumn = "id";
    public const string LabelColumn = "label";
    public const string SchemaColumn = "schema";

    /// <summary>Writes rows with their ids. The bytes depend only on the rows (re-runs give identical files).</summary>
    public static void Write(string path, IEnumerable<(string Id, LabelledFeatures Row)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var ci = CultureInfo.InvariantCulture;
        string schema = PatchFeatures.SchemaVersion.ToString(ci);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write(IdColumn + "," + LabelColumn + "," + SchemaColumn);
        foreach (var n in PatchFeatures.Names) w.Write("," + n);
        w.Write('\n');
        foreach (var (id, row) in rows)
        {
            if (row.Features.Length != PatchFeatures.Length)
                throw new ChangeDetectionException($"A row has {row.Features.Length} features; schema {PatchFeatures.SchemaVersion} has {PatchFeatures.Length}.");
            w.Write(id.Replace(",", " ", StringComparison.Ordinal));
            w.Write(',');
            w.Write(row.Label);
            w.Write(',');
            w.Write(schema);
            foreach (float v in row.Features)
            {
                w.Write(',');
                if (!float.IsNaN(v)) w.Write(v.ToString("R", ci));
            }
            w.Write('\n');
        }
    }

    /// <summary>Reads the labelled rows of a feature table.</summary>
    /// <exception cref="ChangeDetectionException">Missing file, a missing feature or label column, another schema, a bad number or an unknown label (with the line).</exception>
    public static IReadOnlyList<LabelledFeatures> Read(string path) =>
        ReadRows(path).Where(r => r.Label.Length > 0).Select(r => new LabelledFeatures(r.Features, r.Label)).ToList();

    /// <summary>
    /// The feature schema a table says it was written with: the <c>schema</c> cell of its first row;
    /// null when it has no <c>schema</c> column or no rows.
    /// </summary>
    /// <exception cref="ChangeDetectionException">Missing or empty file, or a schema cell that is not an integer.</exception>
    public static int? ReadSchemaVersion(string path)
    {
        using var csv = Open(path);
        var columns = Header(csv, path);
        int schema = columns.IndexOf(SchemaColumn);
        if (schema < 0 || NextRecord(csv, path) is not { } cells) return null;
        return schema < cells.Length ? ParseSchema(cells[schema], path, (int)csv.LineNumber) : null;
    }

    /// <summary>Every row of a feature table, labelled or not, with its id and line.</summary>
    /// <exception cref="ChangeDetectionException">As <see cref="Read"/>.</exception>
    public static IReadOnlyList<FeatureTableRow> ReadRows(string path)
    {
        using var csv = Open(path);
        var columns = Header(csv, path);
        int label = columns.IndexOf(LabelColumn);
        if (label < 0) throw new ChangeDetectionException($"{path}: no '{LabelColumn}' column.");
        int id = columns.IndexOf(IdColumn);
        int schema = columns.IndexOf(SchemaColumn);
        var index = new int[PatchFeatures.Length];
        for (int k = 0; k < index.Length; k++)
        {
            index[k] = columns.IndexOf(PatchFeatures.Names[k]);
            if (index[k] < 0)
                throw new ChangeDetectionException($"{path}: no column '{PatchFeatures.Names[k]}'; the table must hold every feature of schema {PatchFeatures.SchemaVersion} (export it again).");
        }
        var rows = new List<FeatureTableRow>();
        while (NextRecord(csv, path) is { } cells)
        {
            int line = (int)csv.LineNumber;
            if (cells.Length != columns.Count) throw new ChangeDetectionException($"{path}:{line}: {cells.Length} cells; the header has {columns.Count}.");
            // Same names, other formulas: a vector of another schema would be silently wrong.
            if (schema >= 0 && ParseSchema(cells[schema], path, line) is int v && v != PatchFeatures.SchemaVersion)
                throw new ChangeDetectionException($"{path}:{line}: features of schema {v}; this build computes schema {PatchFeatures.SchemaVersion}. Compute them again with this version.");
            string code = cells[label].Trim();
            if (code.Length > 0)
            {
                try { ChangeClasses.FromCode(code); }
                catch (ArgumentException e) { throw new ChangeDetectionException($"{path}:{line}: {e.Message}", e); }
            }
            var f = new float[PatchFeatures.Length];
            for (int k = 0; k < f.Length; k++)
            {
                string cell = cells[index[k]].Trim();
                if (cell.Length == 0) f[k] = float.NaN;
                else if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out f[k]))
                    throw new ChangeDetectionException($"{path}:{line}: '{cell}' in column {PatchFeatures.Names[k]} is not a number.");
            }
            rows.Add(new FeatureTableRow(id >= 0 ? cells[id].Trim() : "", code, f, line));
        }
        return rows;
    }

    /// <summary>RFC 4180 as <see cref="Write"/> writes it (comma, not detected); a broken quote is an error, not a guess.</summary>
    private static readonly CsvReaderOptions ReadOptions = new()
    {
        Separator = ',',
        TrackLineNumbers = true,
        MalformedData = CsvMalformedDataHandling.Throw,
    };

    private static CsvReader Open(string path)
    {
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: feature table not found.");
        return CsvReader.FromFile(path, ReadOptions);
    }

    private static List<string> Header(CsvReader csv, string path)
    {
        IReadOnlyList<string> header;
        try
        {
            header = csv.Headers;
        }
        catch (CsvFormatException e)
        {
            throw Malformed(path, e);
        }
        if (header.Count == 0) throw new ChangeDetectionException($"{path}: empty file; expected a header with '{LabelColumn}' and the feature columns.");
        return header.Select(c => c.Trim()).ToList();
    }

    /// <summary>The cells of the next record that is not only blanks (the parser skips empty lines, not lines of spaces); null at the end.</summary>
    private static string[]? NextRecord(CsvReader csv, string path)
    {
        try
        {
            while (csv.Read())
            {
                var cells = new string[csv.FieldCount];
                for (int i = 0; i < cells.Length; i++) cells[i] = csv.GetString(i);
                if (cells.Length == 1 && cells[0].Trim().Length == 0) continue;
                return cells;
            }
            return null;
        }
        catch (CsvFormatException e)
        {
            throw Malformed(path, e);
        }
    }

    private static ChangeDetectionException Malformed(string path, CsvFormatException e) =>
        new($"{path}:{e.LineNumber}: malformed CSV ({e.Message}); close the quote on that line or export the table again.", e);

    /// <summary>A schema cell: empty is unknown (null); anything else must be an integer.</summary>
    private static int? ParseSchema(string cell, string path, int line)
    {
        cell = cell.Trim();
        if (cell.Length == 0) return null;
        return int.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new ChangeDetectionException($"{path}:{line}: '{cell}' in column {SchemaColumn} is not a schema version.");
    }
}
