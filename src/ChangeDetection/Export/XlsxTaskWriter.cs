using System.Globalization;
using System.IO.Compression;
using System.Text;
using ChangeDetection.IO;
using ChangeDetection.Tasks;

namespace ChangeDetection.Export;

/// <summary>
/// Writes verification tasks as an Excel workbook: sheet <c>tasks</c> with one column per
/// <see cref="TaskFields"/> entry (numbers as numbers, dates as dates, empty cells for null), and
/// sheet <c>fields</c> with the data dictionary, so that the Chinese captions travel with the short
/// names. Written atomically; the same tasks give the same bytes.
/// </summary>
internal static class XlsxTaskWriter
{
    public const string TaskSheet = "tasks";
    public const string FieldSheet = "fields";

    public static void Write(string path, IReadOnlyList<VerificationTask> tasks)
    {
        var ordered = TaskList.Ordered(tasks);
        var fields = TaskFields.For(ordered);
        var taskSheet = new XlsxSheet(TaskSheet, [.. fields.Select(f => f.Name)],
            [.. ordered.Select(t => fields.Select(f => f.Export(t)).ToArray())]);
        var dictionary = new XlsxSheet(FieldSheet, [.. FieldDictionaryWriter.Header],
            [.. fields.Select(f => new object?[] { f.Name, f.Caption, f.Kind.ToString(), f.Unit, f.Decimals })]);
        AtomicFile.Write(path, tmp => XlsxWorkbook.Write(tmp, [taskSheet, dictionary]));
    }
}

/// <summary>
/// Text of a real value that readers typing columns by their text (GDAL's XLSX and GeoJSON drivers)
/// take as Real: the shortest round-trip form, with ".0" added to whole numbers ("3582" would be Integer).
/// </summary>
internal static class RealText
{
    public static string Of(double d)
    {
        if (!double.IsFinite(d)) throw new ArgumentException($"{d} is not a finite number and cannot be exported.", nameof(d));
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('E', StringComparison.Ordinal) ? s : s + ".0";
    }
}

/// <summary>One worksheet: a header row of text and rows of cells (string, int, double, <see cref="DateOnly"/> or null for an empty cell).</summary>
internal sealed record XlsxSheet(string Name, string[] Header, object?[][] Rows);

