using System.Diagnostics;
using System.Globalization;
using ChangeDetection.Detection;
using ChangeDetection.Raster;

namespace ChangeDetection.Benchmarks.Detection;

/// <summary>
/// The statistics pass alone (<c>ChangeDetector.Prepare</c>: registration, radiometric fit, band moments, the histogram's
/// range) on a sample region (<c>cdx sample DIR --size N</c>), each run on a freshly opened pair, with the detector's
/// default options. Prints wall and process CPU seconds and the blocks decoded per run; run 1 includes the JIT of every
/// kernel the pass touches, as the first stage of a <c>cdx run</c> does.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project benchmarks/ChangeDetection.Benchmarks -- statistics DIR [RUNS]</c>.</remarks>
internal static class StatisticsPass
{
    public static void Run(string folder, int runs)
    {
        var options = new ChangeDetectionOptions();
        string before = Path.Combine(folder, "before.tif"), after = Path.Combine(folder, "after.tif");
        for (int run = 1; run <= runs; run++)
        {
            using var pair = ScenePair.Open(before, after);
            double cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            var clock = Stopwatch.StartNew();
            var model = new ChangeDetector(options).Prepare(pair);
            cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpu;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {run} statistics wall {clock.Elapsed.TotalSeconds,6:F3} s  cpu {cpu,6:F3} s  blocks decoded {pair.BlocksDecoded}  histogram max {model.HistogramMax:R}  shift {model.Registration.Dx:R},{model.Registration.Dy:R}"));
        }
    }
}
