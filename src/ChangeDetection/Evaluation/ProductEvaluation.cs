using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Evaluation;

/// <summary>The masks of a pair as the product delivers them, both uint8 on the pair grid (1 change, 0 none, 255 no data).</summary>
/// <param name="DetectorMaskPath">The mask as the detector wrote it.</param>
/// <param name="ProductMaskPath">The detector mask with the pixels of every patch that gives no verification task removed
/// (below its minimum mapping unit, or pseudo-change with enough confidence).</param>
/// <param name="Threshold">The detector's global threshold (change-score units).</param>
/// <param name="Candidates">The candidate patches (at least the smallest unit), aligned with <paramref name="Decisions"/>.</param>
/// <param name="Decisions">What the product rules made of each candidate.</param>
public sealed record ProductMasks(string DetectorMaskPath, string ProductMaskPath, float Threshold,
    IReadOnlyList<Patch> Candidates, IReadOnlyList<PatchDecision> Decisions)
{
    /// <summary>The after image's shift found by the detector's pass 1 (applied only when the options say so).</summary>
    public Registration.GlobalShift Registration { get; init; }

    /// <summary>Patches that become verification tasks.</summary>
    public int Tasks => Decisions.Count(d => d.Task);
    /// <summary>Patches delivered in the patch layer but called pseudo-change (no task).</summary>
    public int PseudoPatches => Decisions.Count(d => d.Delivered && !d.Task);
}

/// <summary>
/// What <c>cdx eval</c> scores by default: the product of <c>cdx run</c> on a labelled pair — the
/// detector's mask reduced to the patches that become tasks under the same <see cref="ProductRules"/>
/// a region run applies (see <see cref="ProductRules"/>), so the score is the score of what inspectors get.
/// </summary>
public static class ProductEvaluation
{
    /// <summary>
    /// Detects change on <paramref name="pair"/> and writes both masks into <paramref name="workDir"/>; with a
    /// <paramref name="pixelModel"/> its probability decides the mask, as in a region run with that pixel model
    /// (read from a pair of its own, with the pair's <see cref="LabelledPair.ExtraBands"/> as the model was trained, and with the
    /// detector's morphology: <see cref="PixelModel.PixelTileMask"/>); the detector reads the two images only.
    /// </summary>
    /// <exception cref="ChangeDetectionException">The pair lacks one of the pixel model's bands.</exception>
    public static ProductMasks Detect(LabelledPair pair, ChangeDetectionOptions options, ProductRules rules, string workDir, ScenePairOptions? sceneOptions = null,
        PixelModel.PixelChangeModel? pixelModel = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(options);
        string mask = Path.Combine(workDir, $"{pair.Source}_{pair.Name}_mask.tif");
        string product = Path.Combine(workDir, $"{pair.Source}_{pair.Name}_product.tif");
        using var scene = ScenePair.Open(pair.Before, pair.After, sceneOptions);
        using var pixelScene = pixelModel is null ? null : pair.OpenForPixelModel(sceneOptions);
        var decision = pixelScene is null ? null : new PixelModel.PixelTileMask(pixelScene, pixelModel!, PixelModel.MaskMorphology.Of(options));
        var detection = ChangeDetector.Detect(scene, mask, options, decision: decision);
        var found = rules.Candidates(mask, scene.Grid, options.Workers, PatchFeatures.Probes(detection.Pieces));
        var candidates = found.Patches;
        var features = PatchFeatures.ForPatches(candidates, detection.Pieces, found.Owners, detection.Threshold);
        var decisions = rules.Decide(candidates, features);
        PatchMask.Keep(mask, candidates.Where((_, i) => decisions[i].Task), product);
        return new ProductMasks(mask, product, detection.Threshold, candidates, decisions) { Registration = detection.Registration };
    }
}

/// <summary>
/// Rewrites a change mask (uint8, 1 change, 0 none, 255 no data) patch by patch. The pixels of a patch
/// are those whose centre lies inside its exact pixel outline. Reads the mask whole: for evaluation
/// pairs (about 1 000² pixels), not scenes.
/// </summary>
internal static class PatchMask
{
    /// <summary>Writes <paramref name="outputPath"/>: <paramref name="maskPath"/> with only the change pixels of <paramref name="keep"/> left.</summary>
    public static void Keep(string maskPath, IEnumerable<Patch> keep, string outputPath) => Rewrite(maskPath, outputPath, (mask, width) =>
    {
        var kept = new bool[mask.Length];
        foreach (var p in keep) Mark(p, width, kept);
        for (int i = 0; i < mask.Length; i++)
            if (Kernels.Morphology.IsChange(mask[i]) && !kept[i]) mask[i] = 0;
    });

    /// <summary>Writes <paramref name="outputPath"/>: <paramref name="maskPath"/> with the pixels of <paramref name="remove"/> set to no change.</summary>
    public static void Remove(string maskPath, IEnumerable<Patch> remove, string outputPath) => Rewrite(maskPath, outputPath, (mask, width) =>
    {
        var removed = new bool[mask.Length];
        foreach (var p in remove) Mark(p, width, removed);
        for (int i = 0; i < mask.Length; i++)
            if (removed[i] && Kernels.Morphology.IsChange(mask[i])) mask[i] = 0;
    });

    private static void Mark(Patch patch, int width, bool[] marks)
    {
        var window = PixelBounds.Of(patch.PixelGeometry);
        var inside = PatchFeatures.Rasterise(patch.PixelGeometry, window);
        for (int y = 0; y < window.Height; y++)
            for (int x = 0; x < window.Width; x++)
                if (inside[y * window.Width + x]) marks[(window.Y + y) * width + window.X + x] = true;
    }

    private static void Rewrite(string maskPath, string outputPath, Action<byte[], int> edit)
    {
        using var reader = GeoTiffReader.Open(maskPath);
        var info = reader.Info;
        var mask = reader.ReadBand<byte>(0);
        edit(mask, info.Width);
        using var writer = GeoTiffWriter.Create(outputPath, new GeoTiffWriterOptions
        {
            Width = info.Width, Height = info.Height, DataType = RasterDataType.UInt8, Transform = info.Transform,
            Crs = info.Crs, NoData = info.NoData, BandNames = ["change"],
        });
        writer.WriteWindow<byte>(info.Bounds, mask);
    }
}
