using System.IO.Compression;
using System.Text.Json;
using ChangeDetection.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace ChangeDetection.Classification;

/// <summary>A patch's feature vector (<see cref="PatchFeatures"/>) with its known change class code.</summary>
public sealed record LabelledFeatures(float[] Features, string Label)
{
    /// <summary>How much the example counts in training (e.g. its pixel count, so that large patches weigh more); 1 by default.</summary>
    public float Weight { get; init; } = 1;
}

/// <summary>The learner behind <see cref="PatchClassifier"/>.</summary>
public enum ClassifierTrainer
{
    /// <summary>LightGBM multiclass (softmax).</summary>
    LightGbm,
    /// <summary>One-versus-all boosted FastTree binary classifiers.</summary>
    FastTree,
}

/// <summary>Options for <see cref="PatchClassifier.Train"/>.</summary>
public sealed record PatchClassifierOptions
{
    public ClassifierTrainer Trainer { get; init; } = ClassifierTrainer.LightGbm;
    /// <summary>Seed of the ML context and of the learner; the same data and seed give the same model.</summary>
    public int Seed { get; init; } = 1;
    public int NumberOfIterations { get; init; } = 200;
    public int NumberOfLeaves { get; init; } = 15;
    public int MinimumExampleCountPerLeaf { get; init; } = 5;
    public double LearningRate { get; init; } = 0.1;
}

/// <summary>The classifier's answer for one patch.</summary>
/// <param name="Class">The most likely class.</param>
/// <param name="Confidence">Its score (a probability in [0, 1]).</param>
/// <param name="Scores">Probability of every class the model knows, by class code.</param>
public sealed record PatchPrediction(ChangeClass Class, double Confidence, IReadOnlyDictionary<string, double> Scores)
{
    /// <summary>
    /// False when the patch lies outside the feature envelope of the model's training data
    /// (<see cref="FeatureEnvelope"/>): the model has never seen anything like it, and its call is a guess
    /// however confident it looks (a model trained on synthetic scenes meets another sensor's digital numbers).
    /// </summary>
    public bool InDomain { get; init; } = true;
}

/// <summary>
/// Change type and pseudo-change classifier for monitoring patches: an ML.NET multiclass model over
/// <see cref="PatchFeatures"/>. Training is deterministic for a given seed (single-threaded learner).
/// The saved zip holds the ML.NET model plus an entry <c>cdx-classifier.json</c> with the feature
/// schema version; a zip built on another schema is refused on load. <see cref="Predict(float[])"/> is thread-safe.
/// Disposing releases the prediction engine (and its native LightGBM booster where that is the trainer).
/// </summary>
public sealed class PatchClassifier : IDisposable
{
    /// <summary>The side entry in the model zip.</summary>
    public const string MetadataEntry = "cdx-classifier.json";

    /// <summary>The model name that means "no classifier" (region config <c>"model": "none"</c>, <c>--model none</c>).</summary>
    public const string NoModel = "none";

    /// <summary>
    /// The default model shipped next to the host (<c>models/classifier.zip</c> beside the cdx assemblies,
    /// trained from synthetic regions; see README, "Default classifier model"). What a region config without
    /// a <c>model</c> key, <c>cdx demo</c> and <c>cdx eval</c> use. The file may be missing in a host that does not ship it.
    /// </summary>
    public static string ShippedModelPath => Path.Combine(AppContext.BaseDirectory, "models", "classifier.zip");

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly PredictionEngine<FeatureRow, PredictionRow> _engine;
    private readonly string[] _slotClasses;
    private readonly Lock _gate = new();

