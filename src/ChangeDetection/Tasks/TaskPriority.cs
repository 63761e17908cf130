namespace ChangeDetection.Tasks;

/// <summary>
/// Verification priority (优先级), written to <c>YXJ</c>. Touching permanent basic farmland
/// (永久基本农田) or the ecological protection red line (生态保护红线) is what enforcement acts on
/// first, so those come before other farmland (耕地), which comes before everything else.
/// </summary>
public static class TaskPriority
{
    public const string High = "high";
    public const string Medium = "medium";
    public const string Low = "low";

    /// <summary>The Chinese name of a priority code, as exported in <c>YXJ</c>: 高, 中 or 低.</summary>
    /// <exception cref="ArgumentException">Unknown code.</exception>
    public static string ChineseName(string code) => code switch
    {
        High => "高",
        Medium => "中",
        Low => "低",
        _ => throw new ArgumentException($"Unknown priority '{code}'; known: {High}, {Medium}, {Low}.", nameof(code)),
    };

    /// <summary>
    /// The priority from the overlaps in m²: <see cref="High"/> when it overlaps 永久基本农田 or
    /// 生态保护红线, <see cref="Medium"/> when it overlaps other 耕地, else <see cref="Low"/>.
    /// A null overlap (layer not configured) counts as none. Overlaps are compared after rounding to 0.01 m², the precision they are exported with, so that
    /// a floating-point sliver along a shared boundary does not raise a task's priority.
    /// </summary>
    public static string Of(double? permanentFarmlandM2, double? farmlandM2, double? ecologicalRedLineM2)
    {
        if (Touches(permanentFarmlandM2) || Touches(ecologicalRedLineM2)) return High;
        return Touches(farmlandM2) ? Medium : Low;
    }

    /// <summary>The priority of a task from its own overlap fields.</summary>
    public static string Of(VerificationTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Of(task.YJJBNTMJ, task.GDMJ, task.STHXMJ);
    }

    private static bool Touches(double? m2) => m2 is double v && Math.Round(v, 2) > 0;
}
