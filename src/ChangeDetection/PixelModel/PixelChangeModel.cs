using System.IO.Compression;
using System.Text.Json;
using ChangeDetection.Raster;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace ChangeDetection.PixelModel;

/// <summary>The calibration of a <see cref="PixelChangeModel"/> (ML.NET's calibrators).</summary>
public enum PixelCalibration
{
    /// <summary>Isotonic regression (pool-adjacent-violators): any monotone shape, a step function of the score.</summary>
    Isotonic,
    /// <summary>Platt scaling: a sigmoid of the score (two parameters).</summary>
    Platt,
}

/// <summary>Options of <see cref="PixelChangeModel.Train"/>.</summary>
public sealed record PixelModelOptions
{
    /// <summary>Seed of the ML context and of the learner; the same samples and seed give the same model.</summary>
    public int Seed { get; init; } = 1;

    // ~150 small trees train in a few seconds on ~100 000 pixels × ~50 features with one thread, which
    // keeps the ~19 leave-one-group-out trainings of cdx eval fast. Small, well-populated leaves generalise
    // across scenes: on pixel-lopo, 15 leaves of ≥ 300 pixels beat 31 of ≥ 100 on every source (OSCD 0.236 →
    // 0.291, LEVIR-CD 0.572 → 0.581 pooled F1) and 7 of ≥ 500 on OSCD and LEVIR-CD.
    public int NumberOfIterations { get; init; } = 150;
    public int NumberOfLeaves { get; init; } = 15;
    public int MinimumExampleCountPerLeaf { get; init; } = 300;
    public double LearningRate { get; init; } = 0.1;

    /// <summary>How the trees' scores become probabilities, fitted on the calibration pixels.</summary>
    public PixelCalibration Calibration { get; init; } = PixelCalibration.Isotonic;

    /// <summary>
    /// The probability above which a pixel is change. Null (the default): the threshold of best F1 on the
    /// calibration pixels' calibrated probabilities (weighted to the training pairs' class balance), since
    /// F1 rewards calling change below even odds when change is rare; 0.5 when those pixels hold only one class.
    /// </summary>
    public double? Threshold { get; init; }

    /// <summary>
    /// How the model's probability becomes change where it scores (saved with it). <see cref="PixelThresholdRule.Scene"/>
    /// (the default): per scene, the plug-in threshold of expected F1 on that scene's probabilities, with
    /// <see cref="Threshold"/> as the fallback. A threshold fixed on the training pixels holds for their prevalence and
    /// calibration, which a held-out city does not share: on OSCD leave-one-city-out the scene rule raised pixel F1 from
    /// 0.392 to 0.418 pooled (mean of cities 0.324 → 0.356), lower on no city (README, Learned pixel model).
    /// </summary>
    public PixelThresholdRule ThresholdRule { get; init; } = PixelThresholdRule.Scene;
}

/// <summary>
/// A learned per-pixel change model: ML.NET LightGBM binary trees over <see cref="PixelFeatureSchema"/>
/// channels, a calibration (<see cref="PixelCalibration"/>) fitted on pixels the trees never saw, and a probability threshold.
/// The model knows the bands and the feature names it was trained on and refuses a pair without those
/// bands. Saved as a zip (the ML.NET model plus <see cref="MetadataEntry"/>); a zip of another schema is
/// refused on load.
/// </summary>
public sealed class PixelChangeModel
{
    /// <summary>The side entry in the model zip.</summary>
    public const string MetadataEntry = "cdx-pixel-model.json";

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly SchemaDefinition _rowSchema;

    private PixelChangeModel(MLContext ml, ITransformer model, PixelFeatureSchema schema, IReadOnlyList<SpectralBand> bands, double threshold,
        PixelThresholdRule rule)
    {
        ThresholdRule = rule;
        _ml = ml;
        _model = model;
        Schema = schema;
        Bands = [.. bands];
        FeatureNames = schema.Names(bands);
        Threshold = threshold;
        _rowSchema = RowSchema(FeatureNames.Count);
    }

