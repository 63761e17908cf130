using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using ChangeDetection.Geo;
using ChangeDetection.IO;
using ChangeDetection.Tasks;
using NetTopologySuite.Features;
using NetTopologySuite.IO.Converters;

namespace ChangeDetection.Export;

/// <summary>
/// Writes verification tasks as GeoJSON in longitude/latitude (CGCS2000, EPSG:4490, named in a
/// <c>crs</c> member for GDAL and QGIS), with every <see cref="TaskFields"/> column as a property (reals always with a decimal
/// point, dates as <c>yyyy-MM-dd</c> strings) and Chinese text left readable. Written atomically.
/// </summary>
internal static class GeoJsonTaskWriter
{
    public static void Write(string path, IReadOnlyList<VerificationTask> tasks, Crs crs)
    {
        ArgumentNullException.ThrowIfNull(crs);
        var ordered = TaskList.Ordered(tasks);
        var fields = TaskFields.For(ordered);
        var lonLat = new LonLatGeometry(crs, path, "GeoJSON");
        // Streamed feature by feature: a patch layer of a noisy scene holds millions of vertices, which as one
        // JSON tree and one string took several times the memory of the patches themselves.
        AtomicFile.Write(path, tmp =>
        {
            using var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = Options.Encoder, SkipValidation = true });
            writer.WriteStartObject();
            writer.WriteString("type", "FeatureCollection");
            // The (GeoJSON 2008) crs member naming CGCS2000, after type: RFC 7946 readers ignore it and take the
            // coordinates as longitude/latitude, while GDAL and QGIS then report EPSG:4490 instead of assuming WGS 84.
            writer.WritePropertyName("crs");
            writer.WriteStartObject();
            writer.WriteString("type", "name");
            writer.WritePropertyName("properties");
            writer.WriteStartObject();
            writer.WriteString("name", "urn:ogc:def:crs:EPSG::4490");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WritePropertyName("features");
            writer.WriteStartArray();
            foreach (var t in ordered)
            {
                var attributes = new AttributesTable();
                foreach (var f in fields) attributes.Add(f.Name, f.Kind == TaskFieldKind.Date && f.Export(t) is not null ? f.ExportText(t) : f.Export(t));
                JsonSerializer.Serialize(writer, new Feature(lonLat.ToLonLat(t.Geometry), attributes), Options);
                writer.Flush();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new GeoJsonConverterFactory(), new RealConverter() },
    };

    /// <summary>
    /// Writes attribute doubles with a decimal point (3582 as <c>3582.0</c>): readers such as GDAL type a
    /// property by its text, and a column of whole square metres would otherwise come back as Integer.
    /// </summary>
    private sealed class RealConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) =>
            writer.WriteRawValue(RealText.Of(value), skipInputValidation: true);
    }
}