    private PatchClassifier(MLContext ml, ITransformer model, ClassifierTrainer trainer, IReadOnlyList<string> classes, FeatureEnvelope? envelope, (double Min, double Max)? pixelSizes)
    {
        Envelope = envelope;
        PixelSizesM = pixelSizes;
        _ml = ml;
        _model = model;
        Trainer = trainer;
        _engine = ml.Model.CreatePredictionEngine<FeatureRow, PredictionRow>(model);
        var scoreColumn = _engine.OutputSchema["Score"];
        VBuffer<ReadOnlyMemory<char>> names = default;
        scoreColumn.GetSlotNames(ref names);
        _slotClasses = names.DenseValues().Select(v => v.ToString()).ToArray();
        Classes = classes.Count > 0 ? classes : _slotClasses;
    }

    public ClassifierTrainer Trainer { get; }

    /// <summary>
    /// The smallest and largest pixel size (m) of the training patches, or null for a model saved before
    /// they were recorded. Pixel counts, perimeters in pixels and textures all scale with the pixel size,
    /// so a model acts only on patches within <see cref="PixelSizeFactor"/> of these sizes.
    /// </summary>
    public (double Min, double Max)? PixelSizesM { get; }

    /// <summary>
    /// How far (as a factor) a patch's pixel size may lie from the training pixel sizes: two, the step
    /// between sensor families (GF-2 0.8 m, GF-1 2 m; Sentinel-2 10 m, Landsat 30 m), within which a
    /// patch's pixel count changes by at most four for the same ground.
    /// </summary>
    public const double PixelSizeFactor = 2;

    /// <summary>
    /// The pixel size (m) of the imagery a patch came from, from its own features: its area in m² over its
    /// pixel count (both are features, as log10), so no extra input is needed.
    /// </summary>
    public static double PixelSizeOf(ReadOnlySpan<float> features) =>
        Math.Sqrt(Math.Pow(10, features[AreaSlot] - features[PixelCountSlot]));

    private static readonly int AreaSlot = PatchFeatures.IndexOf("area_m2_log10");
    private static readonly int PixelCountSlot = PatchFeatures.IndexOf("pixel_count_log10");

    /// <summary>True when the model's calls on <paramref name="features"/> can be acted on: the patch's pixel size is near the training sizes and its features lie in the training <see cref="Envelope"/>.</summary>
    public bool InDomain(float[] features)
    {
        if (PixelSizesM is var (min, max))
        {
            double size = PixelSizeOf(features);
            // Area and pixel count of a patch are rounded features: allow 1 % on top of the factor.
            if (!(size >= min / PixelSizeFactor / 1.01 && size <= max * PixelSizeFactor * 1.01)) return false;
        }
        return Envelope?.Contains(features) ?? true;
    }

    /// <summary>Where the training examples' features lay (null for a model saved before envelopes were recorded: every patch counts as in its domain).</summary>
    public FeatureEnvelope? Envelope { get; }

    /// <summary>Class codes the model can answer, in score order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Trains a classifier on labelled feature vectors (labels are <see cref="ChangeClasses"/> codes).</summary>
    /// <exception cref="ChangeDetectionException">No examples, fewer than two classes, a wrong vector length or an unknown label.</exception>
    public static PatchClassifier Train(IEnumerable<LabelledFeatures> examples, PatchClassifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new PatchClassifierOptions();
        var rows = new List<FeatureRow>();
        foreach (var e in examples)
        {
            if (e.Features.Length != PatchFeatures.Length)
                throw new ChangeDetectionException($"A training example has {e.Features.Length} features; schema {PatchFeatures.SchemaVersion} has {PatchFeatures.Length}.");
            try { ChangeClasses.FromCode(e.Label); }
            catch (ArgumentException x) { throw new ChangeDetectionException(x.Message, x); }
            if (!(e.Weight > 0) || float.IsInfinity(e.Weight))
                throw new ChangeDetectionException($"A training example has weight {e.Weight}; weights must be positive and finite.");
            rows.Add(new FeatureRow { Features = e.Features, Label = e.Label, Weight = e.Weight });
        }
        if (rows.Count == 0) throw new ChangeDetectionException("No training examples.");
        var classes = rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).ToList();
        if (classes.Count < 2) throw new ChangeDetectionException($"Training needs at least two classes; got only '{classes.FirstOrDefault()}'.");
        // A fixed class (key) order makes the model independent of the example order.
        classes = ChangeClasses.All.Select(c => c.Code).Where(classes.Contains).ToList();

