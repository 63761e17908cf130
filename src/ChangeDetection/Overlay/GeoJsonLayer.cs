using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NetTopologySuite.Features;
using NetTopologySuite.IO.Converters;

namespace ChangeDetection.Overlay;

/// <summary>
/// Writes GeoJSON feature collections in a projected CRS: RFC 7946 has no CRS member, so the
/// collection carries the 2008 "crs" member naming the EPSG code, which GDAL/OGR honours. One feature
/// per line, CJK kept readable, same input → same bytes.
/// </summary>
internal static class GeoJsonLayer
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new GeoJsonConverterFactory() },
    };

    public static void Write(string path, string name, int epsg, IEnumerable<IFeature> features)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using var w = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
        w.Write("{\"type\":\"FeatureCollection\",\"name\":");
        w.Write(JsonSerializer.Serialize(name, Options));
        w.Write($",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::{epsg}\"}}}},\"features\":[");
        bool first = true;
        foreach (var f in features)
        {
            w.Write(first ? "\n" : ",\n");
            w.Write(JsonSerializer.Serialize(f, Options));
            first = false;
        }
        w.Write("\n]}\n");
    }

    /// <summary>
    /// The name in the collection's 2008 "crs" member (e.g. <c>urn:ogc:def:crs:EPSG::4527</c>), or null
    /// when there is none (RFC 7946: longitude/latitude). Only top-level members are looked at.
    /// </summary>
    public static string? ReadCrsName(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isCrs = reader.ValueTextEquals("crs"u8);
            reader.Read();
            if (!isCrs)
            {
                reader.Skip();
                continue;
            }
            if (reader.TokenType != JsonTokenType.StartObject) return null;
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object
                && props.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                ? name.GetString() : null;
        }
        return null;
    }

    /// <summary>Reads a feature collection written by <see cref="Write"/> (or any GeoJSON).</summary>
    public static FeatureCollection Read(string path) =>
        JsonSerializer.Deserialize<FeatureCollection>(File.ReadAllBytes(path), Options)
        ?? throw new ChangeDetectionException($"{path}: not a GeoJSON feature collection.");
}
