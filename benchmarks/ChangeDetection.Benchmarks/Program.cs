using BenchmarkDotNet.Running;

namespace ChangeDetection.Benchmarks;

/// <summary>
/// Run with: <c>dotnet run -c Release --project benchmarks/ChangeDetection.Benchmarks -- --filter '*'</c>.
/// Results, with the machine line BenchmarkDotNet prints, go to benchmarks/RESULTS.md.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
