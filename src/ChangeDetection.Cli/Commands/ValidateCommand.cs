using System.CommandLine;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;

namespace ChangeDetection.Cli.Commands;

/// <summary>
/// <c>cdx validate REGION.json</c>: checks a region config and opens everything a run would use
/// (<see cref="RegionRun.Check"/>: rasters, layers, admin fields, model) without running it.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("region") { Description = "The region config (JSON)." };
        var cmd = new Command("validate", "Check a region config without running it.") { file };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var config = RegionConfig.Load(r.GetValue(file)!);
            // The same check a run makes before its raster work: what passes here, a run will not refuse later.
            var check = new RegionRun(config).Check();
            stdout.WriteLine($"{config.FilePath}: OK");
            stdout.WriteLine($"  region {config.RegionCode} {config.RegionName}, quarter {config.Quarter}");
            stdout.WriteLine($"  before {config.Before.Date:yyyy-MM-dd} {config.Before.Path}");
            stdout.WriteLine($"  after  {config.After.Date:yyyy-MM-dd} {config.After.Path}{(check.AfterResampled ? " (resampled onto the before grid)" : "")}");
            stdout.WriteLine($"  grid   {check.Grid.Width}×{check.Grid.Height} px, {check.Grid.Crs}, bands {string.Join(", ", check.Bands.Select(b => b.Name()))}");
            foreach (var l in config.Layers) stdout.WriteLine($"  layer  {l.Name} ({l.Kind}) {l.Path}");
            if (config.Admin is { } a) stdout.WriteLine($"  admin  {a.Path} ({a.CodeField}, {a.NameField})");
            stdout.WriteLine($"  output {config.Output}");
            foreach (var w in check.Warnings) stdout.WriteLine($"  warning: {w}");
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
