using BenchmarkDotNet.Attributes;
using ChangeDetection.Kernels;

namespace ChangeDetection.Benchmarks.Kernels;

/// <summary>
/// The box mean on one histogram-pass tile: 1 024² with its halo of r, 4 uint16 bands per date, both dates smoothed with
/// the one validity plane (~1 % nodata): the scalar twin (baseline; separable passes over whole planes, the division in
/// double), the vector sweep (<see cref="BoxMean"/>'s dispatched path), and a plain copy of both dates' planes as a
/// memory-bandwidth floor. Smoothing in place again and again costs the same each time (the work does not depend on the values).
/// Run: <c>dotnet run -c Release --project benchmarks/ChangeDetection.Benchmarks -- --filter '*BoxMean*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class BoxMeanBenchmarks
{
    private const int Bands = 4;
    private const int Core = 1024;

    /// <summary>Smoothing radius (px): 1 is the sample's 1 m pixels, 2 the 0.5 m pixels of GF-2 pan-sharpened imagery.</summary>
    [Params(1, 2)]
    public int Radius { get; set; }

    private int _side;
    private ushort[] _before = [];
    private ushort[] _after = [];
    private ushort[] _copyTarget = [];
    private byte[] _valid = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _side = Core + 2 * Radius;
        int n = _side * _side;
        _before = new ushort[Bands * n];
        _after = new ushort[Bands * n];
        _copyTarget = new ushort[2 * Bands * n];
        _valid = new byte[n];
        for (int i = 0; i < n; i++) _valid[i] = (byte)(random.Next(100) == 0 ? 0 : 1);
        for (int i = 0; i < _before.Length; i++)
        {
            _before[i] = (ushort)random.Next(150, 1200);
            _after[i] = (ushort)random.Next(150, 1200);
        }
    }

    [Benchmark(Baseline = true)]
    public void Scalar() => BoxMean.Apply(_before, _after, Bands, _side, _side, _valid, Radius, vectors: false);

    [Benchmark]
    public void Vector() => BoxMean.Apply(_before, _after, Bands, _side, _side, _valid, Radius);

    /// <summary>Copies both dates' planes once (what the sweep reads and writes in place): the bandwidth floor.</summary>
    [Benchmark]
    public void CopyPlanes()
    {
        _before.AsSpan().CopyTo(_copyTarget);
        _after.AsSpan().CopyTo(_copyTarget.AsSpan(_before.Length));
    }
}