/// <summary>
/// A minimal SpreadsheetML (Office Open XML) writer. MiniExcel writes the sheet XML with an
/// <c>x:</c> namespace prefix, which GDAL's XLSX driver before 3.9.2 (QGIS LTR, Debian/Ubuntu GDAL
/// 3.6–3.8) reads as an empty sheet; this writer uses the default namespace, shared strings, a real
/// date style (GDAL reads a Date field, Excel shows yyyy-mm-dd) and numbers that always carry a decimal
/// point, so that GDAL types a column of whole square metres as Real, not Integer. Zip entries carry one
/// fixed time so that the same sheets give the same bytes.
/// </summary>
internal static class XlsxWorkbook
{
    private const string MainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string RelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private const string PackageRelNs = "http://schemas.openxmlformats.org/package/2006/relationships";
    /// <summary>Style index of date cells in <c>cellXfs</c> (0 is the default style, 1 the bold header).</summary>
    private const int DateStyle = 2;
    private static readonly DateOnly ExcelEpoch = new(1899, 12, 30);
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Write(string path, IReadOnlyList<XlsxSheet> sheets)
    {
        var strings = new SharedStrings();
        var sheetXml = sheets.Select(s => SheetXml(s, strings)).ToList();
        using var stream = File.Create(path);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create);
        Entry(zip, "[Content_Types].xml", ContentTypes(sheets.Count));
        Entry(zip, "_rels/.rels", $"""<Relationships xmlns="{PackageRelNs}"><Relationship Id="rId1" Type="{RelNs}/officeDocument" Target="xl/workbook.xml"/></Relationships>""");
        Entry(zip, "xl/workbook.xml", WorkbookXml(sheets));
        Entry(zip, "xl/_rels/workbook.xml.rels", WorkbookRels(sheets.Count));
        Entry(zip, "xl/styles.xml", StylesXml);
        for (int i = 0; i < sheetXml.Count; i++) Entry(zip, $"xl/worksheets/sheet{i + 1}.xml", sheetXml[i]);
        Entry(zip, "xl/sharedStrings.xml", strings.Xml());
    }

    private static void Entry(ZipArchive zip, string name, string xml)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var w = entry.Open();
        w.Write(Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" + xml));
    }

    private static string ContentTypes(int sheets)
    {
        var sb = new StringBuilder("<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">");
        sb.Append("<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>");
        sb.Append("<Default Extension=\"xml\" ContentType=\"application/xml\"/>");
        sb.Append("<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>");
        for (int i = 1; i <= sheets; i++)
            sb.Append(CultureInfo.InvariantCulture, $"<Override PartName=\"/xl/worksheets/sheet{i}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>");
        sb.Append("<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>");
        sb.Append("<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>");
        return sb.Append("</Types>").ToString();
    }

    private static string WorkbookXml(IReadOnlyList<XlsxSheet> sheets)
    {
        var sb = new StringBuilder($"<workbook xmlns=\"{MainNs}\" xmlns:r=\"{RelNs}\"><sheets>");
        for (int i = 0; i < sheets.Count; i++)
            sb.Append(CultureInfo.InvariantCulture, $"<sheet name=\"{Escape(sheets[i].Name)}\" sheetId=\"{i + 1}\" r:id=\"rId{i + 1}\"/>");
        return sb.Append("</sheets></workbook>").ToString();
    }

    private static string WorkbookRels(int sheets)
    {
        var sb = new StringBuilder($"<Relationships xmlns=\"{PackageRelNs}\">");
        for (int i = 1; i <= sheets; i++)
            sb.Append(CultureInfo.InvariantCulture, $"<Relationship Id=\"rId{i}\" Type=\"{RelNs}/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<Relationship Id=\"rId{sheets + 1}\" Type=\"{RelNs}/styles\" Target=\"styles.xml\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<Relationship Id=\"rId{sheets + 2}\" Type=\"{RelNs}/sharedStrings\" Target=\"sharedStrings.xml\"/>");
        return sb.Append("</Relationships>").ToString();
    }

    /// <summary>Styles: 0 default, 1 bold (header), 2 date (custom format 164, yyyy-mm-dd).</summary>
    private static readonly string StylesXml =
        $"<styleSheet xmlns=\"{MainNs}\">" +
        "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"yyyy\\-mm\\-dd\"/></numFmts>" +
        "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font><font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>" +
        "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>" +
        "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>" +
        "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>" +
        "<cellXfs count=\"3\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>" +
        "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>" +
        "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>" +
        "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>" +
        "</styleSheet>";

    private static string SheetXml(XlsxSheet sheet, SharedStrings strings)
    {
        var sb = new StringBuilder($"<worksheet xmlns=\"{MainNs}\" xmlns:r=\"{RelNs}\">");
        int columns = sheet.Header.Length;
        sb.Append(CultureInfo.InvariantCulture, $"<dimension ref=\"A1:{Column(Math.Max(columns, 1) - 1)}{sheet.Rows.Length + 1}\"/>");
        // The header row stays in view while scrolling.
        sb.Append("<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>");
        sb.Append("<sheetData>");
        sb.Append("<row r=\"1\">");
        for (int c = 0; c < columns; c++)
            sb.Append(CultureInfo.InvariantCulture, $"<c r=\"{Column(c)}1\" s=\"1\" t=\"s\"><v>{strings.Index(sheet.Header[c])}</v></c>");
        sb.Append("</row>");
        for (int r = 0; r < sheet.Rows.Length; r++)
        {
            var row = sheet.Rows[r];
            if (row.Length != columns) throw new ArgumentException($"Sheet {sheet.Name}: row {r + 1} has {row.Length} cells for {columns} columns.", nameof(sheet));
            int n = r + 2;
            sb.Append(CultureInfo.InvariantCulture, $"<row r=\"{n}\">");
            for (int c = 0; c < columns; c++)
            {
                string at = Column(c) + n.ToString(CultureInfo.InvariantCulture);
                switch (row[c])
                {
                    case null: break;
                    case string s: sb.Append(CultureInfo.InvariantCulture, $"<c r=\"{at}\" t=\"s\"><v>{strings.Index(s)}</v></c>"); break;
                    case int i: sb.Append(CultureInfo.InvariantCulture, $"<c r=\"{at}\"><v>{i}</v></c>"); break;
                    case double d: sb.Append(CultureInfo.InvariantCulture, $"<c r=\"{at}\"><v>{RealText.Of(d)}</v></c>"); break;
                    case DateOnly day: sb.Append(CultureInfo.InvariantCulture, $"<c r=\"{at}\" s=\"{DateStyle}\"><v>{day.DayNumber - ExcelEpoch.DayNumber}</v></c>"); break;
                    case var other: throw new ArgumentException($"Sheet {sheet.Name}: a {other.GetType().Name} cell cannot be written.", nameof(sheet));
                }
            }
            sb.Append("</row>");
        }
        return sb.Append("</sheetData></worksheet>").ToString();
    }

    /// <summary>Column letters of a 0-based index: A … Z, AA ….</summary>
    internal static string Column(int index)
    {
        var sb = new StringBuilder();
        for (int i = index + 1; i > 0; i = (i - 1) / 26) sb.Insert(0, (char)('A' + (i - 1) % 26));
        return sb.ToString();
    }

    private static string Escape(string s) => System.Security.SecurityElement.Escape(s);

    /// <summary>The shared string table, in order of first use.</summary>
    private sealed class SharedStrings
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly List<string> _values = [];
        private int _uses;

        public int Index(string value)
        {
            _uses++;
            if (_index.TryGetValue(value, out int i)) return i;
            _index.Add(value, _values.Count);
            _values.Add(value);
            return _values.Count - 1;
        }

        public string Xml()
        {
            var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"<sst xmlns=\"{MainNs}\" count=\"{_uses}\" uniqueCount=\"{_values.Count}\">"));
            foreach (var v in _values)
            {
                // Leading or trailing blanks are kept only when marked.
                bool preserve = v.Length > 0 && (char.IsWhiteSpace(v[0]) || char.IsWhiteSpace(v[^1]));
                sb.Append(preserve ? "<si><t xml:space=\"preserve\">" : "<si><t>").Append(Escape(v)).Append("</t></si>");
            }
            return sb.Append("</sst>").ToString();
        }
    }
}
