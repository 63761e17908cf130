using ChangeDetection.Geo;
using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Simplify;

namespace ChangeDetection.Vectorization;

public sealed record PatchOptions
{
    /// <summary>The default minimum mapping unit, m².</summary>
    public const double DefaultMinAreaM2 = Tasks.MinimumMappingUnits.DefaultUnitM2;

    /// <summary>Patches whose delivered area is below this (m²) are dropped, unless <see cref="MinAreaByClass"/> names their class.</summary>
    public double MinAreaM2 { get; init; } = DefaultMinAreaM2;
    /// <summary>Minimum mapping unit per change class (mask value), e.g. 200 m² for construction.</summary>
    public IReadOnlyDictionary<byte, double>? MinAreaByClass { get; init; }
    /// <summary>Fill holes whose area is below the patch's minimum mapping unit.</summary>
    public bool FillHolesBelowMinArea { get; init; }
    /// <summary>Simplification tolerance in metres; null = half a pixel; 0 = no simplification.</summary>
    public double? SimplifyToleranceMetres { get; init; }
    /// <summary>The largest relative area change simplification may cause (default 2 %); beyond it the unsimplified outline is delivered.</summary>
    public double MaxSimplifyAreaChange { get; init; } = 0.02;

    public double MinAreaFor(byte classValue) =>
        MinAreaByClass is not null && MinAreaByClass.TryGetValue(classValue, out double m) ? m : MinAreaM2;
}

