using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tasks;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Evaluation;

/// <summary>
/// One detected patch of a labelled pair, with its features and the share of its labelled pixels
/// the truth marks changed (null when most of its pixels are unlabelled).
/// </summary>
public sealed record PairPatch(LabelledPair Pair, Patch Patch, float[] Features, double? ChangedFraction);

/// <summary>
/// Pixel scores of real labelled pairs with the patch classifier off and on. The classifier is
/// trained only on other pairs (leave-one-pair-out or leave-one-source-out), never on the pair
/// being scored. The real pairs label pixels, not patches, and only "change" (OSCD and LEVIR-CD
/// mark urban and building change), so every patch is a soft example: <c>construction</c> with the
/// weight of its changed share, <c>pseudo</c> with the rest. The model's pseudo probability is
/// then the share of the patch expected to be unchanged, and removing a patch raises pixel F1 only
/// when less than about F1/2 of it is changed: hence the high default confidence (0.9).
/// </summary>
public static class ClassifiedEvaluation
{
    /// <summary>The default confidence above which a pseudo call removes a patch in the evaluation.</summary>
    public const double DefaultPseudoConfidence = 0.9;

    /// <summary>
    /// Small, strongly regularised trees: the pairs differ in sensor and season, and a few hundred
    /// patches per source do not support deeper trees (measured with <c>cdx eval --classifier lopo</c>).
    /// </summary>
    public static PatchClassifierOptions ClassifierOptions { get; } = new()
    {
        NumberOfIterations = 100, NumberOfLeaves = 7, MinimumExampleCountPerLeaf = 20, LearningRate = 0.1,
    };

    /// <summary>The soft training examples of labelled patches (see the type's remarks).</summary>
    public static IEnumerable<LabelledFeatures> TrainingExamples(IEnumerable<PairPatch> patches)
    {
        ArgumentNullException.ThrowIfNull(patches);
        foreach (var p in patches)
        {
            if (p.ChangedFraction is not double f) continue;
            if (f > 0) yield return new LabelledFeatures(p.Features, ChangeClasses.Construction.Code) { Weight = (float)f };
            if (f < 1) yield return new LabelledFeatures(p.Features, ChangeClasses.Pseudo.Code) { Weight = (float)(1 - f) };
        }
    }

    /// <summary>
    /// One example per patch for <c>cdx train --pairs</c>, where the model decides task or no task per
    /// patch: a patch mostly on changed truth pixels is <c>construction</c>, one mostly on unchanged
    /// pixels <c>pseudo</c>; a patch mostly on unlabelled pixels gives none.
    /// </summary>
    public static IEnumerable<LabelledFeatures> MajorityExamples(IEnumerable<PairPatch> patches)
    {
        ArgumentNullException.ThrowIfNull(patches);
        foreach (var p in patches)
            if (p.ChangedFraction is double f)
                yield return new LabelledFeatures(p.Features, f >= 0.5 ? ChangeClasses.Construction.Code : ChangeClasses.Pseudo.Code);
    }

    /// <summary>A classifier trained on the labelled patches of <paramref name="others"/> (which must not hold the pair to be scored).</summary>
    /// <exception cref="ChangeDetectionException">The patches do not show both change and no change.</exception>
    public static PatchClassifier Train(IEnumerable<PairPatch> others, int seed = 1)
    {
        var examples = TrainingExamples(others).ToList();
        if (examples.Select(e => e.Label).Distinct().Count() < 2)
            throw new ChangeDetectionException("The other pairs' patches are all changed or all unchanged; give more pairs.");
        return PatchClassifier.Train(examples, ClassifierOptions with { Seed = seed });
    }

    /// <summary>Detects change on <paramref name="pair"/>, writes the mask into <paramref name="workDir"/>, and returns its patches.</summary>
    public static (string MaskPath, List<PairPatch> Patches) Detect(LabelledPair pair, ChangeDetectionOptions options, string workDir)
    {
        string mask = Path.Combine(workDir, $"{pair.Source}_{pair.Name}_mask.tif");
        using var scene = ScenePair.Open(pair.Before, pair.After);
        var detection = ChangeDetector.Detect(scene, mask, options);
        List<Patch> patches;
        PixelOwners owners;
        using (var reader = GeoTiffReader.Open(mask))
        {
            var polygonized = MaskPolygonizer.PolygonizeWithOwners(new GeoTiffMaskSource(reader), PatchFeatures.Probes(detection.Pieces));
            // Every component is scored, however small: the pixel scores count them all.
            patches = [.. PatchBuilder.Build(polygonized.Components, scene.Grid, new PatchOptions { MinAreaM2 = 0, SimplifyToleranceMetres = 0 })];
            owners = polygonized.Owners;
        }
        using var truth = GeoTiffReader.Open(pair.Truth);
        var features = PatchFeatures.ForPatches(patches, detection.Pieces, owners, detection.Threshold);
        var result = new List<PairPatch>();
        for (int k = 0; k < patches.Count; k++)
            result.Add(new PairPatch(pair, patches[k], features[k], ChangedFraction(patches[k], scene, truth)));
        return (mask, result);
    }

    private static double? ChangedFraction(Patch patch, ScenePair scene, GeoTiffReader truth)
    {
        var window = PixelBounds.Of(patch.PixelGeometry);
        var inside = PatchFeatures.Rasterise(patch.PixelGeometry, window);
        // The pair grid is the before grid cut to the overlap; the truth is on the before grid.
        var labels = new byte[window.PixelCount];
        truth.Read(window.Offset(scene.BeforeWindow.X, scene.BeforeWindow.Y), [0], labels.AsSpan());
        long changed = 0, unchanged = 0, total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (!inside[i]) continue;
            total++;
            if (labels[i] == 1) changed++;
            else if (labels[i] == 0) unchanged++;
        }
        if (changed + unchanged < 0.5 * total) return null;
        return (double)changed / (changed + unchanged);
    }

    /// <summary>
    /// Removes from <paramref name="maskPath"/> the patches the classifier calls pseudo-change with at
    /// least <paramref name="confidence"/>, writing <paramref name="outputPath"/>; returns how many were removed.
    /// </summary>
    public static int RemovePseudo(string maskPath, IReadOnlyList<PairPatch> patches, PatchClassifier classifier, double confidence, string outputPath)
    {
        var policy = new PseudoChangePolicy(confidence);
        var removed = patches.Where(p => policy.Drops(classifier.Predict(p.Features))).Select(p => p.Patch).ToList();
        PatchMask.Remove(maskPath, removed, outputPath);
        return removed.Count;
    }

    /// <summary>
    /// Whether a classifier scoring <paramref name="scored"/> may be trained on <paramref name="candidate"/>:
    /// leave-one-source-out trains on other sources only; leave-one-pair-out on other groups only
    /// (<see cref="LabelledPair.Group"/>: crops of one scene are held out together).
    /// </summary>
    public static bool MayTrainOn(LabelledPair candidate, LabelledPair scored, HoldOut holdOut) => holdOut switch
    {
        HoldOut.Source => candidate.Source != scored.Source,
        HoldOut.Group => candidate.Group != scored.Group && !ReferenceEquals(candidate, scored),
        _ => throw new ArgumentOutOfRangeException(nameof(holdOut), holdOut, null),
    };
}

/// <summary>What a classifier in the evaluation never trains on, besides the pair it scores.</summary>
public enum HoldOut
{
    /// <summary>Leave one source out (<c>--classifier loso</c>): every pair of the scored pair's source.</summary>
    Source,
    /// <summary>Leave one pair out (<c>--classifier lopo</c>): every pair of the scored pair's group.</summary>
    Group,
}
