using BenchmarkDotNet.Attributes;
using ChangeDetection.Deep;

namespace ChangeDetection.Benchmarks.Deep;

/// <summary>
/// Deep change features (ResNet-18 stem, conv2_x and conv3_x through ONNX Runtime, distances, upsampling) on one
/// tile pair of deterministic texture, with 1 and 2 intra-op threads. One 256² pair is 0.0655 Mpx: multiply the mean
/// by 15.26 for seconds per megapixel of both dates (issue budget: ≤ 1 s per megapixel on 2 cores).
/// Run: <c>dotnet run -c Release --project benchmarks/ChangeDetection.Benchmarks -- --filter '*DeepFeature*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class DeepFeatureBenchmarks : IDisposable
{
    private DeepFeatureExtractor _extractor = null!;
    private RgbTile _before = null!;
    private RgbTile _after = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [Params(256)]
    public int Tile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _extractor = new DeepFeatureExtractor(new DeepFeatureOptions { IntraOpNumThreads = Threads });
        _before = Texture(Tile, 1);
        _after = Texture(Tile, 2);
    }

    [GlobalCleanup]
    public void Cleanup() => _extractor?.Dispose();

    /// <summary>Same as <see cref="Cleanup"/>, for callers outside BenchmarkDotNet.</summary>
    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    /// <summary>Both dates through the network and the six distance planes at full resolution.</summary>
    [Benchmark]
    public object ComputePair() => _extractor.Compute(_before, _after);

    /// <summary>One date through the network only: what the distances and upsampling add is the difference to half of <see cref="ComputePair"/>.</summary>
    [Benchmark]
    public object ActivationsOneDate() => _extractor.Activations(_before);

    private static RgbTile Texture(int size, int seed)
    {
        var random = new Random(seed);
        int n = size * size;
        var r = new float[n];
        var g = new float[n];
        var b = new float[n];
        for (int i = 0; i < n; i++)
        {
            int x = i % size, y = i / size;
            double s = 40 * Math.Sin(x * 0.45 + y * 0.2) + 30 * Math.Cos(y * 0.31 - x * 0.07);
            r[i] = (float)Math.Clamp(110 + s + random.Next(-12, 13), 0, 255);
            g[i] = (float)Math.Clamp(120 + 0.8 * s + random.Next(-12, 13), 0, 255);
            b[i] = (float)Math.Clamp(100 - 0.5 * s + random.Next(-12, 13), 0, 255);
        }
        return new RgbTile(size, size, r, g, b);
    }
}