/// <summary>
/// Turns traced components into delivered patches: pixel → map coordinates through the grid's
/// affine transform, optional hole filling below the minimum mapping unit, topology-preserving
/// simplification with an area guard, figures on the delivered geometry, then the minimum mapping unit.
/// </summary>
public static class PatchBuilder
{
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked per component).</exception>
    public static IReadOnlyList<Patch> Build(IReadOnlyList<TracedComponent> components, GeoGrid grid, PatchOptions? options = null, int? maxDegreeOfParallelism = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(components);
        options ??= new PatchOptions();
        if (options.MaxSimplifyAreaChange < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxSimplifyAreaChange must be ≥ 0.");
        var measurer = new MapMeasurer(grid.Crs);
        var gt = grid.Transform;
        var affine = new AffineTransformation(gt.PixelWidth, gt.RowRotation, gt.OriginX, gt.ColumnRotation, gt.PixelHeight, gt.OriginY);
        double tolerance = ToleranceInMapUnits(options, grid, measurer.IsGeographic);

        var built = new Patch?[components.Count];
        LargestFirst.For(components.Count, i => components[i].PixelGeometry.NumPoints, maxDegreeOfParallelism ?? Environment.ProcessorCount, i =>
        {
            var c = components[i];
            double minArea = options.MinAreaFor(c.ClassValue);
            var map = Orient(affine.Transform(c.PixelGeometry));
            // Cheap early exit: simplification changes the area by at most the guard fraction.
            double exact = measurer.AreaSquareMetres(map);
            if (exact * (1 + options.MaxSimplifyAreaChange) < minArea && !options.FillHolesBelowMinArea) return;
            if (options.FillHolesBelowMinArea) map = FillSmallHoles(map, minArea, measurer);
            exact = measurer.AreaSquareMetres(map);

            var delivered = map;
            bool simplified = false;
            if (tolerance > 0)
            {
                var s = TopologyPreservingSimplifier.Simplify(map, tolerance);
                if (!s.IsEmpty && s.IsValid && s.NumGeometries == map.NumGeometries)
                {
                    double area = measurer.AreaSquareMetres(s);
                    if (exact > 0 && Math.Abs(area - exact) <= options.MaxSimplifyAreaChange * exact)
                    {
                        delivered = Orient(s);
                        simplified = true;
                    }
                }
            }
            double areaM2 = measurer.AreaSquareMetres(delivered);
            if (areaM2 < minArea) return;
            var centroid = delivered.Centroid;
            var ll = measurer.ToLonLat(centroid.X, centroid.Y);
            built[i] = new Patch
            {
                Id = 0,
                PatchId = c.PatchId,
                ClassValue = c.ClassValue,
                PixelGeometry = c.PixelGeometry,
                PixelCount = c.PixelCount,
                MapGeometry = delivered,
                AreaM2 = areaM2,
                CentroidX = centroid.X,
                CentroidY = centroid.Y,
                Lon = ll?.Lon,
                Lat = ll?.Lat,
                HoleCount = HoleCount(delivered),
                Simplified = simplified,
            };
        }, cancellationToken);
        var patches = new List<Patch>(components.Count);
        foreach (var p in built)
            if (p is not null) patches.Add(p with { Id = patches.Count + 1 });
        return patches;
    }

    /// <summary>
    /// The pixel count below which <see cref="Build"/> drops every component whatever its shape (its area before
    /// simplification, pixels × the pixel's area, is below the unit even with the simplification guard), for
    /// <see cref="PolygonizeOptions.MinPixelCount"/>; 0 when no such bound is certain (geographic CRS, hole filling,
    /// units by class).
    /// </summary>
    public static long PixelsAlwaysDropped(GeoGrid grid, PatchOptions? options = null)
    {
        options ??= new PatchOptions();
        if (options.FillHolesBelowMinArea || options.MinAreaByClass is { Count: > 0 } || new MapMeasurer(grid.Crs).IsGeographic) return 0;
        var gt = grid.Transform;
        double pixelArea = Math.Abs(gt.PixelWidth * gt.PixelHeight - gt.RowRotation * gt.ColumnRotation);
        if (!(pixelArea > 0) || !(options.MinAreaM2 > 0)) return 0;
        // A component of n pixels has area n × pixelArea up to rounding; Build drops it when that times (1 + guard)
        // is below the unit. The 1e-6 margin keeps every component whose computed area could reach it.
        double bound = options.MinAreaM2 / (pixelArea * (1 + options.MaxSimplifyAreaChange) * (1 + 1e-6));
        return bound >= long.MaxValue ? 0 : (long)Math.Floor(bound);
    }

    /// <summary>The simplification tolerance in CRS units (degrees for a geographic CRS: 1° of latitude ≈ 111 km, the conservative axis).</summary>
    public static double ToleranceInMapUnits(PatchOptions options, GeoGrid grid, bool geographic)
    {
        ArgumentNullException.ThrowIfNull(options);
        var gt = grid.Transform;
        double pixel = Math.Min(Math.Sqrt(gt.PixelWidth * gt.PixelWidth + gt.ColumnRotation * gt.ColumnRotation),
                                Math.Sqrt(gt.PixelHeight * gt.PixelHeight + gt.RowRotation * gt.RowRotation));
        if (options.SimplifyToleranceMetres is not double metres) return pixel / 2;
        if (metres < 0) throw new ArgumentOutOfRangeException(nameof(options), "The simplification tolerance must be ≥ 0 m.");
        return geographic ? metres / 111_320.0 : metres;
    }

    public static int HoleCount(Geometry g)
    {
        ArgumentNullException.ThrowIfNull(g);
        int n = 0;
        for (int i = 0; i < g.NumGeometries; i++)
            if (g.GetGeometryN(i) is Polygon p) n += p.NumInteriorRings;
        return n;
    }

    private static Geometry FillSmallHoles(Geometry g, double minArea, MapMeasurer measurer)
    {
        var f = g.Factory;
        Polygon Fill(Polygon p) => f.CreatePolygon((LinearRing)p.ExteriorRing,
            p.InteriorRings.Where(h => measurer.AreaSquareMetres(f.CreatePolygon((LinearRing)h)) >= minArea).Cast<LinearRing>().ToArray());
        return g switch
        {
            Polygon p => Fill(p),
            MultiPolygon mp => f.CreateMultiPolygon(mp.Geometries.Cast<Polygon>().Select(Fill).ToArray()),
            _ => g,
        };
    }

    /// <summary>OGC orientation in map coordinates: shells counter-clockwise, holes clockwise.</summary>
    public static Geometry Orient(Geometry g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var f = g.Factory;
        LinearRing Ring(LinearRing r, bool ccw) =>
            Orientation.IsCCW(r.CoordinateSequence) == ccw ? r : (LinearRing)r.Reverse();
        Polygon Poly(Polygon p) => f.CreatePolygon(Ring((LinearRing)p.ExteriorRing, true),
            p.InteriorRings.Select(h => Ring((LinearRing)h, false)).ToArray());
        return g switch
        {
            Polygon p => Poly(p),
            MultiPolygon mp => f.CreateMultiPolygon(mp.Geometries.Cast<Polygon>().Select(Poly).ToArray()),
            _ => g,
        };
    }
}
