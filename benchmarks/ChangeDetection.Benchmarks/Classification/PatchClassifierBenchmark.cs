using BenchmarkDotNet.Attributes;
using ChangeDetection.Classification;
using ChangeDetection.Tasks;

namespace ChangeDetection.Benchmarks.Classification;

/// <summary>
/// Training and prediction speed of the patch classifier (LightGbm): training on 2 000 labelled
/// feature vectors, and predicting 100 000 patches (the order of a whole province's quarter).
/// Features are synthetic clusters, one per class, so the timing does not depend on imagery.
/// </summary>
[MemoryDiagnoser]
public class PatchClassifierBenchmark
{
    private List<LabelledFeatures> _training = [];
    private float[][] _patches = [];
    private PatchClassifier? _model;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        var classes = ChangeClasses.All.Where(c => c.Code != ChangeClasses.Unclassified.Code).ToArray();
        float[] Sample(int cls)
        {
            var f = new float[PatchFeatures.Length];
            for (int i = 0; i < f.Length; i++) f[i] = (float)(cls * 0.7 + (i % 5) * 0.1 + rng.NextDouble());
            return f;
        }
        for (int i = 0; i < 2_000; i++)
        {
            int c = i % classes.Length;
            _training.Add(new LabelledFeatures(Sample(c), classes[c].Code));
        }
        _patches = Enumerable.Range(0, 100_000).Select(i => Sample(i % classes.Length)).ToArray();
        _model = PatchClassifier.Train(_training);
    }

    [Benchmark(Description = "train LightGbm, 2 000 patches")]
    public int Train() => PatchClassifier.Train(_training).Classes.Count;

    [Benchmark(Description = "predict 100 000 patches")]
    public double Predict100k()
    {
        double sum = 0;
        foreach (var f in _patches) sum += _model!.Predict(f).Confidence;
        return sum;
    }
}
