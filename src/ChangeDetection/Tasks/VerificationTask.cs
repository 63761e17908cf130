using System.Diagnostics.CodeAnalysis;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tasks;

/// <summary>
/// A verification task (核查任务): one monitoring patch (图斑) that a province sends an inspector to
/// check. Property names are the exported field names: short upper-case pinyin initials as in the
/// national 卫片执法 tables, at most 10 bytes because a DBF cuts field names there.
/// </summary>
[SuppressMessage("Naming", "CA1708", Justification = "Field names are the exported column names.")]
public sealed record VerificationTask
{
    /// <summary>Monitoring ID (监测编号): XZQDM + quarter + 4-digit sequence, e.g. <c>4101022026Q30001</c>. See <see cref="TaskNumbering"/>.</summary>
    public string JCBH { get; init; } = "";
    /// <summary>Administrative division code (行政区代码), 6 digits; the first two are the province.</summary>
    public required string XZQDM { get; init; }
    /// <summary>Administrative division name (行政区名称).</summary>
    public required string XZQMC { get; init; }
    /// <summary>Patch area (图斑面积) in m².</summary>
    public required double TBMJ { get; init; }
    /// <summary>Patch area in 亩 (1 亩 = 10 000 / 15 m²).</summary>
    public double TBMJMU => Geo.AreaUnits.ToMu(TBMJ);
    /// <summary>Before acquisition date (前时相).</summary>
    public required DateOnly QSX { get; init; }
    /// <summary>After acquisition date (后时相).</summary>
    public required DateOnly HSX { get; init; }
    /// <summary>Change class code (变化类型), one of <see cref="ChangeClasses.All"/>.</summary>
    public required string BHLX { get; init; }
    /// <summary>Chinese name of <see cref="BHLX"/>.</summary>
    public string BHLXMC => ChangeClasses.FromCode(BHLX).ChineseName;
    /// <summary>Confidence (置信度) of the change class, 0–1.</summary>
    public required double ZXD { get; init; }
    /// <summary>Centroid x (easting) in the image CRS, in its units (m for a projected CRS); a province package holds it in the package's delivery CRS.</summary>
    public required double ZXDX { get; init; }
    /// <summary>Centroid y (northing) in the image CRS.</summary>
    public required double ZXDY { get; init; }
    /// <summary>Centroid longitude (经度), degrees CGCS2000; null when the image CRS cannot be located.</summary>
    public double? JD { get; init; }
    /// <summary>Centroid latitude (纬度), degrees CGCS2000; null when the image CRS cannot be located.</summary>
    public double? WD { get; init; }
    /// <summary>
    /// Overlap with permanent basic farmland (永久基本农田) in m²; null when the run had no such layer
    /// ("not checked", which an inspector must be able to tell from "checked, no overlap" = 0).
    /// </summary>
    public double? YJJBNTMJ { get; init; }
    /// <summary>Overlap with farmland (耕地) in m²; null when the run had no such layer.</summary>
    public double? GDMJ { get; init; }
    /// <summary>Overlap with the ecological protection red line (生态保护红线) in m²; null when the run had no such layer.</summary>
    public double? STHXMJ { get; init; }
    /// <summary>Overlap with the urban development boundary (城镇开发边界) in m²; null when the run had no such layer.</summary>
    public double? CZKFMJ { get; init; }
    /// <summary>
    /// Overlaps with the region's custom layers in m², by exported field name (ASCII, at most 10
    /// bytes, not one of the fixed names). A task without an entry for a layer another task has is
    /// exported empty (not checked).
    /// </summary>
    public IReadOnlyDictionary<string, double> Extra { get; init; } = new Dictionary<string, double>();
    /// <summary>Priority code (优先级, exported as <c>YXJDM</c>; <c>YXJ</c> holds its Chinese name): <see cref="TaskPriority.High"/>, <see cref="TaskPriority.Medium"/> or <see cref="TaskPriority.Low"/>; see <see cref="TaskPriority.Of(VerificationTask)"/>.</summary>
    public required string YXJ { get; init; }
    /// <summary>The patch outline in the image CRS.</summary>
    public required Geometry Geometry { get; init; }

    /// <summary>The 2-digit province code (the first two digits of <see cref="XZQDM"/>).</summary>
    public string Province => XZQDM.Length >= 2 ? XZQDM[..2] : XZQDM;
}
