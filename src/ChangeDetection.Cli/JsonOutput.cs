using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChangeDetection.Cli;

/// <summary>The <c>--json</c> output of a command: one JSON object on one line of stdout, CJK kept readable.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(TextWriter stdout, JsonObject value) => stdout.WriteLine(value.ToJsonString(Options));

    /// <summary>A JSON array of strings.</summary>
    public static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>A UTC time as ISO 8601 with a Z (<c>2026-07-01T02:00:00Z</c>), or null.</summary>
    public static JsonNode? Time(DateTime? t) =>
        t is { } v ? JsonValue.Create(v.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)) : null;
}
