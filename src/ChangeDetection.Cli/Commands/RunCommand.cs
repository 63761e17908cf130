using System.CommandLine;
using System.Globalization;
using ChangeDetection.Pipeline;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx run REGION.json [--out DIR] [--tile N] [--workers N] [--write-mask] [--force] [--model M] [--pseudo-confidence C] [--crs gk3|gk6|image|EPSG:N]</c>.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var region = new Argument<string>("region") { Description = "The region config (JSON)." };
        var output = new Option<string?>("--out") { Description = "Output folder (default: the config's \"output\")." };
        var tile = new Option<int?>("--tile") { Description = "Tile edge in pixels (default: the config's detection.tileSize)." };
        var workers = new Option<int>("--workers") { Description = "Tiles processed at once (default: number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var writeMask = new Option<bool>("--write-mask") { Description = "Keep the change mask (mask.tif) in the output folder." };
        var force = new Option<bool>("--force") { Description = "Start over even if the output folder holds a run with other inputs." };
        var model = new Option<string?>("--model") { Description = "Patch classifier model (.zip from 'cdx train'), or 'none' for no classifier; overrides the config's \"model\" (default: the shipped models/classifier.zip)." };
        var pseudo = new Option<double?>("--pseudo-confidence") { Description = "With a model: a patch called pseudo-change with at least this confidence (0–1) gets no task; overrides the config's \"pseudoConfidence\" (default 0.5)." };
        var crs = ExportCommand.CrsOption();
        var cmd = new Command("run", "Run a region and quarter end to end; a re-run after a crash resumes.") { region, output, tile, workers, writeMask, force, model, pseudo, crs };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var delivery = ExportCommand.ParseCrs(r.GetValue(crs));
            var config = RegionConfig.Load(r.GetValue(region)!);
            var options = new RegionRunOptions
            {
                DeliveryCrs = delivery,
                Output = r.GetValue(output), TileSize = r.GetValue(tile), Workers = r.GetValue(workers),
                WriteMask = r.GetValue(writeMask), Force = r.GetValue(force), Model = r.GetValue(model),
                PseudoConfidence = r.GetValue(pseudo) is double c
                    ? (c is >= 0 and <= 1 ? c : throw new ChangeDetectionException($"--pseudo-confidence {c.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1."))
                    : null,
            };
            var result = ConsoleProgress.Run(stderr, p => RegionRun.Run(config, options, p));
            Summarise(stdout, config, result);
            return CdxApp.Ok;
        }));
        return cmd;
    }

    internal static void Summarise(TextWriter stdout, RegionConfig config, RegionRunResult result)
    {
        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"region {config.RegionCode} {config.RegionName}, {config.Quarter}: done");
        if (result.TilesResumed > 0) stdout.WriteLine($"  resumed: {result.TilesResumed} of {result.Tiles} tiles were already finished");
        stdout.WriteLine(string.Create(ci, $"  threshold {result.Threshold:G6}; changed {result.ChangedPixels} of {result.ValidPixels} valid pixels"));
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
