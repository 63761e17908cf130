using ChangeDetection.PixelModel;
using ChangeDetection.Raster;

namespace ChangeDetection.Evaluation;

/// <summary>A labelled pair opened for the pixel model: its bands, its normalisation and its drawn training pixels.</summary>
public sealed record PixelPair(LabelledPair Pair, IReadOnlyList<SpectralBand> Bands, PixelRadiometry Radiometry, PixelSamples Samples);

/// <summary>How a pair's pixel-model score was held out.</summary>
public enum PixelHoldOut
{
    /// <summary>Trained on the pairs of every other group with the same bands.</summary>
    Group,
    /// <summary>
    /// No other group has the pair's bands (Nanjing's Landsat bands): four models, each trained on three
    /// quadrants of the pair (minus a margin of the features' halo along the held-out quadrant) and scoring the fourth.
    /// </summary>
    SpatialFolds,
}

/// <summary>One pair's pixel-model score.</summary>
public sealed record PixelPairScore(LabelledPair Pair, ChangeScore Score, PixelHoldOut HoldOut, int TrainingPixels, string MaskPath)
{
    /// <summary>The probability threshold the mask used (the first fold's model with <see cref="PixelHoldOut.SpatialFolds"/>).</summary>
    public double Threshold { get; init; }
}

/// <summary>
/// Trains and scores the learned pixel model on labelled pairs: a model from a pair list (<c>cdx train
/// --pixel-model</c>), the score of a model on a pair (<c>cdx eval --pixel-model</c>), and the
/// leave-one-group-out score (<c>cdx eval --classifier lopo</c>, method <c>pixel-lopo</c>).
/// </summary>
public static class PixelModelEvaluation
{
    /// <summary>Opens a pair, fits its normalisation for <paramref name="bands"/> (all of the pair's when null) and draws its training pixels.</summary>
    public static PixelPair Prepare(LabelledPair pair, PixelSamplingOptions? sampling = null, IReadOnlyList<SpectralBand>? bands = null, PixelFeatureSchema? schema = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        using var scene = pair.OpenForPixelModel();
        var radiometry = PixelRadiometry.Of(scene, bands, schema: schema);
        var samples = PixelSampling.Sample(scene, pair.Truth, radiometry, schema, sampling);
        return new PixelPair(pair, radiometry.Bands, radiometry, samples);
    }

    /// <summary>
    /// The bands every pair shares (in canonical order): what one model over all of them can use.
    /// </summary>
    /// <exception cref="ChangeDetectionException">Fewer than three shared bands.</exception>
    public static IReadOnlyList<SpectralBand> CommonBands(IReadOnlyList<LabelledPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        IEnumerable<SpectralBand>? common = null;
        foreach (var p in pairs)
        {
            using var scene = p.OpenForPixelModel();
            common = common is null ? scene.Bands.ToList() : common.Intersect(scene.Bands).ToList();
        }
        var result = Enum.GetValues<SpectralBand>().Where(b => common?.Contains(b) == true).ToList();
        if (result.Count < Kernels.ChangeKernelOptions.MinBands)
            throw new ChangeDetectionException($"The pairs share only the bands {string.Join(",", result.Select(b => b.Name()))}; one pixel model needs at least {Kernels.ChangeKernelOptions.MinBands}. Train one model per sensor (one pairs CSV per band set).");
        return result;
    }

    /// <summary>
    /// Scores a pair with a model: writes the mask into <paramref name="workDir"/> (with the detector's morphology,
    /// <see cref="MaskMorphology.Default"/> when null, as <c>cdx run</c> would) and counts it against the truth.
    /// </summary>
    public static PixelPairScore Score(LabelledPair pair, PixelChangeModel model, string workDir, int tileSize = Detection.ChangeDetectionOptions.DefaultTileSize,
        PixelRadiometry? radiometry = null, MaskMorphology? morphology = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(model);
        string mask = Path.Combine(workDir, $"{pair.Source}_{pair.Name}_pixel.tif");
        PixelMaskResult written;
        using (var scene = pair.OpenForPixelModel())
            written = PixelMask.Write(scene, model, mask, tileSize, radiometry, morphology);
        return new PixelPairScore(pair, MaskEvaluation.Score(mask, pair.Truth), PixelHoldOut.Group, 0, mask) { Threshold = written.Threshold };
    }

