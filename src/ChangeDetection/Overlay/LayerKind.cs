namespace ChangeDetection.Overlay;

/// <summary>What a red-line kind is called and which task field carries its overlap area (m²).</summary>
/// <param name="Kind">Machine name used in configs, e.g. <c>permanent-basic-farmland</c>.</param>
/// <param name="ChineseName">Name inspectors read, e.g. 永久基本农田.</param>
/// <param name="TaskField">Verification-task field holding the overlap area in m², e.g. <c>YJJBNTMJ</c>.</param>
internal readonly record struct LayerKindInfo(string Kind, string ChineseName, string TaskField);

/// <summary>
/// The protected-layer kinds the ministry's task tables know, in one place: machine name, Chinese
/// name and the task field (面积, m²) each one fills. Any other kind is custom and needs its own field.
/// </summary>
internal static class LayerKind
{
    public const string PermanentBasicFarmland = "permanent-basic-farmland";
    public const string Farmland = "farmland";
    public const string EcologicalRedline = "ecological-redline";
    public const string UrbanBoundary = "urban-boundary";

    /// <summary>The standard kinds, in the column order of a verification task.</summary>
    public static IReadOnlyList<LayerKindInfo> Standard { get; } =
    [
        new(PermanentBasicFarmland, "永久基本农田", "YJJBNTMJ"),
        new(Farmland, "耕地", "GDMJ"),
        new(EcologicalRedline, "生态保护红线", "STHXMJ"),
        new(UrbanBoundary, "城镇开发边界", "CZKFMJ"),
    ];

    /// <summary>The standard kind named <paramref name="kind"/> (case-insensitive), or null for a custom kind.</summary>
    public static LayerKindInfo? Find(string kind)
    {
        foreach (var info in Standard)
            if (string.Equals(info.Kind, kind, StringComparison.OrdinalIgnoreCase)) return info;
        return null;
    }

    /// <summary>True for one of the four standard kinds.</summary>
    public static bool IsStandard(string kind) => Find(kind) is not null;
}
