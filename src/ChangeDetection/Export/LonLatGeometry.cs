using ChangeDetection.Geo;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Export;

/// <summary>Copies geometries from the image CRS to longitude/latitude (CGCS2000), for formats that carry no CRS (GeoJSON, KML).</summary>
internal sealed class LonLatGeometry
{
    private readonly MapMeasurer _measurer;
    private readonly string _format;

    /// <exception cref="ChangeDetectionException">The CRS cannot be converted to longitude/latitude.</exception>
    public LonLatGeometry(Crs crs, string path, string format)
    {
        _measurer = new MapMeasurer(crs);
        _format = format;
        if (!_measurer.CanLocate)
            throw new ChangeDetectionException($"{path}: the tasks' CRS ({crs}) cannot be converted to longitude/latitude, which {format} requires; write the Shapefile or GeoPackage instead.");
    }

    /// <summary>A copy of <paramref name="geometry"/> in degrees, rounded to 1e-9° (about 0.1 mm).</summary>
    public Geometry ToLonLat(Geometry geometry)
    {
        var g = geometry.Copy();
        g.Apply(new ToLonLatFilter(_measurer, _format));
        g.SRID = 4490;
        return g;
    }

    private sealed class ToLonLatFilter(MapMeasurer measurer, string format) : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var ll = measurer.ToLonLat(seq.GetX(i), seq.GetY(i)) ?? throw new ChangeDetectionException($"A coordinate cannot be located for {format}.");
            seq.SetX(i, Math.Round(ll.Lon, 9));
            seq.SetY(i, Math.Round(ll.Lat, 9));
        }
    }
}
