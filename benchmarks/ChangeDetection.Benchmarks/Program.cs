using BenchmarkDotNet.Running;

namespace ChangeDetection.Benchmarks;

/// <summary>
/// Run with: <c>dotnet run -c Release --project benchmarks/ChangeDetection.Benchmarks -- --filter '*'</c>; or
/// <c>-- tile-passes DIR [RUNS]</c> for the tile passes against a plain decode of a sample region (<see cref="Detection.TilePassesVsDecode"/>); or
/// <c>-- statistics DIR [RUNS]</c> for the statistics pass alone (<see cref="Detection.StatisticsPass"/>).
/// Results, with the machine line BenchmarkDotNet prints, go to benchmarks/RESULTS.md.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        // Not a BenchmarkDotNet class: seconds-long passes over a sample region (Detection/TilePassesVsDecode.cs).
        if (args is ["tile-passes", string folder, ..])
        {
            Detection.TilePassesVsDecode.Run(folder, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2);
            return;
        }
        if (args is ["statistics", string statsFolder, ..])
        {
            Detection.StatisticsPass.Run(statsFolder, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
