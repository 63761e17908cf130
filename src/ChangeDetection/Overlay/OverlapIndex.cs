using ChangeDetection.Geo;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;
using NetTopologySuite.Operation.Union;

namespace ChangeDetection.Overlay;

/// <summary>
/// Exact overlap of patches with the polygons of one layer (already in the patches' CRS): an
/// <see cref="STRtree{T}"/> over the layer's envelopes finds candidates, a prepared layer polygon
/// answers intersects/covers quickly (it is reused for every patch), and OverlayNG computes the
/// intersection whose area is measured in m² (planar in a projected CRS, on the ellipsoid in a
/// geographic one, via <see cref="MapMeasurer"/>).
/// </summary>
internal sealed class OverlapIndex
{
    private readonly IReadOnlyList<PolygonFeature> _features;
    private readonly IPreparedGeometry?[] _prepared;
    private readonly STRtree<int> _tree = new();
    private readonly MapMeasurer _measurer;

    /// <param name="layer">The layer, in <paramref name="crs"/>.</param>
    /// <param name="crs">CRS of the layer and of the patches to be measured.</param>
    public OverlapIndex(PolygonLayer layer, Crs crs)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(crs);
        if (!layer.Crs.IsSameAs(crs))
            throw new ArgumentException($"The layer {layer.SourcePath} is in {layer.Crs}, not {crs}: transform it first.", nameof(layer));
        _features = layer.Features;
        _prepared = new IPreparedGeometry?[_features.Count];
        for (int i = 0; i < _features.Count; i++) _tree.Insert(_features[i].Geometry.EnvelopeInternal, i);
        _tree.Build();
        _measurer = new MapMeasurer(crs);
    }

    /// <summary>Area in m² of <paramref name="geometry"/> in the index's CRS.</summary>
    public double AreaSquareMetres(Geometry geometry) => _measurer.AreaSquareMetres(geometry);

    /// <summary>
    /// Area in m² of the part of <paramref name="patch"/> inside the union of the layer's polygons
    /// (overlapping layer polygons are counted once).
    /// </summary>
    public double OverlapSquareMetres(Geometry patch)
    {
        var pieces = Pieces(patch).Select(p => p.Piece).ToList();
        if (pieces.Count == 0) return 0;
        // Layer polygons may overlap each other (duplicated red lines are common): union the pieces
        // so the shared part is counted once.
        var inside = pieces.Count == 1 ? pieces[0] : UnaryUnionOp.Union(pieces);
        return _measurer.AreaSquareMetres(inside);
    }

    /// <summary>Area in m² of the overlap of <paramref name="patch"/> with each layer feature it touches, by feature index.</summary>
    public IEnumerable<(int Feature, double AreaSquareMetres)> OverlapsByFeature(Geometry patch) =>
        Pieces(patch).Select(p => (p.Feature, _measurer.AreaSquareMetres(p.Piece)));

    /// <summary>The feature at <paramref name="index"/> (as given to the constructor).</summary>
    public PolygonFeature Feature(int index) => _features[index];

    private IPreparedGeometry Prepared(int i)
    {
        Interlocked.CompareExchange(ref _prepared[i], PreparedGeometryFactory.Prepare(_features[i].Geometry), null);
        return _prepared[i]!;
    }

    private IEnumerable<(int Feature, Geometry Piece)> Pieces(Geometry patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var candidates = _tree.Query(patch.EnvelopeInternal);
        // Sorted so the union (and its floating-point area) does not depend on the tree's order.
        var sorted = candidates.ToArray();
        Array.Sort(sorted);
        foreach (int i in sorted)
        {
            // Prepared once, by whichever patch needs it first (patches are overlaid in parallel; a prepared geometry is thread-safe).
            var prepared = Volatile.Read(ref _prepared[i]) ?? Prepared(i);
            if (!prepared.Intersects(patch)) continue;
            // Wholly inside: the overlap is the patch itself, exactly, with no overlay rounding.
            if (prepared.Covers(patch))
            {
                yield return (i, patch);
                continue;
            }
            var piece = OverlayNGRobust.Overlay(patch, _features[i].Geometry, SpatialFunction.Intersection);
            if (!piece.IsEmpty) yield return (i, piece);
        }
    }
}