    public PixelFeatureSchema Schema { get; }

    /// <summary>The bands the model was trained on, in feature order.</summary>
    public IReadOnlyList<SpectralBand> Bands { get; }

    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>
    /// Calibrated probability above which a pixel is change under <see cref="PixelThresholdRule.Model"/>, and the fallback
    /// of <see cref="PixelThresholdRule.Scene"/> on a scene without probability mass.
    /// </summary>
    public double Threshold { get; }

    /// <summary>How the probability becomes change where the model scores (<see cref="PixelTileMask.Threshold"/> gives the value used on a pair).</summary>
    public PixelThresholdRule ThresholdRule { get; }

    /// <summary>Trains a model on the drawn pixels of some pairs (all with the same bands and feature names).</summary>
    /// <exception cref="ChangeDetectionException">No samples, mixed band sets, or only one class among the tree or calibration pixels.</exception>
    public static PixelChangeModel Train(IReadOnlyList<PixelSamples> sets, PixelModelOptions? options = null, PixelFeatureSchema? schema = null)
    {
        ArgumentNullException.ThrowIfNull(sets);
        options ??= new PixelModelOptions();
        schema ??= PixelFeatureSchema.Default;
        if (sets.Count == 0 || sets.All(s => s.Count == 0)) throw new ChangeDetectionException("No labelled pixels to train the pixel model on.");
        var bands = sets[0].Bands;
        var names = schema.Names(bands);
        foreach (var s in sets)
            if (!s.Bands.SequenceEqual(bands) || !s.FeatureNames.SequenceEqual(names))
                throw new ChangeDetectionException($"{s.Name}: pixels with bands {string.Join(",", s.Bands.Select(b => b.Name()))} cannot train one model with pixels of {string.Join(",", bands.Select(b => b.Name()))}; train one model per band set.");
        var train = Rows(sets, calibration: false);
        var calibrate = Rows(sets, calibration: true);
        foreach (var (rows, what) in new[] { (train, "tree"), (calibrate, "calibration") })
            if (rows.Select(r => r.Label).Distinct().Count() < 2)
                throw new ChangeDetectionException($"The {what} pixels ({rows.Count}) are all {(rows.Count > 0 && rows[0].Label ? "changed" : "unchanged")}; the pixel model needs labelled change and no change (give more pairs).");

        var ml = new MLContext(seed: options.Seed);
        var rowSchema = RowSchema(names.Count);
        var trees = ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = "Label", FeatureColumnName = "Features", ExampleWeightColumnName = "Weight",
            NumberOfIterations = options.NumberOfIterations, NumberOfLeaves = options.NumberOfLeaves,
            MinimumExampleCountPerLeaf = options.MinimumExampleCountPerLeaf, LearningRate = options.LearningRate,
            Seed = options.Seed, Deterministic = true, NumberOfThreads = 1, Silent = true, Verbose = false,
        }).Fit(ml.Data.LoadFromEnumerable(train, rowSchema));
        // The trees' own sigmoid is fitted on the pixels they were grown on, which they fit too well: the
        // calibration is refitted on pixels held out of the trees, weighted like the trees.
        var scoredCalibration = trees.Transform(ml.Data.LoadFromEnumerable(calibrate, rowSchema));
        ITransformer calibrator = options.Calibration == PixelCalibration.Platt
            ? ml.BinaryClassification.Calibrators.Platt("Label", "Score", "Weight").Fit(scoredCalibration)
            : ml.BinaryClassification.Calibrators.Isotonic("Label", "Score", "Weight").Fit(scoredCalibration);
        // The chain lives as long as the model that predicts with it, as ML.NET's own fitted chains do.
#pragma warning disable CA2000
        var model = new TransformerChain<ITransformer>(trees, calibrator);
