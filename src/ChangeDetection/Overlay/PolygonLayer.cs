using ChangeDetection.Geo;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Overlay;

/// <summary>One polygonal feature of a layer: its (valid) geometry and attribute values by field name.</summary>
public sealed record PolygonFeature(Geometry Geometry, IReadOnlyDictionary<string, object?> Attributes)
{
    /// <summary>The attribute as text (trimmed), or null when absent or empty.</summary>
    public string? Text(string field) =>
        Attributes.TryGetValue(field, out var v) && v is not null && Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)?.Trim() is { Length: > 0 } s
            ? s : null;
}

/// <summary>
/// A polygon layer as read from a file: valid polygonal features in <see cref="Crs"/>, and the
/// warnings raised while reading (repaired or skipped features), so that nothing is lost silently.
/// </summary>
public sealed class PolygonLayer
{
    public PolygonLayer(string sourcePath, Crs crs, IReadOnlyList<PolygonFeature> features, IReadOnlyList<string> warnings, int repairedCount)
    {
        ArgumentNullException.ThrowIfNull(crs);
        SourcePath = sourcePath;
        Crs = crs;
        Features = features;
        Warnings = warnings;
        RepairedCount = repairedCount;
    }

    /// <summary>The file the layer came from (for messages).</summary>
    public string SourcePath { get; }

    /// <summary>CRS of the feature coordinates.</summary>
    public Crs Crs { get; }

    public IReadOnlyList<PolygonFeature> Features { get; }

    /// <summary>Human-readable warnings, each naming the file and feature.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Number of features whose invalid geometry was repaired with GeometryFixer.</summary>
    public int RepairedCount { get; }

    /// <summary>
    /// The same layer in <paramref name="target"/> (this instance when already there).
    /// </summary>
    /// <exception cref="ChangeDetectionException">Either CRS is not one <see cref="CrsRegistry"/> knows.</exception>
    public PolygonLayer TransformTo(Crs target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (Crs.IsSameAs(target)) return this;
        var reprojector = GeometryReprojector.Create(Crs, target, SourcePath);
        var features = Features.Select(f => f with { Geometry = reprojector.Transform(f.Geometry) }).ToArray();
        return new PolygonLayer(SourcePath, target, features, Warnings, RepairedCount);
    }
}
