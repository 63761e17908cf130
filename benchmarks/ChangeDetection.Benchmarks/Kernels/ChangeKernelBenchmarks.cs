using BenchmarkDotNet.Attributes;
using ChangeDetection.Kernels;

namespace ChangeDetection.Benchmarks.Kernels;

/// <summary>
/// The change kernel on one 4-band uint16 row pair of 1 Mi pixels (8 MiB per date): the scalar
/// reference (baseline), each vector width, the dispatched path, and a plain copy of the same
/// 16 MiB of input as a memory-bandwidth floor.
/// Run: <c>dotnet run -c Release --project benchmarks/ChangeDetection.Benchmarks -- --filter '*ChangeKernel*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class ChangeKernelBenchmarks
{
    private const int Bands = 4;
    private const int Pixels = 1 << 20;

    private ushort[] _before = [];
    private ushort[] _after = [];
    private ushort[] _copyTarget = [];
    private float[] _scores = [];
    private ChangeKernelOptions _options = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _before = new ushort[Bands * Pixels];
        _after = new ushort[Bands * Pixels];
        _copyTarget = new ushort[2 * Bands * Pixels];
        _scores = new float[Pixels];
        // Plausible GF-2 DN with 1 % nodata (0) so the masking is exercised.
        for (int i = 0; i < _before.Length; i++)
        {
            _before[i] = random.Next(100) == 0 ? (ushort)0 : (ushort)random.Next(150, 1200);
            _after[i] = random.Next(100) == 0 ? (ushort)0 : (ushort)random.Next(150, 1200);
        }
        _options = new ChangeKernelOptions(
            [new(1.05f, -12f, 1 / 180f), new(0.97f, 8f, 1 / 210f), new(1.02f, -3f, 1 / 260f), new(0.94f, 20f, 1 / 330f)],
            beforeNoData: 0, afterNoData: 0, roles: BandRoles.BlueGreenRedNir);
    }

    [Benchmark(Baseline = true)]
    public void Scalar() => ChangeKernel.ComputeScalar(_before, _after, Pixels, Pixels, _options, _scores);

    [Benchmark]
    public void Vector128() => ChangeKernel.ComputeVector128(_before, _after, Pixels, Pixels, _options, _scores);

    [Benchmark]
    public void Vector256() => ChangeKernel.ComputeVector256(_before, _after, Pixels, Pixels, _options, _scores);

    [Benchmark]
    public void Dispatched() => ChangeKernel.Compute(_before, _after, Pixels, Pixels, _options, _scores);

    /// <summary>Copies the kernel's input bytes (both dates, all bands): the bandwidth floor.</summary>
    [Benchmark]
    public void CopyInput()
    {
        _before.AsSpan().CopyTo(_copyTarget);
        _after.AsSpan().CopyTo(_copyTarget.AsSpan(_before.Length));
    }
}
