using System.Globalization;
using ChangeDetection.Geo;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;

namespace ChangeDetection.Overlay;

/// <summary>
/// Collects the features of a layer being read: keeps the polygonal part of each geometry,
/// repairs invalid polygons with <see cref="GeometryFixer"/> (a bow-tie becomes two triangles, a
/// self-overlapping ring its union) and records a warning for every repaired, empty or non-polygonal
/// feature, so that a broken red line is reported instead of silently shrinking the protected area.
/// </summary>
internal sealed class LayerFeatureBuilder(string sourcePath)
{
    private readonly List<PolygonFeature> _features = [];
    private readonly List<string> _warnings = [];
    private int _repaired;

    /// <param name="geometry">The feature geometry, or null when the record has none.</param>
    /// <param name="attributes">Attribute values by field name.</param>
    /// <param name="label">How to name the feature in a warning (e.g. "feature 12", "fid 7").</param>
    public void Add(Geometry? geometry, IReadOnlyDictionary<string, object?> attributes, string label)
    {
        if (geometry is null || geometry.IsEmpty)
        {
            _warnings.Add($"{sourcePath}: {label} has no geometry; skipped.");
            return;
        }
        var polygonal = Polygonal(geometry);
        if (polygonal is null)
        {
            _warnings.Add($"{sourcePath}: {label} is a {geometry.GeometryType}, not a polygon; skipped.");
            return;
        }
        if (!polygonal.IsValid)
        {
            double before = Math.Abs(polygonal.Area);
            var fixedGeometry = Polygonal(GeometryFixer.Fix(polygonal, isKeepMulti: true));
            _repaired++;
            if (fixedGeometry is null || fixedGeometry.IsEmpty)
            {
                _warnings.Add($"{sourcePath}: {label} is an invalid polygon that collapses to nothing when repaired; skipped.");
                return;
            }
            _warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{sourcePath}: {label} was an invalid polygon, repaired ({before:0.###} → {fixedGeometry.Area:0.###} in layer units²)."));
            polygonal = fixedGeometry;
        }
        _features.Add(new PolygonFeature(polygonal, attributes));
    }

    public PolygonLayer Build(Crs crs) => new(sourcePath, crs, _features.ToArray(), _warnings.ToArray(), _repaired);

    /// <summary>The polygons of <paramref name="g"/> (collections keep only their polygonal members), or null when it has none.</summary>
    private static Geometry? Polygonal(Geometry g)
    {
        if (g is Polygon or MultiPolygon) return g;
        if (g is not GeometryCollection) return null;
        var polygons = new List<Polygon>();
        for (int i = 0; i < g.NumGeometries; i++)
        {
            switch (g.GetGeometryN(i))
            {
                case Polygon p when !p.IsEmpty: polygons.Add(p); break;
                case MultiPolygon mp: for (int j = 0; j < mp.NumGeometries; j++) polygons.Add((Polygon)mp.GetGeometryN(j)); break;
            }
        }
        return polygons.Count == 0 ? null : polygons.Count == 1 ? polygons[0] : g.Factory.CreateMultiPolygon(polygons.ToArray());
    }
}
