using NetTopologySuite.Geometries;
using ProjNet.CoordinateSystems;
using ProjNet.CoordinateSystems.Transformations;

namespace ChangeDetection.Geo;

/// <summary>
/// Measures geometries given in the map coordinates of a CRS: area in m² (planar in a projected
/// CRS, on the ellipsoid for a geographic one) and longitude/latitude (CGCS2000) of a point.
/// </summary>
internal sealed class MapMeasurer
{
    private readonly MathTransform? _toLonLat;
    private readonly Lock _lock = new();
    private readonly double _a, _e, _e2;

    public MapMeasurer(Crs crs)
    {
        ArgumentNullException.ThrowIfNull(crs);
        Crs = crs;
        IsGeographic = crs.IsGeographic || (crs.Epsg is int g && CrsRegistry.IsGeographic(g));
        // Ellipsoid for geodesic areas: CGCS2000 and WGS 84 differ in 1/f only in the 10th digit.
        _a = 6378137.0;
        double f = crs.Epsg == 4326 ? 1 / 298.257223563 : 1 / 298.257222101;
        _e2 = f * (2 - f);
        _e = Math.Sqrt(_e2);
        if (crs.Epsg is int code && CrsRegistry.CoordinateSystem(code) is CoordinateSystem cs && !IsGeographic)
        {
            // Longitude/latitude on the CRS's own datum (CGCS2000 for the Gauss–Krüger zones; WGS 84 for
            // UTM, which agrees with CGCS2000 to well under a metre: no datum shift is applied).
            var geog = CrsRegistry.CoordinateSystem(CrsRegistry.GeographicBase(code)!.Value)!;
            _toLonLat = new CoordinateTransformationFactory().CreateFromCoordinateSystems(cs, geog).MathTransform;
        }
        CanLocate = IsGeographic ? crs.Epsg is 4490 or 4326 : _toLonLat is not null;
    }

    public Crs Crs { get; }
    public bool IsGeographic { get; }
    /// <summary>True when <see cref="ToLonLat"/> can answer (the CRS is known to <see cref="CrsRegistry"/>).</summary>
    public bool CanLocate { get; }

    /// <summary>Longitude/latitude in degrees of a map point, or null when the CRS is unknown.</summary>
    public (double Lon, double Lat)? ToLonLat(double x, double y)
    {
        if (IsGeographic) return CanLocate ? (x, y) : null;
        if (_toLonLat is null) return null;
        lock (_lock) return _toLonLat.Transform(x, y);
    }

    /// <summary>
    /// Area in m². Projected CRS: the planar area in the CRS (its units are metres). Geographic CRS:
    /// the area on the ellipsoid, computed exactly for edges along meridians and parallels (which
    /// pixel edges are) through the authalic mapping (λ, φ) ↦ (a·λ, a·q(φ)/2), an equal-area
    /// cylindrical projection; a simplified edge between pixel corners a few metres apart is taken
    /// as straight in that projection, which differs from the geodesic by far less than a mm².
    /// </summary>
    public double AreaSquareMetres(Geometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (!IsGeographic) return geometry.Area;
        double sum = 0;
        for (int i = 0; i < geometry.NumGeometries; i++)
        {
            if (geometry.GetGeometryN(i) is not Polygon p) continue;
            sum += Math.Abs(AuthalicRingArea(p.ExteriorRing.CoordinateSequence));
            foreach (var hole in p.InteriorRings) sum -= Math.Abs(AuthalicRingArea(hole.CoordinateSequence));
        }
        return sum;
    }

    /// <summary>Shoelace area of a lon/lat ring in the authalic cylindrical equal-area plane.</summary>
    private double AuthalicRingArea(CoordinateSequence ring)
    {
        int n = ring.Count;
        if (n < 4) return 0;
        double sum = 0;
        double x0 = ring.GetX(0) * Math.PI / 180, y0 = Q(ring.GetY(0));
        double px = x0, py = y0;
        for (int i = 1; i < n; i++)
        {
            double x = ring.GetX(i) * Math.PI / 180 - x0, y = Q(ring.GetY(i)) - y0;
            double cx = px - x0;
            sum += cx * y - x * (py - y0);
            px = x + x0;
            py = y + y0;
        }
        return sum / 2 * _a * _a / 2;
    }

    /// <summary>q(φ) of the authalic latitude: the ellipsoid area between the equator and φ per radian of longitude is a²·q/2.</summary>
    private double Q(double latDegrees)
    {
        double s = Math.Sin(latDegrees * Math.PI / 180);
        double es = _e * s;
        return (1 - _e2) * (s / (1 - es * es) - 1 / (2 * _e) * Math.Log((1 - es) / (1 + es)));
    }
}
