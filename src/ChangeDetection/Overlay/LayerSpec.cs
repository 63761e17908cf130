namespace ChangeDetection.Overlay;

/// <summary>
/// A protected (red-line) layer to overlay: a display name, a kind (<see cref="LayerKind"/> or a
/// custom one) and the file (Shapefile, GeoPackage or GeoJSON) holding its polygons.
/// </summary>
/// <param name="Name">Unique display name, e.g. 永久基本农田 or 2025 耕地.</param>
/// <param name="Kind">A <see cref="LayerKind"/> constant or a custom kind.</param>
/// <param name="Path">The layer file.</param>
public sealed record LayerSpec(string Name, string Kind, string Path)
{
    /// <summary>Task field for the overlap area (m²); required for custom kinds, defaults to the standard kind's field.</summary>
    public string? Field { get; init; }

    /// <summary>GeoPackage table to read when the file holds more than one feature table.</summary>
    public string? Table { get; init; }

    /// <summary>The layer's CRS (EPSG code) when the file does not say it; null: the file's own.</summary>
    public int? Epsg { get; init; }

    /// <summary>The key results are filed under.</summary>
    public LayerKey Key => new(Name, Kind);

    /// <summary>The task field for this layer's overlap area (m²).</summary>
    /// <exception cref="ChangeDetectionException">A custom kind without <see cref="Field"/>.</exception>
    public string TaskField =>
        Field ?? LayerKind.Find(Kind)?.TaskField
        ?? throw new ChangeDetectionException($"Layer '{Name}' ({Path}): custom kind '{Kind}' needs a task field name (field).");
}

/// <summary>Identifies a layer in overlay results: its name and kind.</summary>
public readonly record struct LayerKey(string Name, string Kind)
{
    public override string ToString() => $"{Name} ({Kind})";
}

/// <summary>The administrative division layer (县级行政区) and the fields holding code and name.</summary>
/// <param name="Path">The layer file.</param>
/// <param name="CodeField">Field with the 6-digit division code.</param>
/// <param name="NameField">Field with the division name.</param>
internal sealed record AdminSpec(string Path, string CodeField = "XZQDM", string NameField = "XZQMC")
{
    /// <summary>GeoPackage table to read when the file holds more than one feature table.</summary>
    public string? Table { get; init; }

    /// <summary>The layer's CRS (EPSG code) when the file does not say it; null: the file's own.</summary>
    public int? Epsg { get; init; }
}
