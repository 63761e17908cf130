using System.Globalization;
using System.Text;
using ChangeDetection.Classification;
using ChangeDetection.Geo;
using ChangeDetection.IO;
using ChangeDetection.Tasks;

namespace ChangeDetection.Export;

/// <summary>
/// Writes <c>说明.txt</c>, the package's own explanation in Chinese for the provincial office: region,
/// quarter, dates, run ID, CRS, task count by priority, the layers checked, what each file is, the
/// field dictionary, and how to send verification results back (the columns <c>cdx train --results</c>
/// reads). UTF-8 with a byte order mark and CRLF line ends, so that Windows Notepad shows it right.
/// </summary>
internal static class PackageReadme
{
    public const string FileName = "说明.txt";

    /// <summary>
    /// Writes the file atomically: <paramref name="manifest"/> gives province, run and layers (its file
    /// list is not used), <paramref name="prefix"/> what the data file names start with (<c>32_2026Q3_</c>,
    /// see <see cref="ProvincePackage.Prefix"/>).
    /// </summary>
    public static void Write(string path, PackageManifest manifest, Crs deliveryCrs, IReadOnlyList<VerificationTask> tasks, DbfEncoding encoding, bool chips, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(deliveryCrs);
        ArgumentNullException.ThrowIfNull(tasks);
        var text = Text(manifest, deliveryCrs, tasks, encoding, chips, prefix);
        AtomicFile.Write(path, tmp => File.WriteAllText(tmp, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true)));
    }

    internal static string Text(PackageManifest m, Crs deliveryCrs, IReadOnlyList<VerificationTask> tasks, DbfEncoding encoding, bool chips, string prefix)
    {
        string tasksShp = prefix + "tasks.shp", tasksGpkg = prefix + "tasks.gpkg", tasksGeoJson = prefix + "tasks.geojson", tasksKml = prefix + "tasks.kml",
            tasksCsv = prefix + "tasks.csv", tasksXlsx = prefix + "tasks.xlsx";
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void Line(string s = "") => sb.Append(s).Append("\r\n");
        string Day(DateOnly d) => d.ToString(TaskField.DateFormat, ci);

        Line("卫片执法核查任务包说明");
        Line();
        Line($"省份：{m.Province} {m.ProvinceName ?? ""}".TrimEnd());
        Line($"监测区域：{(m.Run is { } r ? $"{r.RegionCode} {r.RegionName}" : "未记录")}");
        Line($"季度：{m.Run?.Quarter ?? "未记录"}");
        if (tasks.Count > 0)
            Line($"前时相：{string.Join("、", tasks.Select(t => t.QSX).Distinct().Order().Select(Day))}；后时相：{string.Join("、", tasks.Select(t => t.HSX).Distinct().Order().Select(Day))}");
        Line($"运行编号：{m.Run?.RunId ?? "未记录"}");
        if (m.Run is not null) Line($"生成工具：cdx {m.Run.ToolVersion}");
        Line($"坐标系：{tasksShp}、{tasksGpkg} 及各格式的 ZXDX/ZXDY 为 {deliveryCrs}（{(deliveryCrs.Epsg is int epsg ? CrsRegistry.Name(epsg) : null) ?? deliveryCrs.Citation ?? "见 .prj"}）；{tasksGeoJson}、{tasksKml} 为 EPSG:4490（CGCS2000 经纬度），JD/WD 亦为 CGCS2000 经纬度。");
        Line("面积：TBMJ（m²）、TBMJMU（亩）与各压占面积均在影像坐标系中计算，各格式数值一致。");
        Line();
        var byPriority = new[] { TaskPriority.High, TaskPriority.Medium, TaskPriority.Low }
            .Select(p => $"{TaskPriority.ChineseName(p)} {tasks.Count(t => t.YXJ == p)} 个");
        Line($"核查任务：共 {tasks.Count} 个（优先级 {string.Join("，", byPriority)}）。");
        Line(m.Layers.Count == 0
            ? "已叠加图层：无（所有压占面积字段为空）。"
            : $"已叠加图层：{string.Join("；", m.Layers.Select(l => $"{l.Name}（{l.Kind}，字段 {l.Field}）"))}。");
        Line("压占面积字段为空表示运行时未叠加该类图层（未核查）；0.00 表示已核查、无压占。");
        Line();
        Line("文件");
        Line($"  {tasksShp}（及 .shx .dbf .prj .cpg）：ESRI Shapefile，属性文字编码 {ShapefileTaskWriter.CodePageName(encoding)}（见 .cpg）。");
        Line($"  {tasksGpkg}：GeoPackage（含空间索引）。");
        Line($"  {tasksGeoJson}：GeoJSON，CGCS2000 经纬度。");
        Line($"  {tasksKml}：KML，供奥维互动地图、两步路、Google Earth 等外业软件使用。");
        Line($"  {tasksCsv}：CSV（UTF-8，带 BOM），可用 Excel 打开；{prefix}tasks.csvt 为 GDAL/QGIS 读取的字段类型。");
        Line($"  {tasksXlsx}：Excel 工作簿，tasks 工作表为任务，fields 工作表为字段说明。");
        Line($"  {prefix}fields.csv：字段说明。");
        if (chips) Line("  chips/<监测编号>_before.png、<监测编号>_after.png：前、后时相影像切片，黄线为图斑边界；两期影像按整景统一拉伸，色调差异为实际差异；左上角为监测编号与日期（BEFORE 前时相、AFTER 后时相），左下角为比例尺。");
        Line("  manifest.json：文件清单与 SHA-256 校验值，以及区域、季度、坐标系、已叠加图层。");
        Line($"  {FileName}：本说明。");
        Line();
        Line("字段");
        foreach (var f in TaskFields.For(tasks))
        {
            string kind = f.Kind switch
            {
                TaskFieldKind.Real => $"数值（{f.Decimals} 位小数）",
                TaskFieldKind.Date => "日期（yyyy-MM-dd）",
                _ => "文本",
            };
            Line($"  {f.Name}：{f.Caption}，{kind}{(f.Unit.Length > 0 ? $"，{f.Unit}" : "")}");
        }
        Line();
        Line("核查结果回传");
        Line($"  在 {tasksXlsx} 或 {tasksCsv}（也可用 {tasksShp}、{tasksGpkg}、{tasksGeoJson} 的属性表）中保留 {VerificationResults.JcbhColumn} 列，"
            + $"新增一列 {VerificationResults.DefaultResultColumns[0]}（核查结果），逐条填写核查认定的变化类型（代码或中文名均可）：");
        Line($"  {string.Join("，", VerificationResults.Verifiable.Select(c => $"{c.Code}（{c.ChineseName}）"))}。");
        Line("  未核查的任务留空。回传的文件用于 cdx train --results 训练下一季度的分类模型。");
        return sb.ToString();
    }
}
