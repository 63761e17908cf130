using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ChangeDetection.Synthetic;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx sample DIR [--size 4096] [--seed 42] [--pixel 1.0]</c>: writes a synthetic demo region.</summary>
internal static class SampleCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var dir = new Argument<string>("dir") { Description = "Output folder (created if missing; files in it are overwritten)." };
        var size = new Option<int>("--size") { Description = "Width and height in pixels (256..32768).", DefaultValueFactory = _ => 4096 };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed gives byte-identical files.", DefaultValueFactory = _ => 42 };
        var pixel = new Option<double>("--pixel") { Description = "Pixel size in metres (objects keep their size in metres).", DefaultValueFactory = _ => 1.0 };
        var workers = new Option<int>("--workers") { Description = "Threads (does not change the output).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("sample", "Write a deterministic synthetic region: before/after GeoTIFFs (EPSG:4527), red-line and county layers, truth.geojson, region.json.")
        {
            dir, size, seed, pixel, workers,
        };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var options = new SyntheticRegionOptions { Size = r.GetValue(size), Seed = r.GetValue(seed), PixelSize = r.GetValue(pixel), Workers = r.GetValue(workers) };
            var clock = Stopwatch.StartNew();
            var summary = ConsoleProgress.Run(stderr, p => SyntheticRegion.Generate(r.GetValue(dir)!, options, p));
            var ci = CultureInfo.InvariantCulture;
            stdout.WriteLine($"wrote {summary.RegionFile}");
            stdout.WriteLine(string.Create(ci, $"  {summary.Size} × {summary.Size} px at {options.PixelSize} m, EPSG:{summary.Crs.Epsg}, origin ({summary.Transform.OriginX}, {summary.Transform.OriginY})"));
            stdout.WriteLine($"  truth: {string.Join(", ", summary.CountsByKind.Select(kv => $"{kv.Key} {kv.Value}"))}");
            stdout.WriteLine(string.Create(ci, $"  after image misregistration ({summary.Misregistration.X}, {summary.Misregistration.Y}) px; counties {string.Join(" ", summary.CountyCodes)}"));
            stdout.WriteLine(string.Create(ci, $"  {clock.Elapsed.TotalSeconds:F1} s"));
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
