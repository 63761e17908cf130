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
        AtomicFile.Write(path, tmp => MiniExcel.SaveAs(tmp, sheets, excelType: ExcelType.XLSX, overwriteFile: true));
    }
}
