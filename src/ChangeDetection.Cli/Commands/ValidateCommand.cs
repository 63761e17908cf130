using System.CommandLine;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx validate REGION.json</c>: checks a region config (keys, files, dates, rasters) without running it.</summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("region") { Description = "The region config (JSON)." };
        var cmd = new Command("validate", "Check a region config without running it.") { file };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var config = RegionConfig.Load(r.GetValue(file)!);
            // Opening the pair checks what a run would refuse: georeferencing, CRS, overlap, bands.
            using var pair = ScenePair.Open(config.Before.Path, config.After.Path, new ScenePairOptions { BandNumbers = config.Bands });
            stdout.WriteLine($"{config.FilePath}: OK");
            stdout.WriteLine($"  region {config.RegionCode} {config.RegionName}, quarter {config.Quarter}");
            stdout.WriteLine($"  before {config.Before.Date:yyyy-MM-dd} {config.Before.Path}");
            stdout.WriteLine($"  after  {config.After.Date:yyyy-MM-dd} {config.After.Path}{(pair.AfterResampled ? " (resampled onto the before grid)" : "")}");
            stdout.WriteLine($"  grid   {pair.Grid.Width}×{pair.Grid.Height} px, {pair.Grid.Crs}, bands {string.Join(", ", pair.Bands.Select(b => b.Name()))}");
            foreach (var l in config.Layers) stdout.WriteLine($"  layer  {l.Name} ({l.Kind}) {l.Path}");
            if (config.Admin is { } a) stdout.WriteLine($"  admin  {a.Path} ({a.CodeField}, {a.NameField})");
            stdout.WriteLine($"  output {config.Output}");
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
