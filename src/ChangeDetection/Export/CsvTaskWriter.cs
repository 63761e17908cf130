using ChangeDetection.IO;
using ChangeDetection.Tasks;
using CsvHelper;

namespace ChangeDetection.Export;

/// <summary>
/// Writes verification tasks as CSV (RFC 4180, CRLF) in UTF-8 with a byte order mark, which Excel
/// needs to show Chinese text; one column per <see cref="TaskFields"/> entry, no geometry (the
/// centroid is in ZXDX/ZXDY and JD/WD), dates as <c>yyyy-MM-dd</c>, nulls empty, and the column
/// types in a <c>.csvt</c> beside it. Written atomically.
/// </summary>
internal static class CsvTaskWriter
{
    /// <summary>Writes <paramref name="path"/> and, next to it, its <c>.csvt</c> (see <see cref="TypesPath"/>).</summary>
    public static void Write(string path, IReadOnlyList<VerificationTask> tasks)
    {
        var ordered = TaskList.Ordered(tasks);
        var fields = TaskFields.For(ordered);
        WriteRows(path, fields.Select(f => f.Name).ToArray(), ordered.Select(t => fields.Select(f => f.ExportText(t)).ToArray()));
        AtomicFile.WriteAllText(TypesPath(path), string.Join(",", fields.Select(f => $"\"{CsvtType(f.Kind)}\"")) + "\r\n");
    }

    /// <summary>
    /// The column types file GDAL and QGIS read beside a CSV (<c>tasks.csv</c> → <c>tasks.csvt</c>), so
    /// that the columns come back with the types they have in every other format instead of as text.
    /// </summary>
    public static string TypesPath(string csvPath) => Path.ChangeExtension(csvPath, ".csvt");

    private static string CsvtType(TaskFieldKind kind) => kind switch
    {
        TaskFieldKind.Real => "Real",
        TaskFieldKind.Date => "Date",
        _ => "String",
    };

    /// <summary>Writes a header and rows of text fields as UTF-8 CSV with a BOM, atomically.</summary>
    internal static void WriteRows(string path, string[] header, IEnumerable<string[]> rows) =>
        AtomicFile.Write(path, tmp =>
        {
            using var stream = File.Create(tmp);
            using var csv = CsvWriter.Create(stream, new CsvWriterOptions { WriteByteOrderMark = true }, false);
            csv.WriteHeader(header);
            foreach (var row in rows) csv.WriteRecord(row);
            csv.Flush();
        });
}
