using NetTopologySuite.Geometries;

namespace ChangeDetection.Vectorization;

/// <summary>
/// A monitoring patch (图斑) as delivered: the exact traced outline in pixel space, the delivered
/// outline in map coordinates (simplified when that kept the area within the stated fraction), and
/// figures all measured on <see cref="MapGeometry"/>, so that re-measuring the delivered polygon in a
/// desktop GIS gives the same numbers.
/// </summary>
public sealed record Patch
{
    /// <summary>1-based, in row-major order of the patch's first pixel: the patch's number among those built together.</summary>
    public required int Id { get; init; }
    /// <summary>
    /// The patch's stable identity, its component's (<see cref="TracedComponent.PatchId"/>): what the later stages key
    /// the patch by. Unlike <see cref="Id"/> it does not depend on which other patches were kept.
    /// </summary>
    public PatchId PatchId { get; init; }
    /// <summary>The mask value (change class) of the patch's pixels.</summary>
    public required byte ClassValue { get; init; }
    /// <summary>Exact outline on pixel corners (x = column, y = row), before any simplification or hole filling.</summary>
    public required Geometry PixelGeometry { get; init; }
    public required long PixelCount { get; init; }
    /// <summary>The delivered outline in map coordinates (shell counter-clockwise, holes clockwise).</summary>
    public required Geometry MapGeometry { get; init; }
    public required double AreaM2 { get; init; }
    public double AreaMu => Geo.AreaUnits.ToMu(AreaM2);
    public required double CentroidX { get; init; }
    public required double CentroidY { get; init; }
    /// <summary>Centroid longitude/latitude (CGCS2000), null when the CRS is unknown.</summary>
    public double? Lon { get; init; }
    public double? Lat { get; init; }
    /// <summary>Holes of the delivered geometry.</summary>
    public required int HoleCount { get; init; }
    /// <summary>True when <see cref="MapGeometry"/> is the simplified outline (false: the simplifier was off or changed the area too much).</summary>
    public required bool Simplified { get; init; }
}
