using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;

namespace ChangeDetection.Cli.Commands;

/// <summary>
/// <c>cdx validate REGION.json [--json]</c>: checks a region config and opens everything a run would use
/// (<see cref="RegionRun.Check"/>: rasters, layers, admin fields, model) without running it.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("region") { Description = "The region config (JSON)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var cmd = new Command("validate", "Check a region config without running it.") { file, json };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var config = RegionConfig.Load(r.GetValue(file)!);
            // The same check a run makes before its raster work: what passes here, a run will not refuse later.
            var check = new RegionRun(config).Check();
            if (r.GetValue(json))
            {
                JsonOutput.Write(stdout, Json(config, check));
                return CdxApp.Ok;
            }
            stdout.WriteLine($"{config.FilePath}: OK");
            stdout.WriteLine($"  region {config.RegionCode} {config.RegionName}, quarter {config.Quarter}");
            stdout.WriteLine($"  before {config.Before.Date:yyyy-MM-dd} {config.Before.Path}");
            stdout.WriteLine($"  after  {config.After.Date:yyyy-MM-dd} {config.After.Path}{(check.AfterResampled ? " (resampled onto the before grid)" : "")}");
            stdout.WriteLine($"  grid   {check.Grid.Width}×{check.Grid.Height} px, {check.Grid.Crs}, bands {string.Join(", ", check.Bands.Select(b => b.Name()))}");
            foreach (var b in config.ExtraBands) stdout.WriteLine($"  band   {b.Band.Name()} before {b.Before}, after {b.After}");
            foreach (var l in config.Layers) stdout.WriteLine($"  layer  {l.Name} ({l.Kind}) {l.Path}");
            if (config.Admin is { } a) stdout.WriteLine($"  admin  {a.Path} ({a.CodeField}, {a.NameField})");
            stdout.WriteLine($"  output {config.Output}");
            foreach (var w in check.Warnings) stdout.WriteLine($"  warning: {w}");
            return CdxApp.Ok;
        }));
        return cmd;
    }

    /// <summary>The <c>--json</c> object: what the text says, one key per line of it (dates as yyyy-MM-dd, paths absolute).</summary>
    private static JsonObject Json(RegionConfig config, RegionCheckResult check) => new()
    {
        ["file"] = config.FilePath,
        ["ok"] = true,
        ["region"] = new JsonObject { ["code"] = config.RegionCode, ["name"] = config.RegionName, ["quarter"] = config.Quarter },
        ["before"] = Scene(config.Before),
        ["after"] = Scene(config.After),
        ["after_resampled"] = check.AfterResampled,
        ["grid"] = new JsonObject
        {
            ["width"] = check.Grid.Width, ["height"] = check.Grid.Height, ["crs"] = check.Grid.Crs.ToString(), ["epsg"] = check.Grid.Crs.Epsg,
        },
        ["bands"] = JsonOutput.Strings(check.Bands.Select(b => b.Name())),
        // The config's beforeBands/afterBands, one entry per band (empty without band files).
        ["band_files"] = new JsonArray(config.ExtraBands.Select(b => (JsonNode?)new JsonObject
        {
            ["band"] = b.Band.Name(), ["before"] = b.Before, ["after"] = b.After,
        }).ToArray()),
        ["layers"] = new JsonArray(config.Layers.Select(l => (JsonNode?)new JsonObject
        {
            ["name"] = l.Name, ["kind"] = l.Kind, ["path"] = l.Path, ["field"] = l.Field,
        }).ToArray()),
        ["admin"] = config.Admin is { } a ? new JsonObject { ["path"] = a.Path, ["code_field"] = a.CodeField, ["name_field"] = a.NameField } : null,
        ["output"] = config.Output,
        ["warnings"] = JsonOutput.Strings(check.Warnings),
    };

    private static JsonObject Scene(SceneConfig s) => new()
    {
        ["date"] = s.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["path"] = s.Path, ["sensor"] = s.Sensor,
    };
}
