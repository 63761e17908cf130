using System.Globalization;

namespace ChangeDetection.Tasks;

/// <summary>
/// How a field is stored, the same in every format: text; a real number with a fixed number of decimals
/// (always a floating-point column, even when every value is whole); or a calendar date (a DBF date,
/// a GeoPackage DATE, an ISO 8601 <c>yyyy-MM-dd</c> string in GeoJSON/CSV/KML, an Excel date cell).
/// </summary>
internal enum TaskFieldKind { Text, Real, Date }

/// <summary>
/// One exported column of a verification task: name (≤ 10 bytes, the DBF limit), Chinese caption,
/// kind, unit, decimals and width (DBF field length in bytes, which must hold GBK or UTF-8 text).
/// </summary>
internal sealed record TaskField(string Name, string Caption, TaskFieldKind Kind, string Unit, int Decimals, int Width, Func<VerificationTask, object?> Value)
{
    /// <summary>The ISO 8601 date format of <see cref="TaskFieldKind.Date"/> fields in text formats.</summary>
    public const string DateFormat = "yyyy-MM-dd";

    /// <summary>
    /// The value as exported: a string (<see cref="TaskFieldKind.Text"/>), a double rounded to
    /// <see cref="Decimals"/> (<see cref="TaskFieldKind.Real"/>), a <see cref="DateOnly"/>
    /// (<see cref="TaskFieldKind.Date"/>), or null (empty).
    /// </summary>
    public object? Export(VerificationTask task)
    {
        var v = Value(task);
        return Kind == TaskFieldKind.Real && v is double d ? Math.Round(d, Decimals, MidpointRounding.AwayFromZero) : v;
    }

    /// <summary>The exported value as invariant text (empty for null; dates as <see cref="DateFormat"/>), as CSV and KML write it.</summary>
    public string ExportText(VerificationTask task) => Export(task) switch
    {
        null => "",
        double d => d.ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        DateOnly day => day.ToString(DateFormat, CultureInfo.InvariantCulture),
        var o => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>
/// The columns every export writes, in order: the one place that says which task fields go out,
/// how they are rounded and what they mean (the data dictionary <c>fields.csv</c> is made from it).
/// </summary>
internal static class TaskFields
{
    /// <summary>The fixed columns.</summary>
    public static IReadOnlyList<TaskField> Fixed { get; } =
    [
        new("JCBH", "监测编号", TaskFieldKind.Text, "", 0, 32, t => t.JCBH),
        new("XZQDM", "行政区代码", TaskFieldKind.Text, "", 0, 12, t => t.XZQDM),
        new("XZQMC", "行政区名称", TaskFieldKind.Text, "", 0, 100, t => t.XZQMC),
        new("TBMJ", "图斑面积", TaskFieldKind.Real, "m²", 2, 16, t => t.TBMJ),
        new("TBMJMU", "图斑面积(亩)", TaskFieldKind.Real, "亩", 2, 16, t => t.TBMJMU),
        new("QSX", "前时相", TaskFieldKind.Date, "", 0, 8, t => t.QSX),
        new("HSX", "后时相", TaskFieldKind.Date, "", 0, 8, t => t.HSX),
        new("BHLX", "变化类型代码", TaskFieldKind.Text, "", 0, 16, t => t.BHLX),
        new("BHLXMC", "变化类型", TaskFieldKind.Text, "", 0, 40, t => t.BHLXMC),
        new("ZXD", "置信度", TaskFieldKind.Real, "0–1", 4, 8, t => t.ZXD),
        new("ZXDX", "中心点X坐标", TaskFieldKind.Real, "交付坐标系单位(见 .prj, manifest.json)", 3, 18, t => t.ZXDX),
        new("ZXDY", "中心点Y坐标", TaskFieldKind.Real, "交付坐标系单位(见 .prj, manifest.json)", 3, 18, t => t.ZXDY),
        new("JD", "经度", TaskFieldKind.Real, "度(CGCS2000)", 8, 14, t => t.JD),
        new("WD", "纬度", TaskFieldKind.Real, "度(CGCS2000)", 8, 14, t => t.WD),
        new("YJJBNTMJ", "压占永久基本农田面积", TaskFieldKind.Real, "m²", 2, 16, t => t.YJJBNTMJ),
        new("GDMJ", "压占耕地面积", TaskFieldKind.Real, "m²", 2, 16, t => t.GDMJ),
        new("STHXMJ", "压占生态保护红线面积", TaskFieldKind.Real, "m²", 2, 16, t => t.STHXMJ),
        new("CZKFMJ", "压占城镇开发边界面积", TaskFieldKind.Real, "m²", 2, 16, t => t.CZKFMJ),
        new("YXJ", "优先级", TaskFieldKind.Text, "高/中/低", 0, 8, t => TaskPriority.ChineseName(t.YXJ)),
        new("YXJDM", "优先级代码", TaskFieldKind.Text, "high/medium/low", 0, 8, t => t.YXJ),
    ];

    /// <summary>How many of <see cref="Fixed"/> come after the custom overlap columns (YXJ, YXJDM).</summary>
    private const int Trailing = 2;

    /// <summary>
    /// The columns for a set of tasks: <see cref="Fixed"/>, then one overlap column (m²) per custom
    /// layer any of them carries, in ordinal name order, inserted before <c>YXJ</c>; a task without
    /// a value for such a layer exports it empty.
    /// </summary>
    /// <exception cref="ChangeDetectionException">A custom layer name that is not short ASCII or clashes with a fixed name.</exception>
    public static IReadOnlyList<TaskField> For(IEnumerable<VerificationTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var extra = tasks.SelectMany(t => t.Extra.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var fields = Fixed.Take(Fixed.Count - Trailing).ToList();
        foreach (var name in extra)
        {
            CheckExtraName(name);
            fields.Add(new TaskField(name, $"压占{name}图层面积", TaskFieldKind.Real, "m²", 2, 16, t => t.Extra.TryGetValue(name, out double m2) ? m2 : null));
        }
        fields.AddRange(Fixed.Skip(Fixed.Count - Trailing));
        return fields;
    }

    private static void CheckExtraName(string name)
    {
        bool ascii = name.Length is > 0 and <= 10 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && char.IsAsciiLetter(name[0]);
        if (!ascii)
            throw new ChangeDetectionException($"Custom layer field '{name}' must be 1–10 ASCII letters, digits or '_', starting with a letter (a DBF field name holds 10 bytes).");
        if (Fixed.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)))
            throw new ChangeDetectionException($"Custom layer field '{name}' clashes with the fixed field of that name.");
    }
}
