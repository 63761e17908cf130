using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Features;

namespace ChangeDetection.Overlay;

/// <summary>
/// GeoJSON: RFC 7946 coordinates are longitude/latitude (EPSG:4326, which the pipeline treats as
/// CGCS2000 to well under a metre) unless the collection carries the 2008 "crs" member naming an
/// EPSG code (as GDAL and our synthetic regions write for projected layers). Without that member the
/// caller may declare the CRS (the region config's <c>crs</c>); without either, coordinates that cannot
/// be longitude/latitude are refused (a projected file read as lon/lat would overlap nothing).
/// </summary>
internal static class GeoJsonLayerReader
{
    public static PolygonLayer Read(string path, int? declaredEpsg)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string? crsName = GeoJsonLayer.ReadCrsName(bytes);
        var crs = crsName is null
            ? PolygonLayerReader.KnownCrs(declaredEpsg ?? 4326, path, "the region config's \"crs\"")
            : PolygonLayerReader.ResolveCrs(ParseCrsName(crsName), declaredEpsg, path, $"crs \"{crsName}\"");
        var collection = GeoJsonLayer.Read(path);
        var builder = new LayerFeatureBuilder(path);
        int n = 0;
        foreach (var feature in collection)
        {
            n++;
            builder.Add(feature.Geometry, Attributes(feature.Attributes), $"feature {n}");
        }
        var layer = builder.Build(crs);
        if (crsName is null && declaredEpsg is null)
            PolygonLayerReader.RequireLonLatRange(layer,
                "the file has no \"crs\" member, so it is read as longitude/latitude (RFC 7946); add the member, e.g. \"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:EPSG::4527\"}}, or give the layer \"crs\": \"EPSG:4527\" (its real code) in the region config");
        return layer;
    }

    /// <summary>EPSG code of <c>urn:ogc:def:crs:EPSG::4527</c>, <c>EPSG:4527</c> or <c>urn:ogc:def:crs:OGC:1.3:CRS84</c> (4326).</summary>
    internal static int? ParseCrsName(string name)
    {
        if (name.EndsWith("CRS84", StringComparison.OrdinalIgnoreCase)) return 4326;
        int colon = name.LastIndexOf(':');
        if (!name.Contains("EPSG", StringComparison.OrdinalIgnoreCase) || colon < 0) return null;
        return int.TryParse(name.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int code) ? code : null;
    }

    private static Dictionary<string, object?> Attributes(IAttributesTable? table)
    {
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (table is null) return result;
        foreach (string name in table.GetNames())
        {
            object? v = table[name];
            // Nested objects arrive as JsonElement: keep their JSON text; primitives as they are.
            result[name] = v is JsonElement e ? e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText() : v;
        }
        return result;
    }
}
