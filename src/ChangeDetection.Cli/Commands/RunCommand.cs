using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ChangeDetection.Pipeline;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx run REGION.json [--out DIR] [--tile N] [--workers N] [--write-mask] [--force] [--model M] [--pixel-model P] [--pseudo-confidence C] [--threshold RULE] [--crs gk3|gk6|image|EPSG:N] [--json]</c>.</summary>
internal static class RunCommand
{
    private const string Name = "run";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var region = new Argument<string>("region") { Description = "The region config (JSON)." };
        var output = new Option<string?>("--out") { Description = "Output folder (default: the config's \"output\")." };
        var tile = new Option<int?>("--tile") { Description = "Tile edge in pixels (default: the config's detection.tileSize)." };
        var workers = new Option<int>("--workers") { Description = "Tiles processed at once (default: number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var writeMask = new Option<bool>("--write-mask") { Description = "Keep the change mask (mask.tif) in the output folder." };
        var force = new Option<bool>("--force") { Description = "Start over even if the output folder holds a run with other inputs." };
        var model = new Option<string?>("--model") { Description = "Patch classifier model (.zip from 'cdx train'), or 'none' for no classifier; overrides the config's \"model\" (default: the shipped models/classifier.zip)." };
        var pixelModel = new Option<string?>("--pixel-model") { Description = "Learned pixel model (.zip from 'cdx train --pixel-model') whose calibrated probability decides the change mask instead of the detector's threshold, or 'none'; overrides the config's \"pixelModel\" (default: none) and keys the run ledger." };
        var pseudo = new Option<double?>("--pseudo-confidence") { Description = "With a model: a patch called pseudo-change with at least this confidence (0–1) gets no task; overrides the config's \"pseudoConfidence\" (default 0.5). Without a model it is an error." };
        var threshold = new Option<string?>("--threshold") { Description = "Threshold rule as in 'cdx detect' (auto, otsu, ki, a fixed score such as 2.5, or a percentile such as p97); overrides the config's detection.threshold and, like every detection setting, keys the run ledger." };
        var crs = ExportCommand.CrsOption();
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object instead of text (progress stays on stderr)." };
        var cmd = new Command(Name, "Run a region and quarter end to end; a re-run after a crash resumes.") { region, output, tile, workers, writeMask, force, model, pixelModel, pseudo, threshold, crs, json };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            // Option values first: a usage error should not wait for the config and its files.
            var rule = r.GetValue(threshold) is string t ? ParseThreshold(t) : (Kernels.ThresholdRule?)null;
            var delivery = ExportCommand.ParseCrs(r.GetValue(crs));
            var options = new RegionRunOptions
            {
                DeliveryCrs = delivery,
                Output = r.GetValue(output), TileSize = r.GetValue(tile), Workers = r.GetValue(workers),
                WriteMask = r.GetValue(writeMask), Force = r.GetValue(force), Model = r.GetValue(model), PixelModel = r.GetValue(pixelModel),
                PseudoConfidence = r.GetValue(pseudo) is double c
                    ? (c is >= 0 and <= 1 ? c : throw Usage.Error(Name, $"--pseudo-confidence {c.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1."))
                    : null,
            };
            var config = RegionConfig.Load(r.GetValue(region)!);
            if (rule is { } overridden) config = config with { Detection = config.Detection with { Options = config.Detection.Options with { Threshold = overridden } } };
            var run = new RegionRun(config, options);
            // A confidence with nothing to be confident about would be recorded in run.json but change nothing.
            if (options.PseudoConfidence is not null && run.ModelPath is null)
                throw Usage.Error(Name, $"--pseudo-confidence needs a patch classifier, and this run has none ({(options.Model is null ? $"{config.FilePath} says \"model\": \"none\"" : "--model none")}); drop --pseudo-confidence or give a model.");
            var result = Interrupt.Run(stderr, stop => ConsoleProgress.Run(stderr, p => run.Execute(p, stop)));
            if (r.GetValue(json)) JsonOutput.Write(stdout, SummaryJson(config, run, result));
            else Summarise(stdout, config, result);
            return CdxApp.Ok;
        }));
        return cmd;
    }

    private static Kernels.ThresholdRule ParseThreshold(string text)
    {
        try
        {
            return DetectionOptionsBinding.ParseThreshold(text);
        }
        catch (ChangeDetectionException e)
        {
            throw Usage.Error(Name, e.Message);
        }
    }

    /// <summary>
    /// The <c>--json</c> summary: what <see cref="Summarise"/> prints, with the run's threshold rule, model and
    /// pseudo-change confidence (null without a model); the full record stays in <c>run.json</c>.
    /// </summary>
    internal static JsonObject SummaryJson(RegionConfig config, RegionRun run, RegionRunResult result) => new()
    {
        ["region"] = new JsonObject { ["code"] = config.RegionCode, ["name"] = config.RegionName, ["quarter"] = config.Quarter },
        ["output"] = result.OutputFolder,
        ["run_json"] = result.RunJson,
        ["tiles"] = result.Tiles,
        ["tiles_resumed"] = result.TilesResumed,
        ["threshold_rule"] = run.Detection.Threshold.ToString(),
        ["threshold"] = result.Threshold,
        ["pixel_model"] = result.PixelModel,
        ["pixel_threshold"] = result.PixelThreshold,
        ["valid_pixels"] = result.ValidPixels,
        ["changed_pixels"] = result.ChangedPixels,
        ["model"] = run.ModelPath,
        ["pseudo_confidence"] = run.ModelPath is null ? null : run.PseudoConfidence,
        ["patches"] = result.Patches,
        ["pseudo_patches"] = result.PseudoPatches,
        ["tasks"] = result.TasksByProvince.Values.Sum(),
        ["tasks_by_province"] = new JsonObject(result.TasksByProvince.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["mask"] = result.MaskPath,
        ["outputs"] = JsonOutput.Strings(result.Outputs),
        ["warnings"] = JsonOutput.Strings(result.Warnings),
    };

    internal static void Summarise(TextWriter stdout, RegionConfig config, RegionRunResult result)
    {
        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"region {config.RegionCode} {config.RegionName}, {config.Quarter}: done");
        if (result.TilesResumed > 0) stdout.WriteLine($"  resumed: {result.TilesResumed} of {result.Tiles} tiles were already finished");
        stdout.WriteLine(result.PixelModel is null
            ? string.Create(ci, $"  threshold {result.Threshold:G6}; changed {result.ChangedPixels} of {result.ValidPixels} valid pixels")
            : string.Create(ci, $"  pixel model {result.PixelModel}: probability > {result.PixelThreshold:0.####}; changed {result.ChangedPixels} of {result.ValidPixels} valid pixels"));
        stdout.WriteLine($"  {result.Patches} monitoring patches (图斑){(result.PseudoPatches > 0 ? $", {result.PseudoPatches} of them pseudo-change (no task)" : "")}; {result.TasksByProvince.Values.Sum()} verification tasks (核查任务){(result.TasksByProvince.Count == 0 ? "" : ": " + string.Join(", ", result.TasksByProvince.Select(kv => $"province {kv.Key}: {kv.Value}")))}");
        foreach (var f in result.Outputs) stdout.WriteLine($"  {f}");
        if (result.Warnings.Count > 0)
        {
            stdout.WriteLine($"  {result.Warnings.Count} warning(s), also in run.json:");
            foreach (var w in result.Warnings.Take(5)) stdout.WriteLine($"    {w}");
        }
        stdout.WriteLine($"  run record: {result.RunJson}");
    }
}
