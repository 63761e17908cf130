using System.Globalization;
using System.Text;
using ChangeDetection.Tasks;

namespace ChangeDetection.Classification;

/// <summary>
/// Labelled feature vectors as CSV (UTF-8, comma, invariant numbers, header row): a <c>label</c>
/// column (a <see cref="ChangeClasses"/> code; empty = not labelled, skipped on reading) and one
/// column per <see cref="PatchFeatures.Names"/>; missing values (NaN) are empty cells. Other columns
/// (an id, a seed, a note) are kept by people and ignored here. This is the feedback loop: export,
/// correct the labels in a spreadsheet, and train on the file with <c>cdx train --labels</c>.
/// </summary>
public static class FeatureTable
{
    public const string LabelColumn = "label";

    /// <summary>Writes rows with an optional leading <c>id</c> column.</summary>
    public static void Write(string path, IEnumerable<(string Id, LabelledFeatures Row)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var ci = CultureInfo.InvariantCulture;
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("id," + LabelColumn);
        foreach (var n in PatchFeatures.Names) w.Write("," + n);
        w.Write('\n');
        foreach (var (id, row) in rows)
        {
            if (row.Features.Length != PatchFeatures.Length)
                throw new ChangeDetectionException($"A row has {row.Features.Length} features; schema {PatchFeatures.SchemaVersion} has {PatchFeatures.Length}.");
            w.Write(id.Replace(",", " ", StringComparison.Ordinal));
            w.Write(',');
            w.Write(row.Label);
            foreach (float v in row.Features)
            {
                w.Write(',');
                if (!float.IsNaN(v)) w.Write(v.ToString("R", ci));
            }
            w.Write('\n');
        }
    }

    /// <summary>Reads the labelled rows of a feature table.</summary>
    /// <exception cref="ChangeDetectionException">Missing file, a missing feature or label column, a bad number or an unknown label (with the line).</exception>
    public static IReadOnlyList<LabelledFeatures> Read(string path)
    {
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: feature table not found.");
        using var r = new StreamReader(path, Encoding.UTF8);
        string? header = r.ReadLine();
        if (header is null) throw new ChangeDetectionException($"{path}: empty file; expected a header with '{LabelColumn}' and the feature columns.");
        var columns = header.TrimStart('\uFEFF').Split(',').Select(c => c.Trim()).ToList();
        int label = columns.IndexOf(LabelColumn);
        if (label < 0) throw new ChangeDetectionException($"{path}: no '{LabelColumn}' column.");
        var index = new int[PatchFeatures.Length];
        for (int k = 0; k < index.Length; k++)
        {
            index[k] = columns.IndexOf(PatchFeatures.Names[k]);
            if (index[k] < 0)
                throw new ChangeDetectionException($"{path}: no column '{PatchFeatures.Names[k]}'; the table must hold every feature of schema {PatchFeatures.SchemaVersion} (export it again).");
        }
        var rows = new List<LabelledFeatures>();
        int line = 1;
        for (string? s = r.ReadLine(); s is not null; s = r.ReadLine())
        {
            line++;
            if (s.Trim().Length == 0) continue;
            var cells = s.Split(',');
            if (cells.Length != columns.Count) throw new ChangeDetectionException($"{path}:{line}: {cells.Length} cells; the header has {columns.Count}.");
            string code = cells[label].Trim();
            if (code.Length == 0) continue;
            try { ChangeClasses.FromCode(code); }
            catch (ArgumentException e) { throw new ChangeDetectionException($"{path}:{line}: {e.Message}", e); }
            var f = new float[PatchFeatures.Length];
            for (int k = 0; k < f.Length; k++)
            {
                string cell = cells[index[k]].Trim();
                if (cell.Length == 0) f[k] = float.NaN;
                else if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out f[k]))
                    throw new ChangeDetectionException($"{path}:{line}: '{cell}' in column {PatchFeatures.Names[k]} is not a number.");
            }
            rows.Add(new LabelledFeatures(f, code));
        }
        return rows;
    }
}
