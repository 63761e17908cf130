using System.Text.Json;
using ChangeDetection.Geo;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Cli.Review;

/// <summary>
/// Geometry as GeoJSON in the pixel space of the image grid, for Leaflet's <c>L.CRS.Simple</c>: x is the
/// column and y the negated row (Leaflet's y grows northwards), in image pixels, so the map is exact
/// against the quicklook tiles of the same grid whatever the image CRS.
/// </summary>
internal static class PixelGeoJson
{
    /// <summary>Writes <paramref name="geometry"/> (polygons, multipolygons; anything else is skipped as an empty collection) as a GeoJSON geometry object.</summary>
    public static void WriteGeometry(Utf8JsonWriter json, Geometry geometry, GeoTransform transform)
    {
        var polygons = Enumerable.Range(0, geometry.NumGeometries).Select(geometry.GetGeometryN).OfType<Polygon>().ToList();
        json.WriteStartObject();
        json.WriteString("type", "MultiPolygon");
        json.WriteStartArray("coordinates");
        foreach (var polygon in polygons)
        {
            json.WriteStartArray();
            foreach (var ring in new[] { polygon.ExteriorRing }.Concat(polygon.InteriorRings))
            {
                json.WriteStartArray();
                foreach (var c in ring.Coordinates)
                {
                    var (col, row) = transform.MapToPixel(c.X, c.Y);
                    json.WriteStartArray();
                    // A tenth of a pixel is finer than any screen shows it and keeps 10 000 outlines small.
                    json.WriteNumberValue(Math.Round(col, 1));
                    json.WriteNumberValue(Math.Round(-row, 1));
                    json.WriteEndArray();
                }
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The bounding box in pixel space: [min column, min row, max column, max row].</summary>
    public static double[] PixelBounds(Geometry geometry, GeoTransform transform)
    {
        var e = geometry.EnvelopeInternal;
        var (c0, r0) = transform.MapToPixel(e.MinX, e.MaxY);
        var (c1, r1) = transform.MapToPixel(e.MaxX, e.MinY);
        return [Math.Round(Math.Min(c0, c1), 1), Math.Round(Math.Min(r0, r1), 1), Math.Round(Math.Max(c0, c1), 1), Math.Round(Math.Max(r0, r1), 1)];
    }
}
