using System.Text.Encodings.Web;
using System.Text.Json;
using ChangeDetection.Geo;
using ChangeDetection.Pipeline;
using ChangeDetection.Tasks;
using NetTopologySuite.Features;
using NetTopologySuite.IO.Converters;

namespace ChangeDetection.Export;

/// <summary>
/// Writes verification tasks as GeoJSON in longitude/latitude (CGCS2000, EPSG:4490; RFC 7946 has no
/// CRS member), with every <see cref="TaskFields"/> column as a property and Chinese text left
/// readable. Written atomically.
/// </summary>
public static class GeoJsonTaskWriter
{
    public static void Write(string path, IReadOnlyList<VerificationTask> tasks, Crs crs)
    {
        ArgumentNullException.ThrowIfNull(crs);
        var ordered = TaskList.Ordered(tasks);
        var fields = TaskFields.For(ordered);
        var lonLat = new LonLatGeometry(crs, path, "GeoJSON");
        var features = new FeatureCollection();
        foreach (var t in ordered)
        {
            var attributes = new AttributesTable();
            foreach (var f in fields) attributes.Add(f.Name, f.Export(t));
            features.Add(new Feature(lonLat.ToLonLat(t.Geometry), attributes));
        }
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(features, Options));
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new GeoJsonConverterFactory() },
    };
}
