using System.Text.Encodings.Web;
using System.Text.Json;
using ChangeDetection.Geo;
using ChangeDetection.Vectorization;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace ChangeDetection.Export;

/// <summary>
/// Writes monitoring patches (图斑) as GeoJSON. GeoJSON carries no CRS (RFC 7946), so geometries
/// are written in longitude/latitude (CGCS2000, which differs from WGS 84 by centimetres); the
/// projected centroid and the areas stay in the properties, measured on the delivered geometry.
/// </summary>
public static class GeoJsonPatchWriter
{
    public static void Write(string path, IReadOnlyList<Patch> patches, Crs crs)
    {
        var measurer = new MapMeasurer(crs);
        if (!measurer.CanLocate)
            throw new ChangeDetectionException($"{path}: the patches' CRS ({crs}) cannot be converted to longitude/latitude, which GeoJSON requires; write a GeoPackage instead.");
        var features = new FeatureCollection();
        foreach (var p in patches)
        {
            var geometry = p.MapGeometry.Copy();
            geometry.Apply(new ToLonLatFilter(measurer));
            features.Add(new Feature(geometry, new AttributesTable
            {
                { "id", p.Id },
                { "class", (int)p.ClassValue },
                { "area_m2", Math.Round(p.AreaM2, 2) },
                { "area_mu", Math.Round(p.AreaMu, 2) },
                { "centroid_x", Math.Round(p.CentroidX, 3) },
                { "centroid_y", Math.Round(p.CentroidY, 3) },
                { "lon", p.Lon is double lon ? Math.Round(lon, 8) : null },
                { "lat", p.Lat is double lat ? Math.Round(lat, 8) : null },
                { "holes", p.HoleCount },
                { "pixels", p.PixelCount },
            }));
        }
        File.WriteAllText(path, JsonSerializer.Serialize(features, Options));
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new GeoJsonConverterFactory() },
    };

    private sealed class ToLonLatFilter(MapMeasurer measurer) : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var ll = measurer.ToLonLat(seq.GetX(i), seq.GetY(i)) ?? throw new InvalidOperationException("Coordinate cannot be located.");
            seq.SetX(i, Math.Round(ll.Lon, 9));
            seq.SetY(i, Math.Round(ll.Lat, 9));
        }
    }
}
