using System.Diagnostics;
using System.Globalization;
using ChangeDetection.Detection;
using ChangeDetection.Raster;

namespace ChangeDetection.Benchmarks.Detection;

/// <summary>
/// Issue 18's tile-pass target, measured on a sample region (<c>cdx sample DIR --size N</c>): the time to just decode the
/// inputs once (every histogram tile's read window, halo included, with the reader and the detector's thread count) against
/// the statistics pass, the histogram pass and the mask pass of the detector, each on a freshly opened pair. Prints wall and
/// process CPU seconds and the blocks decoded; CPU is the steadier figure on a shared machine. Not a BenchmarkDotNet run:
/// a pass is seconds long and opens its own files.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project benchmarks/ChangeDetection.Benchmarks -- tile-passes DIR [RUNS]</c>.</remarks>
internal static class TilePassesVsDecode
{
    public static void Run(string folder, int runs)
    {
        var options = new ChangeDetectionOptions();
        string before = Path.Combine(folder, "before.tif"), after = Path.Combine(folder, "after.tif");
        for (int run = 1; run <= runs; run++)
        {
            double decode;
            using (var pair = ScenePair.Open(before, after))
            {
                var clock = Start(out double cpu);
                var scheme = new TileScheme(pair.Grid, options.TileSize, options.SmoothRadiusFor(pair.Grid));
                Parallel.ForEach(scheme.Tiles(), new ParallelOptions { MaxDegreeOfParallelism = options.Workers }, tile =>
                {
                    int n = (int)tile.Read.PixelCount, bands = pair.Bands.Count;
                    pair.Read(tile.Read, new ushort[n * bands], new ushort[n * bands], new byte[n]);
                });
                decode = Report(run, "decode", clock, cpu, pair.BlocksDecoded);
            }
            using (var pair = ScenePair.Open(before, after))
            {
                var clock = Start(out double cpu);
                var passes = TilePasses.Open(new ChangeDetector(options), pair, new MemoryTileStore(),
                    Path.Combine(Path.GetTempPath(), $"tile-passes-{Environment.ProcessId}.scores"));
                Report(run, "statistics", clock, cpu, pair.BlocksDecoded);
                long blocks = pair.BlocksDecoded;
                clock = Start(out cpu);
                float threshold = passes.Threshold();
                double histogram = Report(run, "histogram", clock, cpu, pair.BlocksDecoded - blocks);
                blocks = pair.BlocksDecoded;
                clock = Start(out cpu);
                passes.MaskPass(passes.UnfinishedMaskTiles(), threshold, null);
                double mask = Report(run, "mask", clock, cpu, pair.BlocksDecoded - blocks);
                passes.Scores.Delete();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {run}: (histogram + mask) / decode = {(histogram + mask) / decode:F2}x CPU; threshold {threshold}"));
            }
        }
    }

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static Stopwatch Start(out double cpu)
    {
        cpu = Cpu();
        return Stopwatch.StartNew();
    }

    /// <returns>The CPU seconds of the step.</returns>
    private static double Report(int run, string step, Stopwatch clock, double cpuBefore, long blocks)
    {
        double cpu = Cpu() - cpuBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run {run} {step,-10} wall {clock.Elapsed.TotalSeconds,6:F2} s  cpu {cpu,6:F2} s  blocks decoded {blocks}"));
        return cpu;
    }
}
