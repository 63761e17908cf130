using System.CommandLine;
using System.Globalization;
using ChangeDetection.Detection;
using ChangeDetection.IO;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx detect --before A.tif --after B.tif --out MASK.tif [--pixel-model P.zip|none] [--before-bands DIR|FILE … --after-bands DIR|FILE …] [detection options]</c>.</summary>
internal static class DetectCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var before = new Option<string>("--before") { Description = "The earlier image (GeoTIFF).", Required = true };
        var after = new Option<string>("--after") { Description = "The later image (GeoTIFF); resampled onto the before grid when the grids differ.", Required = true };
        var output = new Option<string>("--out") { Description = "The change mask to write (GeoTIFF, uint8: 1 change, 0 none, 255 no data).", Required = true };
        var pixelModel = new Option<string?>("--pixel-model") { Description = "Learned pixel model (.zip from 'cdx train --pixel-model'): its calibrated probability decides the mask instead of the threshold (the mask cdx run gives with it); 'none' (default): the threshold decides." };
        var beforeBands = new Option<string[]>("--before-bands") { Description = "With --pixel-model: the before date's band files for the model (a folder of Sentinel-2 band files named as ESA names them, e.g. OSCD's bands_1, or such files; repeatable), as the region config's \"beforeBands\"." };
        var afterBands = new Option<string[]>("--after-bands") { Description = "With --pixel-model: the after date's band files, as --before-bands (every band in both)." };
        var detection = new DetectionOptionsBinding("detect");
        var cmd = new Command("detect", "Detect change between two dates and write the change mask.") { before, after, output, pixelModel, beforeBands, afterBands };
        detection.AddTo(cmd);
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var options = detection.Bind(r);
            var pixel = r.GetValue(pixelModel) is string given && given != RegionConfig.PixelModelNone ? PixelModel.PixelChangeModel.Load(Path.GetFullPath(given)) : null;
            var bandFiles = BandFiles("detect", r.GetValue(beforeBands) ?? [], r.GetValue(afterBands) ?? [], pixel is not null);
            using var pair = ScenePair.Open(r.GetValue(before)!, r.GetValue(after)!);
            // The band files are the pixel model's alone (as in a region run): the detector reads the two images.
            using var pixelPair = bandFiles.Count > 0 ? ScenePair.Open(r.GetValue(before)!, r.GetValue(after)!, new ScenePairOptions { ExtraBands = bandFiles }) : null;
            // A pair without the model's bands is refused here, before anything is written.
            var decision = pixel is null ? null : new PixelModel.PixelTileMask(pixelPair ?? pair, pixel, PixelModel.MaskMorphology.Of(options)) { SceneWorkers = options.Workers };
            // Written under a temporary name and renamed: killed or failed mid-way, the old mask stays whole.
            string maskPath = Path.GetFullPath(r.GetValue(output)!);
            ChangeDetectionResult? result = null;
            PixelModel.PixelMaskResult? pixelResult = null;
            AtomicFile.Write(maskPath, tmp =>
            {
                // Streamed in parallel tile order first, then laid out as a COG with overviews.
                string streamed = tmp + ".stream";
                try
                {
                    if (decision is null) result = ConsoleProgress.Run(stderr, p => ChangeDetector.Detect(pair, streamed, options, p));
                    else pixelResult = PixelModel.PixelMask.Write(decision, streamed, options.TileSize, options.Workers);
                    CloudOptimizedMask.Write(streamed, tmp);
                }
                finally
                {
                    File.Delete(streamed);
                }
            });
            var ci = CultureInfo.InvariantCulture;
            var (changed, valid) = result is not null ? (result.ChangedPixels, result.ValidPixels) : (pixelResult!.ChangedPixels, pixelResult.ValidPixels);
            stdout.WriteLine(result is not null
                ? string.Create(ci, $"threshold: {result.Threshold:G6} ({options.Threshold})")
                : string.Create(ci, $"threshold: probability > {decision!.Threshold:0.####} (pixel model {Path.GetFullPath(r.GetValue(pixelModel)!)})"));
            stdout.WriteLine(string.Create(ci, $"changed: {changed} of {valid} valid pixels ({100.0 * changed / Math.Max(1, valid):0.##} %)"));
            stdout.WriteLine($"bands: {string.Join(", ", (result?.Bands ?? (pixelPair ?? pair).Bands).Select(b => b.Name()))}{(pair.AfterResampled ? " (after image resampled onto the before grid)" : "")}");
            stdout.WriteLine($"mask: {maskPath}");
            return CdxApp.Ok;
        }));
        return cmd;
    }

    /// <summary>
    /// The band files of <c>--before-bands</c> and <c>--after-bands</c> of <paramref name="command"/> (<c>detect</c>,
    /// <c>eval</c>): both or neither, and only for a pixel model.
    /// </summary>
    internal static IReadOnlyList<BandFiles> BandFiles(string command, string[] before, string[] after, bool pixelModel)
    {
        if (before.Length == 0 && after.Length == 0) return [];
        if (before.Length == 0 || after.Length == 0)
            throw Usage.Error(command, $"{(before.Length == 0 ? "--after-bands" : "--before-bands")} needs {(before.Length == 0 ? "--before-bands" : "--after-bands")}: give the band files of both dates.");
        if (!pixelModel)
            throw Usage.Error(command, "--before-bands and --after-bands are read by a pixel model only; give --pixel-model, or drop them.");
        return ChangeDetection.Raster.BandFiles.Of(before.Select(Path.GetFullPath), after.Select(Path.GetFullPath), "--before-bands", "--after-bands");
    }
}
