using System.Globalization;
using System.Text;
using ChangeDetection.Overlay;
using CsvHelper;
using MiniExcelLibs;

namespace ChangeDetection.Classification;

/// <summary>One row of an attribute table: where it is (for messages) and its cells by column name (case-insensitive).</summary>
internal sealed record ResultRow(string Where, IReadOnlyDictionary<string, string> Cells)
{
    /// <summary>The trimmed cell of <paramref name="column"/>, empty when the row has none.</summary>
    public string Cell(string column) => Cells.TryGetValue(column, out var v) ? v.Trim() : "";
}

/// <summary>
/// The attribute table of a file that provinces send back: a CSV (UTF-8 with or without BOM, UTF-16
/// with BOM, else GBK — what Excel on a Chinese Windows saves), an XLSX workbook (sheet
/// <c>tasks</c> when there is one, else the first), or a task layer (.shp/.gpkg/.geojson, read
/// with <see cref="PolygonLayerReader"/>, a Shapefile's .dbf directly so a missing .prj does not
/// matter; geometry is ignored). Cells become invariant text.
/// </summary>
internal sealed record ResultTable(string Path, IReadOnlyList<string> Columns, IReadOnlyList<ResultRow> Rows, IReadOnlyList<string> Warnings)
{
    /// <summary>The sheet the XLSX task export writes (<see cref="Export.XlsxTaskWriter.TaskSheet"/>).</summary>
    private const string TaskSheet = Export.XlsxTaskWriter.TaskSheet;

    /// <exception cref="ChangeDetectionException">Missing file, unknown extension, or a file its format library cannot read.</exception>
    public static ResultTable Read(string path)
    {
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: results file not found.");
        string ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        try
        {
            return ext switch
            {
                ".csv" or ".txt" => ReadCsv(path),
                ".xlsx" => ReadXlsx(path),
                ".shp" => ReadShapefile(path),
                ".gpkg" or ".geojson" or ".json" => ReadLayer(path),
                _ => throw new ChangeDetectionException($"{path}: unknown results format '{ext}' (use .csv, .xlsx, .shp, .gpkg or .geojson)."),
            };
        }
        catch (Exception e) when (e is not ChangeDetectionException and not OutOfMemoryException)
        {
            // CsvHelper, MiniExcel and the zip reader throw their own types; the user needs the file and the reason.
            throw new ChangeDetectionException($"{path}: cannot read the results: {e.Message}", e);
        }
    }

    private static ResultTable ReadCsv(string path)
    {
        string text = DecodeText(File.ReadAllBytes(path));
        using var csv = CsvReader.FromText(text, new CsvReaderOptions { TrackLineNumbers = true });
        var columns = csv.Headers.Select(h => h.Trim()).ToList();
        var rows = new List<ResultRow>();
        while (csv.Read())
        {
            var cells = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < columns.Count; i++) cells.TryAdd(columns[i], i < csv.FieldCount ? csv.GetString(i) : "");
            rows.Add(new ResultRow($"line {csv.LineNumber}", cells));
        }
        return new ResultTable(path, columns, rows, []);
    }

    /// <summary>
    /// CSV text: a BOM decides; else UTF-8 when the bytes are valid UTF-8; else GBK (code page 936),
    /// the ANSI code page Excel saves "CSV" in on a Chinese Windows.
    /// </summary>
    internal static string DecodeText(byte[] bytes)
    {
        ReadOnlySpan<byte> b = bytes;
        if (b.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return Encoding.UTF8.GetString(b[3..]);
        if (b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return Encoding.Unicode.GetString(b[2..]);
        if (b.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return Encoding.BigEndianUnicode.GetString(b[2..]);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(b);
        }
        catch (DecoderFallbackException)
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            return Encoding.GetEncoding(936).GetString(b);
        }
    }

    private static ResultTable ReadXlsx(string path)
    {
        var sheets = MiniExcel.GetSheetNames(path);
        string? sheet = sheets.FirstOrDefault(s => string.Equals(s, TaskSheet, StringComparison.OrdinalIgnoreCase)) ?? sheets.FirstOrDefault();
        if (sheet is null) throw new ChangeDetectionException($"{path}: the workbook has no sheet.");
        // Without a header row MiniExcel keys cells by column letter and yields every row in sheet
        // order, so the first row gives the column names and the row number is the position.
        var columns = new List<string>();
        var letters = new List<string>();
        var rows = new List<ResultRow>();
        int number = 0;
        foreach (IDictionary<string, object?> row in MiniExcel.Query(path, useHeaderRow: false, sheetName: sheet))
        {
            number++;
            if (number == 1)
            {
                foreach (var (letter, value) in row)
                {
                    string name = Text(value).Trim();
                    if (name.Length == 0) continue;
                    letters.Add(letter);
                    columns.Add(name);
                }
                continue;
            }
            var cells = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < columns.Count; i++) cells.TryAdd(columns[i], row.TryGetValue(letters[i], out var v) ? Text(v) : "");
            rows.Add(new ResultRow($"sheet {sheet} row {number}", cells));
        }
        return new ResultTable(path, columns, rows, []);
    }

    /// <summary>
    /// A task Shapefile's attributes only: results come back from the field without their .prj as
    /// often as with it, and the CRS does not matter for a JCBH and a result.
    /// </summary>
    private static ResultTable ReadShapefile(string path)
    {
        if (!File.Exists(System.IO.Path.ChangeExtension(path, ".dbf")))
            throw new ChangeDetectionException($"{path}: no .dbf file next to it; the results are in the .dbf.");
        var options = new NetTopologySuite.IO.Esri.Shapefiles.Readers.ShapefileReaderOptions
        {
            Encoding = Overlay.ShapefileLayerReader.CpgEncoding(path),
            GeometryBuilderMode = NetTopologySuite.IO.Esri.Shapefiles.Readers.GeometryBuilderMode.IgnoreInvalidShapes,
        };
        var records = NetTopologySuite.IO.Esri.Shapefile.ReadAllFeatures(path, options)
            .Select((f, i) => ($"record {i + 1}", f.Attributes.GetNames().Select(name => (name, (object?)f.Attributes[name]))));
        return FromAttributes(path, records, []);
    }

    private static ResultTable ReadLayer(string path)
    {
        var layer = PolygonLayerReader.Read(path);
        var features = layer.Features.Select((f, i) => ($"feature {i + 1}", f.Attributes.Select(kv => (kv.Key, kv.Value))));
        // A feature the reader skipped (no geometry) is a result lost: the warning says so.
        return FromAttributes(path, features, layer.Warnings);
    }

    /// <summary>Rows of named attribute values (columns in order of first appearance; names case-insensitive).</summary>
    private static ResultTable FromAttributes(string path, IEnumerable<(string Where, IEnumerable<(string Name, object? Value)> Attributes)> records, IReadOnlyList<string> warnings)
    {
        var columns = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var rows = new List<ResultRow>();
        foreach (var (where, attributes) in records)
        {
            var cells = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in attributes)
            {
                if (seen.Add(name)) columns.Add(name);
                cells.TryAdd(name, Text(value));
            }
            rows.Add(new ResultRow(where, cells));
        }
        return new ResultTable(path, columns, rows, warnings);
    }

    private static string Text(object? value) => value switch
    {
        null or DBNull => "",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
