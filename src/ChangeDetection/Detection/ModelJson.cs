using System.Text.Json.Nodes;
using ChangeDetection.Kernels;
using ChangeDetection.Registration;

namespace ChangeDetection.Detection;

/// <summary>The detection model as JSON, for the ledger: floats round-trip exactly.</summary>
internal static class ModelJson
{
    public static string Write(DetectionModel m) => new JsonObject
    {
        ["smooth"] = m.SmoothRadius,
        ["histogram_max"] = m.HistogramMax,
        ["bands"] = new JsonArray(m.Kernel.Bands.Select(b => (JsonNode)new JsonArray(b.Gain, b.Offset, b.Scale)).ToArray()),
        ["roles"] = new JsonArray(m.Kernel.Roles.Red, m.Kernel.Roles.Nir, m.Kernel.Roles.Green, m.Kernel.Roles.Swir1),
        ["ndvi_weight"] = m.Kernel.NdviWeight,
        ["water_weight"] = m.Kernel.WaterWeight,
        ["registration"] = RegistrationJson(m.Registration),
        ["registration_applied"] = m.RegistrationApplied,
        ["score_floor"] = float.IsFinite(m.ScoreFloor) ? m.ScoreFloor : null,
        ["projection"] = m.Kernel.Projection is { } p ? new JsonObject
        {
            ["bands"] = p.Bands,
            ["before"] = new JsonArray(p.BeforeWeights.Select(v => (JsonNode)v).ToArray()),
            ["after"] = new JsonArray(p.AfterWeights.Select(v => (JsonNode)v).ToArray()),
            ["offsets"] = new JsonArray(p.Offsets.Select(v => (JsonNode)v).ToArray()),
        } : null,
    }.ToJsonString();

    /// <summary>The co-registration as run.json and the ledger record it (shift in pixels of the pair grid).</summary>
    public static JsonObject RegistrationJson(GlobalShift r) => new()
    {
        ["dx"] = r.Dx, ["dy"] = r.Dy, ["status"] = r.Status.ToString(), ["windows"] = r.Windows,
        ["confident"] = r.Confident, ["agreeing"] = r.Agreeing, ["reason"] = r.Reason,
    };

    public static DetectionModel Read(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        var bands = o["bands"]!.AsArray().Select(b => new BandNormalization(b![0]!.GetValue<float>(), b[1]!.GetValue<float>(), b[2]!.GetValue<float>())).ToArray();
        var r = o["roles"]!.AsArray();
        var roles = new BandRoles(r[0]?.GetValue<int>(), r[1]?.GetValue<int>(), r[2]?.GetValue<int>(), r[3]?.GetValue<int>());
        ChangeProjection? projection = o["projection"] is JsonObject p
            ? new ChangeProjection(p["bands"]!.GetValue<int>(), Floats(p["before"]!), Floats(p["after"]!), Floats(p["offsets"]!))
            : null;
        var kernel = new ChangeKernelOptions(bands, roles: roles, ndviWeight: o["ndvi_weight"]!.GetValue<float>(), waterWeight: o["water_weight"]!.GetValue<float>(),
            projection: projection);
        var model = new DetectionModel(kernel, o["smooth"]!.GetValue<int>(), o["histogram_max"]!.GetValue<float>());
        if (o["registration"] is JsonObject g)
            model = model with
            {
                Registration = new GlobalShift(g["dx"]!.GetValue<double>(), g["dy"]!.GetValue<double>(), Enum.Parse<GlobalShiftStatus>(g["status"]!.GetValue<string>()),
                    g["windows"]!.GetValue<int>(), g["confident"]!.GetValue<int>(), g["agreeing"]!.GetValue<int>(), g["reason"]!.GetValue<string>()),
                RegistrationApplied = o["registration_applied"]?.GetValue<bool>() ?? false,
            };
        if (o["score_floor"] is JsonNode floor) model = model with { ScoreFloor = floor.GetValue<float>() };
        return model;
    }

    private static float[] Floats(JsonNode array) => [.. array.AsArray().Select(v => v!.GetValue<float>())];
}
