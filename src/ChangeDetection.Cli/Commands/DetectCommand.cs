using System.CommandLine;
using System.Globalization;
using ChangeDetection.Detection;
using ChangeDetection.IO;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx detect --before A.tif --after B.tif --out MASK.tif [detection options]</c>.</summary>
internal static class DetectCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var before = new Option<string>("--before") { Description = "The earlier image (GeoTIFF).", Required = true };
        var after = new Option<string>("--after") { Description = "The later image (GeoTIFF); resampled onto the before grid when the grids differ.", Required = true };
        var output = new Option<string>("--out") { Description = "The change mask to write (GeoTIFF, uint8: 1 change, 0 none, 255 no data).", Required = true };
        var detection = new DetectionOptionsBinding("detect");
        var cmd = new Command("detect", "Detect change between two dates and write the change mask.") { before, after, output };
        detection.AddTo(cmd);
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var options = detection.Bind(r);
            using var pair = ScenePair.Open(r.GetValue(before)!, r.GetValue(after)!);
            // Written under a temporary name and renamed: killed or failed mid-way, the old mask stays whole.
            string maskPath = Path.GetFullPath(r.GetValue(output)!);
            ChangeDetectionResult result = null!;
            AtomicFile.Write(maskPath, tmp =>
            {
                // Streamed in parallel tile order first, then laid out as a COG with overviews.
                string streamed = tmp + ".stream";
                try
                {
                    result = ConsoleProgress.Run(stderr, p => ChangeDetector.Detect(pair, streamed, options, p));
                    CloudOptimizedMask.Write(streamed, tmp);
                }
                finally
                {
                    File.Delete(streamed);
                }
            });
            var ci = CultureInfo.InvariantCulture;
            stdout.WriteLine(string.Create(ci, $"threshold: {result.Threshold:G6} ({options.Threshold})"));
            stdout.WriteLine(string.Create(ci, $"changed: {result.ChangedPixels} of {result.ValidPixels} valid pixels ({100.0 * result.ChangedPixels / Math.Max(1, result.ValidPixels):0.##} %)"));
            stdout.WriteLine($"bands: {string.Join(", ", result.Bands.Select(b => b.Name()))}{(pair.AfterResampled ? " (after image resampled onto the before grid)" : "")}");
            stdout.WriteLine($"mask: {maskPath}");
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
