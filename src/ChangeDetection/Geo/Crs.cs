namespace ChangeDetection.Geo;

/// <summary>
/// Coordinate reference system of a raster or layer: an EPSG code when there is one, else the
/// citation text the file carries (a user-defined CRS), so that two rasters can still be compared.
/// </summary>
public sealed record Crs(int? Epsg, string? Citation = null, bool IsGeographic = false)
{
    /// <summary>CGCS2000 geographic (EPSG:4490), the national datum for longitude/latitude.</summary>
    public static Crs Cgcs2000 { get; } = new(4490, "China Geodetic Coordinate System 2000", IsGeographic: true);

    /// <summary>No CRS at all (a raster without georeferencing).</summary>
    public static Crs Unknown { get; } = new(null, null);

    public bool IsKnown => Epsg is not null || !string.IsNullOrEmpty(Citation);

    /// <summary>True when both name the same CRS: same EPSG code, or (without codes) the same citation.</summary>
    public bool IsSameAs(Crs other) =>
        Epsg is not null || other.Epsg is not null
            ? Epsg == other.Epsg
            : string.Equals(Citation, other.Citation, StringComparison.Ordinal);

    public override string ToString() => Epsg is int code ? $"EPSG:{code}" : Citation ?? "unknown CRS";
}