#pragma warning restore CA2000
        var built = new PixelChangeModel(ml, model, schema, bands, 0.5, options.ThresholdRule);
        double threshold = options.Threshold ?? built.BestF1Threshold(calibrate);
        return new PixelChangeModel(ml, model, schema, bands, threshold, options.ThresholdRule);
    }

    /// <summary>The calibrated probability of change of each row of a row-major feature block (<see cref="FeatureNames"/> order).</summary>
    public float[] Probabilities(float[] features, int rows)
    {
        ArgumentNullException.ThrowIfNull(features);
        int f = FeatureNames.Count;
        if (features.Length < rows * f) throw new ArgumentException($"{features.Length} values do not hold {rows} rows of {f} features.", nameof(features));
        var input = new List<Row>(rows);
        for (int i = 0; i < rows; i++) input.Add(new Row { Features = features.AsSpan(i * f, f).ToArray() });
        return Probabilities(input);
    }

    private float[] Probabilities(IReadOnlyList<Row> rows)
    {
        var result = new float[rows.Count];
        if (rows.Count == 0) return result;
        var scored = _model.Transform(_ml.Data.LoadFromEnumerable(rows, _rowSchema));
        var column = scored.Schema["Probability"];
        using var cursor = scored.GetRowCursor([column]);
        var get = cursor.GetGetter<float>(column);
        float p = 0;
        int k = 0;
        while (cursor.MoveNext())
        {
            get(ref p);
            result[k++] = p;
        }
        return result;
    }

    /// <summary>
    /// The threshold of best weighted F1 over the rows' calibrated probabilities: sweeping from the highest
    /// probability down, F1 of calling change every row at or above it; change is then a probability above the
    /// midpoint to the next lower probability, so the threshold sits between the rows, not on one.
    /// </summary>
    private double BestF1Threshold(IReadOnlyList<Row> rows)
    {
        var p = Probabilities(rows);
        var order = Enumerable.Range(0, rows.Count).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        double positives = rows.Where(r => r.Label).Sum(r => (double)r.Weight);
        if (positives <= 0) return 0.5;
        double tp = 0, fp = 0, best = -1, threshold = 0.5;
        for (int j = 0; j < order.Length; j++)
        {
            var r = rows[order[j]];
            if (r.Label) tp += r.Weight; else fp += r.Weight;
            // Only between distinct probabilities can a threshold separate the rows.
            if (j + 1 < order.Length && p[order[j + 1]] == p[order[j]]) continue;
            double f1 = 2 * tp / (2 * tp + fp + (positives - tp));
            if (f1 > best)
            {
                best = f1;
                threshold = j + 1 < order.Length ? (p[order[j]] + (double)p[order[j + 1]]) / 2 : p[order[j]] / 2.0;
            }
        }
        return threshold;
    }

    /// <summary>Writes the model zip (ML.NET model + <see cref="MetadataEntry"/>), atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string partial = full + ".partial";
        var inputSchema = _ml.Data.LoadFromEnumerable(Array.Empty<Row>(), _rowSchema).Schema;
        _ml.Model.Save(_model, inputSchema, partial);
        Classification.ModelZip.AddMetadata(partial, MetadataEntry, s => JsonSerializer.Serialize(s, new PixelModelMetadata
        {
            SchemaVersion = Schema.Version, ChannelGroups = [.. Schema.Groups.Select(g => g.Id)],
            Bands = [.. Bands.Select(b => b.Name())], FeatureNames = [.. FeatureNames], Threshold = Threshold,
            ThresholdRule = ThresholdRule == PixelThresholdRule.Scene ? "scene" : "model",
        }, PixelModelJson.Default.PixelModelMetadata));
        File.Move(partial, full, overwrite: true);
    }

    /// <summary>Loads a model zip written by <see cref="Save"/>, for <paramref name="schema"/> (the default schema when null).</summary>
    /// <exception cref="ChangeDetectionException">Missing or unreadable file, no metadata, or another schema version, channel groups or feature list.</exception>
    public static PixelChangeModel Load(string path, PixelFeatureSchema? schema = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        schema ??= PixelFeatureSchema.Default;
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: pixel model not found; train one with 'cdx train --pairs PAIRS.csv --pixel-model {Path.GetFileName(path)}'.");
        var meta = Classification.ModelZip.ReadMetadata(path, MetadataEntry, PixelModelJson.Default.PixelModelMetadata, "pixel model",
            "train one with 'cdx train --pairs PAIRS.csv --pixel-model FILE'");
        var groups = schema.Groups.Select(g => g.Id).ToArray();
        if (meta.SchemaVersion != schema.Version || !(meta.ChannelGroups ?? []).SequenceEqual(groups))
            throw new ChangeDetectionException(
                $"{path}: the model was trained on pixel feature schema {meta.SchemaVersion} ({string.Join(", ", meta.ChannelGroups ?? [])}); this build computes schema {schema.Version} ({string.Join(", ", groups)}). Retrain it with 'cdx train --pairs PAIRS.csv --pixel-model FILE'.");
        var bands = new List<SpectralBand>();
        foreach (string name in meta.Bands ?? [])
            bands.Add(SpectralBands.Parse(name) ?? throw new ChangeDetectionException($"{path}: unknown band '{name}' in {MetadataEntry}."));
        var names = schema.Names(bands);
        if (!(meta.FeatureNames ?? []).SequenceEqual(names))
            throw new ChangeDetectionException($"{path}: the model's {meta.FeatureNames?.Length ?? 0} features differ from the {names.Count} this build computes for bands {string.Join(",", bands.Select(b => b.Name()))}. Retrain it with 'cdx train --pairs PAIRS.csv --pixel-model FILE'.");
        if (!(meta.Threshold is > 0 and < 1))
            throw new ChangeDetectionException($"{path}: threshold {meta.Threshold} in {MetadataEntry} is not a probability between 0 and 1.");
        // A model saved before the rule was recorded used its own threshold everywhere, and keeps doing so.
        var rule = meta.ThresholdRule switch
        {
            null or "model" => PixelThresholdRule.Model,
            "scene" => PixelThresholdRule.Scene,
            _ => throw new ChangeDetectionException($"{path}: unknown threshold rule '{meta.ThresholdRule}' in {MetadataEntry} (expected 'scene' or 'model')."),
        };
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
        return new PixelChangeModel(ml, model, schema, bands, meta.Threshold, rule);
    }

    private static List<Row> Rows(IReadOnlyList<PixelSamples> sets, bool calibration)
    {
        var rows = new List<Row>();
        foreach (var s in sets)
        {
            int f = s.FeatureCount;
            for (int i = 0; i < s.Count; i++)
                if (s.Calibration[i] == calibration && s.Weights[i] > 0)
                    rows.Add(new Row { Features = s.Features.AsSpan(i * f, f).ToArray(), Label = s.Labels[i], Weight = s.Weights[i] });
        }
        return rows;
    }

    private static SchemaDefinition RowSchema(int features)
    {
        var def = SchemaDefinition.Create(typeof(Row));
        def[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        return def;
    }

    internal sealed class Row
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
        public float Weight { get; set; } = 1;
    }
}

/// <summary>The side entry of a pixel model zip.</summary>
internal sealed class PixelModelMetadata
{
    public int SchemaVersion { get; set; }
    public string[]? ChannelGroups { get; set; }
    public string[]? Bands { get; set; }
    public string[]? FeatureNames { get; set; }
    public double Threshold { get; set; }
    /// <summary>"scene" or "model" (<see cref="PixelThresholdRule"/>); absent in older models, which use "model".</summary>
    public string? ThresholdRule { get; set; }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(PixelModelMetadata))]
internal sealed partial class PixelModelJson : System.Text.Json.Serialization.JsonSerializerContext;