    /// <summary>
    /// Leave one group out: every pair is scored by a model trained on the pairs of all other groups with the
    /// same bands (one model per group), or with <see cref="PixelHoldOut.SpatialFolds"/> when no other group has its bands.
    /// </summary>
    public static IReadOnlyList<PixelPairScore> LeaveOneGroupOut(IReadOnlyList<LabelledPair> pairs, string workDir, PixelModelOptions? options = null,
        int tileSize = Detection.ChangeDetectionOptions.DefaultTileSize, Action<string>? log = null, PixelFeatureSchema? schema = null, MaskMorphology? morphology = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        options ??= new PixelModelOptions();
        var shape = morphology ?? MaskMorphology.Default;
        schema ??= PixelFeatureSchema.Default;
        var prepared = pairs.Select(p =>
        {
            // Drawn as 'cdx train --pixel-model' draws (the default cap): the target is the score of the model it would
            // train on the other groups. 5 000 per class instead: LEVIR-CD 0.679 → 0.669, OSCD and Nanjing even.
            var x = Prepare(p, new PixelSamplingOptions { Seed = options.Seed }, schema: schema);
            log?.Invoke($"{p.Source}/{p.Name}: {x.Samples.Count} training pixels drawn ({x.Samples.Labels.Count(l => l)} changed), bands {string.Join(",", x.Bands.Select(b => b.Name()))}");
            return x;
        }).ToList();
        var results = new List<PixelPairScore>();
        foreach (var group in prepared.GroupBy(p => p.Pair.Group))
        {
            var bands = group.First().Bands;
            var others = prepared.Where(o => o.Pair.Group != group.Key && o.Bands.SequenceEqual(bands)).ToList();
            if (others.Count > 0)
            {
                var model = Train(others.Select(o => o.Samples).ToList(), options, schema, $"group {group.Key}");
                int n = others.Sum(o => o.Samples.Count);
                foreach (var p in group)
                {
                    var s = Score(p.Pair, model, workDir, tileSize, p.Radiometry, shape);
                    log?.Invoke($"{p.Pair.Source}/{p.Pair.Name}: pixel model trained on {others.Count} pairs of other groups ({n} pixels), threshold {s.Threshold:0.000} ({(model.ThresholdRule == PixelThresholdRule.Scene ? "the scene's" : "the model's")}): F1 {s.Score.F1:0.000}");
                    results.Add(s with { TrainingPixels = n });
                }
                continue;
            }
            foreach (var p in group)
            {
                var s = SpatialFolds(p, options, schema, workDir, tileSize, shape);
                log?.Invoke($"{p.Pair.Source}/{p.Pair.Name}: no other group has bands {string.Join(",", bands.Select(b => b.Name()))}; 2×2 spatial folds: F1 {s.Score.F1:0.000}");
                results.Add(s);
            }
        }
        // In the pairs' order, as the other methods report them.
        return [.. pairs.Select(p => results.First(r => ReferenceEquals(r.Pair, p)))];
    }

    /// <summary>Four models, each trained on the pair's pixels outside one quadrant (and a halo-wide margin), scoring that quadrant.</summary>
    private static PixelPairScore SpatialFolds(PixelPair p, PixelModelOptions options, PixelFeatureSchema schema, string workDir, int tileSize, MaskMorphology morphology)
    {
        using var scene = p.Pair.OpenForPixelModel();
        int midX = scene.Grid.Width / 2, midY = scene.Grid.Height / 2;
        int Fold(int x, int y) => (x < midX ? 0 : 1) + (y < midY ? 0 : 2);
        // A training pixel nearer the held-out quadrant than the features' halo shares context with it: the halo of the
        // groups that have channels for the pair's bands (a channel-less group sees nothing; the deep group's 128 px
        // would drop about a fifth of each training quadrant's pixels, 10 785 → 8 725, for no shared context).
        int margin = schema.HaloFor(p.Bands) + morphology.Halo;
        bool Near(int x, int y, int fold)
        {
            for (int dy = -margin; dy <= margin; dy += margin)
                for (int dx = -margin; dx <= margin; dx += margin)
                    if (Fold(Math.Clamp(x + dx, 0, scene.Grid.Width - 1), Math.Clamp(y + dy, 0, scene.Grid.Height - 1)) == fold) return true;
            return false;
        }
        var models = new List<PixelChangeModel>();
        int pixels = 0;
        for (int fold = 0; fold < 4; fold++)
        {
            int f = fold;
            var train = p.Samples.Where((x, y) => Fold(x, y) != f && !Near(x, y, f));
            pixels += train.Count;
            models.Add(Train([train], options, schema, $"{p.Pair.Source}/{p.Pair.Name} fold {fold}"));
        }
        string mask = Path.Combine(workDir, $"{p.Pair.Source}_{p.Pair.Name}_pixel.tif");
        var written = PixelMask.Write(scene, models, Fold, mask, tileSize, p.Radiometry, morphology);
        return new PixelPairScore(p.Pair, MaskEvaluation.Score(mask, p.Pair.Truth), PixelHoldOut.SpatialFolds, pixels / 4, mask) { Threshold = written.Threshold };
    }

    private static PixelChangeModel Train(IReadOnlyList<PixelSamples> samples, PixelModelOptions options, PixelFeatureSchema schema, string what)
    {
        try { return PixelChangeModel.Train(samples, options, schema); }
        catch (ChangeDetectionException e) { throw new ChangeDetectionException($"pixel model for {what}: {e.Message}", e); }
    }
}