        var ml = new MLContext(seed: options.Seed);
        var data = ml.Data.LoadFromEnumerable(rows);
        var keys = ml.Data.LoadFromEnumerable(classes.Select(c => new KeyRow { Label = c }));
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", "Label", keyData: keys);
        IEstimator<ITransformer> trainer = options.Trainer switch
        {
            ClassifierTrainer.LightGbm => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = "Label", FeatureColumnName = "Features", ExampleWeightColumnName = "Weight",
                NumberOfIterations = options.NumberOfIterations, NumberOfLeaves = options.NumberOfLeaves,
                MinimumExampleCountPerLeaf = options.MinimumExampleCountPerLeaf, LearningRate = options.LearningRate,
                Seed = options.Seed, NumberOfThreads = 1, Silent = true, Verbose = false,
            }),
            ClassifierTrainer.FastTree => ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
                {
                    LabelColumnName = "Label", FeatureColumnName = "Features", ExampleWeightColumnName = "Weight",
                    NumberOfTrees = options.NumberOfIterations, NumberOfLeaves = options.NumberOfLeaves,
                    MinimumExampleCountPerLeaf = options.MinimumExampleCountPerLeaf, LearningRate = options.LearningRate,
                    Seed = options.Seed, NumberOfThreads = 1,
                }), labelColumnName: "Label"),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Trainer, "Unknown trainer."),
        };
        var pipeline = toKey.Append(trainer).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var sizes = rows.Select(r => PixelSizeOf(r.Features)).Where(double.IsFinite).ToList();
        return new PatchClassifier(ml, model, options.Trainer, classes, FeatureEnvelope.Of(rows.Select(r => r.Features)),
            sizes.Count == 0 ? null : (sizes.Min(), sizes.Max()));
    }

    /// <summary>The class of one patch.</summary>
    /// <exception cref="ChangeDetectionException">Wrong vector length.</exception>
    public PatchPrediction Predict(float[] features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length != PatchFeatures.Length)
            throw new ChangeDetectionException($"The feature vector has {features.Length} values; schema {PatchFeatures.SchemaVersion} has {PatchFeatures.Length}.");
        PredictionRow p;
        lock (_gate) p = _engine.Predict(new FeatureRow { Features = features, Label = "" });
        // One-versus-all scores are per-class probabilities that need not sum to 1: normalise.
        double total = 0;
        for (int i = 0; i < p.Score.Length; i++) total += Math.Max(0, p.Score[i]);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        int best = 0;
        for (int i = 0; i < p.Score.Length; i++)
        {
            double s = total > 0 ? Math.Max(0, p.Score[i]) / total : 1.0 / p.Score.Length;
            scores[_slotClasses[i]] = s;
            if (p.Score[i] > p.Score[best]) best = i;
        }
        var code = _slotClasses[best];
        return new PatchPrediction(ChangeClasses.FromCode(code), scores[code], scores) { InDomain = InDomain(features) };
    }

    /// <summary>Writes the model zip (ML.NET model + <see cref="MetadataEntry"/>), atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string partial = full + ".partial";
        var schema = _ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>()).Schema;
        _ml.Model.Save(_model, schema, partial);
        ModelZip.AddMetadata(partial, MetadataEntry, s => JsonSerializer.Serialize(s, new ModelMetadata
        {
            SchemaVersion = PatchFeatures.SchemaVersion, FeatureCount = PatchFeatures.Length,
            FeatureNames = [.. PatchFeatures.Names], Classes = [.. Classes], Trainer = Trainer.ToString(),
            EnvelopeLow = Envelope?.Low.ToArray(), EnvelopeHigh = Envelope?.High.ToArray(),
            PixelSizeMinM = PixelSizesM?.Min, PixelSizeMaxM = PixelSizesM?.Max,
        }, MetadataJson.Default.ModelMetadata));
        File.Move(partial, full, overwrite: true);
    }

    /// <summary>Releases the prediction engine; <see cref="Predict(float[])"/> cannot be called afterwards.</summary>
    public void Dispose()
    {
        lock (_gate) _engine.Dispose();
    }

    /// <summary>Loads a model zip written by <see cref="Save"/>.</summary>
    /// <exception cref="ChangeDetectionException">Missing or unreadable file, no metadata, or a feature schema other than <see cref="PatchFeatures.SchemaVersion"/>.</exception>
    public static PatchClassifier Load(string path)
    {
        var meta = CheckedMetadata(path);
        var ml = new MLContext(seed: 1);
        ITransformer model;
        try
        {
            model = ml.Model.Load(path, out _);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IOException or InvalidDataException)
        {
            throw new ChangeDetectionException($"{path}: cannot load the ML.NET model ({e.Message}).", e);
        }
        var trainer = Enum.TryParse<ClassifierTrainer>(meta.Trainer, out var t) ? t : ClassifierTrainer.LightGbm;
        var envelope = meta.EnvelopeLow is { } lo && meta.EnvelopeHigh is { } hi && lo.Length == PatchFeatures.Length && hi.Length == PatchFeatures.Length
            ? new FeatureEnvelope(lo, hi) : null;
        (double, double)? sizes = meta.PixelSizeMinM is double lo2 && meta.PixelSizeMaxM is double hi2 ? (lo2, hi2) : null;
        return new PatchClassifier(ml, model, trainer, meta.Classes ?? [], envelope, sizes);
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is a classifier this build can use (exists, has its metadata, same
    /// feature schema) without loading the ML.NET model: what a run checks before its raster work.
    /// </summary>
    /// <exception cref="ChangeDetectionException">The file is missing, not a classifier zip, or of another feature schema.</exception>
    public static void Check(string path) => CheckedMetadata(path);

    private static ModelMetadata CheckedMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: classifier model not found.");
        var meta = ModelZip.ReadMetadata(path, MetadataEntry, MetadataJson.Default.ModelMetadata, "classifier", "train one with 'cdx train'");
        if (meta.SchemaVersion != PatchFeatures.SchemaVersion || meta.FeatureCount != PatchFeatures.Length)
            throw new ChangeDetectionException(
                $"{path}: the model was trained on patch feature schema {meta.SchemaVersion} ({meta.FeatureCount} features); this build computes schema {PatchFeatures.SchemaVersion} ({PatchFeatures.Length} features). Retrain it with 'cdx train'.");
        return meta;
    }

    /// <summary>The schema version recorded in a model zip (null when it has none).</summary>
    public static int? ReadSchemaVersion(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var entry = zip.GetEntry(MetadataEntry);
        if (entry is null) return null;
        using var s = entry.Open();
        return JsonSerializer.Deserialize(s, MetadataJson.Default.ModelMetadata)?.SchemaVersion;
    }

    internal sealed class FeatureRow
    {
        [VectorType(PatchFeatures.Length)]
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
        public float Weight { get; set; } = 1;
    }

    internal sealed class KeyRow
    {
        public string Label { get; set; } = "";
    }

    internal sealed class PredictionRow
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }
}

/// <summary>The side entry of a model zip.</summary>
internal sealed class ModelMetadata
{
    public int SchemaVersion { get; set; }
    public int FeatureCount { get; set; }
    public string[]? FeatureNames { get; set; }
    public string[]? Classes { get; set; }
    public string? Trainer { get; set; }
    public float[]? EnvelopeLow { get; set; }
    public double? PixelSizeMinM { get; set; }
    public double? PixelSizeMaxM { get; set; }
    public float[]? EnvelopeHigh { get; set; }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ModelMetadata))]
internal sealed partial class MetadataJson : System.Text.Json.Serialization.JsonSerializerContext;
