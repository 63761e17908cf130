using ChangeDetection.Pipeline;
using ChangeDetection.Tasks;
using MiniExcelLibs;

namespace ChangeDetection.Export;

/// <summary>
/// Writes verification tasks as an Excel workbook: sheet <c>tasks</c> with one column per
/// <see cref="TaskFields"/> entry (numbers as numbers), and sheet <c>fields</c> with the data
/// dictionary, so that the Chinese captions travel with the short names. Written atomically.
/// </summary>
public static class XlsxTaskWriter
{
    public const string TaskSheet = "tasks";
    public const string FieldSheet = "fields";

    public static void Write(string path, IReadOnlyList<VerificationTask> tasks)
    {
        var ordered = TaskList.Ordered(tasks);
        var fields = TaskFields.For(ordered);
        var rows = ordered.Select(t =>
        {
            var row = new Dictionary<string, object?>(fields.Count);
            foreach (var f in fields) row[f.Name] = f.Export(t);
            return row;
        }).ToList();
        var dictionary = fields.Select(f => new Dictionary<string, object?>
        {
            ["name"] = f.Name, ["caption"] = f.Caption, ["type"] = f.Kind.ToString(), ["unit"] = f.Unit, ["decimals"] = f.Decimals,
        }).ToList();
        var sheets = new Dictionary<string, object> { [TaskSheet] = rows, [FieldSheet] = dictionary };
        AtomicFile.Write(path, tmp =>
        {
            MiniExcel.SaveAs(tmp, sheets, excelType: ExcelType.XLSX, overwriteFile: true);
            MakeDeterministic(tmp);
        });
    }

    /// <summary>
    /// MiniExcel names relationships with random GUIDs and stamps zip entries with the current
    /// time, so the same tasks would give different bytes on every run. Renumber the IDs in
    /// order of appearance and give every entry one fixed time, so a re-run (or a resumed run)
    /// reproduces the file exactly.
    /// </summary>
    internal static void MakeDeterministic(string xlsx)
    {
        var entries = new List<(string Name, byte[] Data)>();
        using (var zip = System.IO.Compression.ZipFile.OpenRead(xlsx))
        {
            foreach (var e in zip.Entries)
            {
                using var s = e.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                entries.Add((e.FullName, ms.ToArray()));
            }
        }
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var guidId = new System.Text.RegularExpressions.Regex("R[0-9a-f]{32}", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        var stamp = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var output = System.IO.Compression.ZipFile.Open(xlsx + ".norm", System.IO.Compression.ZipArchiveMode.Create);
        foreach (var (name, data) in entries)
        {
            byte[] bytes = data;
            if (name.EndsWith(".xml", StringComparison.Ordinal) || name.EndsWith(".rels", StringComparison.Ordinal))
            {
                string text = System.Text.Encoding.UTF8.GetString(data);
                string replaced = guidId.Replace(text, m => ids.TryGetValue(m.Value, out var id) ? id : ids[m.Value] = $"rId{ids.Count + 1}");
                if (!ReferenceEquals(replaced, text)) bytes = System.Text.Encoding.UTF8.GetBytes(replaced);
            }
            var entry = output.CreateEntry(name, System.IO.Compression.CompressionLevel.Optimal);
            entry.LastWriteTime = stamp;
            using var w = entry.Open();
            w.Write(bytes);
        }
        output.Dispose();
        File.Move(xlsx + ".norm", xlsx, overwrite: true);
    }
}
