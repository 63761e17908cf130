using ChangeDetection.Geo;

namespace ChangeDetection.Synthetic;

/// <summary>What <see cref="SyntheticRegion.Generate"/> wrote. Paths are absolute.</summary>
public sealed record SyntheticRegionSummary
{
    public required string Directory { get; init; }
    public required string RegionFile { get; init; }
    public required string BeforeImage { get; init; }
    public required string AfterImage { get; init; }
    public required string TruthFile { get; init; }
    public required string PermanentFarmlandFile { get; init; }
    public required string EcologicalRedlineFile { get; init; }
    public required string AdminFile { get; init; }
    public required int Size { get; init; }
    public required GeoTransform Transform { get; init; }
    public required Crs Crs { get; init; }
    /// <summary>Truth polygons by kind (<c>construction</c> … <c>vegetation</c>, and <c>pseudo</c> for look-alikes).</summary>
    public required IReadOnlyDictionary<string, int> CountsByKind { get; init; }
    /// <summary>The after image's misregistration in pixels (it shows the ground at pixel + shift).</summary>
    public required (double X, double Y) Misregistration { get; init; }
    /// <summary>County codes (XZQDM) in the admin layer.</summary>
    public required IReadOnlyList<string> CountyCodes { get; init; }
}
