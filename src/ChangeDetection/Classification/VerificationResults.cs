using System.Globalization;
using System.Text;
using ChangeDetection.Tasks;

namespace ChangeDetection.Classification;

/// <summary>The verification result (核查结果) of one task.</summary>
/// <param name="Jcbh">The task's monitoring ID (监测编号).</param>
/// <param name="Class">The change class the inspector found.</param>
/// <param name="Where">Where it was read (line, row or feature), for messages.</param>
/// <param name="AreaM2">The task's area (<c>TBMJ</c>) when the file carries it, to check that the JCBH still names the same patch.</param>
public sealed record VerificationResult(string Jcbh, ChangeClass Class, string Where, double? AreaM2);

/// <summary>The verified tasks of one results file.</summary>
/// <param name="Path">The file read.</param>
/// <param name="Column">The result column used.</param>
/// <param name="Results">One result per verified JCBH (a JCBH listed twice with the same result counts once).</param>
/// <param name="Unverified">Rows with an empty result (not verified yet): skipped.</param>
/// <param name="Warnings">Problems that lose no result silently (e.g. a layer feature without geometry, skipped by the reader).</param>
public sealed record VerificationResultSet(string Path, string Column, IReadOnlyList<VerificationResult> Results, int Unverified, IReadOnlyList<string> Warnings);

/// <summary>
/// Reads the verification results provinces send back: the exported task table (CSV, XLSX, or a
/// task layer .shp/.gpkg/.geojson) with a <c>JCBH</c> column and a result column — by default the
/// first of <see cref="DefaultResultColumns"/> present (<c>HCJG</c>, 核查结果). A result is a change
/// class code (<c>construction</c> … <c>pseudo</c>) or its Chinese name (建(构)筑物 … 伪变化),
/// case-insensitive, full-width punctuation accepted; an empty cell means not verified.
/// </summary>
public static class VerificationResults
{
    public const string JcbhColumn = "JCBH";
    /// <summary>The area column of the task exports, used to check the JCBH → patch join.</summary>
    public const string AreaColumn = "TBMJ";

    /// <summary>Result columns looked for, in order, when none is named.</summary>
    public static IReadOnlyList<string> DefaultResultColumns { get; } = ["HCJG", "result", "label"];

    /// <summary>The classes an inspector can report: every class but <c>unclassified</c>, which is no finding.</summary>
    public static IReadOnlyList<ChangeClass> Verifiable { get; } =
        ChangeClasses.All.Where(c => c != ChangeClasses.Unclassified).ToList();

    /// <summary>The accepted values, for messages and help: <c>construction (建(构)筑物), …</c>.</summary>
    public static string AcceptedValues => string.Join(", ", Verifiable.Select(c => $"{c.Code} ({c.ChineseName})"));

    /// <summary>Reads the verified tasks of <paramref name="path"/>.</summary>
    /// <param name="path">A .csv, .xlsx, .shp, .gpkg or .geojson file.</param>
    /// <param name="resultColumn">The result column; null: the first of <see cref="DefaultResultColumns"/> present.</param>
    /// <exception cref="ChangeDetectionException">
    /// Unreadable file, no JCBH or result column, a result that is no class (with the row and the
    /// accepted values), a result without a JCBH, or one JCBH with two different results.
    /// </exception>
    public static VerificationResultSet Read(string path, string? resultColumn = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var table = ResultTable.Read(path);
        string found = table.Columns.Count > 0 ? string.Join(", ", table.Columns) : "no columns at all";
        string jcbh = Column(table, JcbhColumn)
            ?? throw new ChangeDetectionException($"{path}: no '{JcbhColumn}' column (found: {found}); the results must keep the task numbers of the export.");
        string column = resultColumn is not null
            ? Column(table, resultColumn) ?? throw new ChangeDetectionException($"{path}: no result column '{resultColumn}' (found: {found}).")
            : DefaultResultColumns.Select(c => Column(table, c)).FirstOrDefault(c => c is not null)
              ?? throw new ChangeDetectionException($"{path}: no result column: none of {string.Join(", ", DefaultResultColumns)} (found: {found}); add HCJG (核查结果) or name the column with --result-column.");
        string? area = Column(table, AreaColumn);

        var results = new Dictionary<string, VerificationResult>(StringComparer.Ordinal);
        var order = new List<string>();
        int unverified = 0;
        foreach (var row in table.Rows)
        {
            string value = row.Cell(column);
            string id = row.Cell(jcbh).ToUpperInvariant();
            if (value.Length == 0)
            {
                if (id.Length > 0) unverified++;
                continue;
            }
            var cls = ParseClass(value)
                ?? throw new ChangeDetectionException($"{path}: {row.Where}{(id.Length > 0 ? $" (JCBH {id})" : "")}: '{value}' in column {column} is not a change class; accepted: {AcceptedValues}; leave it empty when not verified.");
            if (id.Length == 0)
                throw new ChangeDetectionException($"{path}: {row.Where}: result '{value}' without a JCBH; keep the task number next to every result.");
            var result = new VerificationResult(id, cls, row.Where, area is null ? null : Number(row.Cell(area)));
            if (results.TryGetValue(id, out var earlier))
            {
                if (earlier.Class != cls)
                    throw new ChangeDetectionException($"{path}: JCBH {id} has two different results: '{earlier.Class.Code}' at {earlier.Where} and '{cls.Code}' at {row.Where}; keep one.");
                continue;
            }
            results[id] = result;
            order.Add(id);
        }
        return new VerificationResultSet(path, column, order.Select(i => results[i]).ToList(), unverified, table.Warnings);
    }

    /// <summary>The class a result cell names (code or Chinese name, any case, full-width or half-width punctuation), or null.</summary>
    public static ChangeClass? ParseClass(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string key = Key(value);
        return key.Length == 0 ? null : Verifiable.FirstOrDefault(c => Key(c.Code) == key || Key(c.ChineseName) == key);
    }

    /// <summary>NFKC folds full-width （）／ to ASCII, as typed with a Chinese input method; spaces and case do not matter.</summary>
    private static string Key(string text)
    {
        var folded = text.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(folded.Length);
        foreach (char c in folded)
            if (!char.IsWhiteSpace(c)) sb.Append(char.ToLowerInvariant(c));
        return sb.ToString();
    }

    /// <summary>The table's spelling of <paramref name="name"/> (case-insensitive), or null.</summary>
    private static string? Column(ResultTable table, string name) =>
        table.Columns.FirstOrDefault(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase));

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;
}
