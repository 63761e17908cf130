using ChangeDetection.Tasks;

namespace ChangeDetection.Export;

/// <summary>
/// Writes the data dictionary <c>fields.csv</c>: for each exported column its name, Chinese caption,
/// type (<c>Text</c>, <c>Real</c> or <c>Date</c>), unit and decimals, so that a province can read the short DBF
/// names. UTF-8 with a BOM, like <c>tasks.csv</c>.
/// </summary>
internal static class FieldDictionaryWriter
{
    public static IReadOnlyList<string> Header { get; } = ["name", "caption", "type", "unit", "decimals"];

    public static void Write(string path, IReadOnlyList<TaskField> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        CsvTaskWriter.WriteRows(path, [.. Header], fields.Select(f => new[]
        {
            f.Name, f.Caption, f.Kind.ToString(), f.Unit, f.Decimals.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
    }
}
