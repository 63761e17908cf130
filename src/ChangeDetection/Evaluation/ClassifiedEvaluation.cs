using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tasks;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Evaluation;

/// <summary>
/// One detected patch of a labelled pair, with its features and its label from the truth raster:
/// <c>construction</c> (the truth marks most of it changed), <c>pseudo</c> (mostly unchanged), or
/// null (mostly unlabelled).
/// </summary>
public sealed record PairPatch(LabelledPair Pair, Patch Patch, float[] Features, double? ChangedFraction)
{
    public string? Label => ChangedFraction is double f ? (f >= ClassifiedEvaluation.ChangeFraction ? ChangeClasses.Construction.Code : ChangeClasses.Pseudo.Code) : null;
}

/// <summary>
/// Pixel scores of real labelled pairs with the patch classifier off and on. The classifier is
/// trained only on other sources (leave-one-source-out), never on the pair being scored: a real
/// pair's patch is labelled a change when most of its labelled pixels are changed in the truth,
/// pseudo-change when most are unchanged. The real pairs label only "change", so every real change
/// is labelled <c>construction</c> (the OSCD and LEVIR labels are urban and building change).
/// </summary>
public static class ClassifiedEvaluation
{
    public static readonly double ChangeFraction = double.Parse(Environment.GetEnvironmentVariable("CDX_EXP_TAU") ?? "0.5", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Detects change on <paramref name="pair"/>, writes the mask into <paramref name="workDir"/>, and returns its patches.</summary>
    public static (string MaskPath, List<PairPatch> Patches) Detect(LabelledPair pair, ChangeDetectionOptions options, string workDir)
    {
        string mask = Path.Combine(workDir, $"{pair.Source}_{pair.Name}_mask.tif");
        using var scene = ScenePair.Open(pair.Before, pair.After);
        var detection = ChangeDetector.Detect(scene, mask, options);
        List<Patch> patches;
        using (var reader = GeoTiffReader.Open(mask))
        {
            var components = MaskPolygonizer.Polygonize(new GeoTiffMaskSource(reader));
            // Every component is scored, however small: the pixel scores count them all.
            patches = [.. PatchBuilder.Build(components, scene.Grid, new PatchOptions { MinAreaM2 = 0, SimplifyToleranceMetres = 0 })];
        }
        using var truth = GeoTiffReader.Open(pair.Truth);
        var features = PatchFeatures.ForPatches(patches, detection.Pieces, detection.Threshold);
        var result = new List<PairPatch>();
        for (int k = 0; k < patches.Count; k++)
            result.Add(new PairPatch(pair, patches[k], features[k], Label(patches[k], scene, truth)));
        return (mask, result);
    }

    private static double? Label(Patch patch, ScenePair scene, GeoTiffReader truth)
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
        using var reader = GeoTiffReader.Open(maskPath);
        var info = reader.Info;
        var mask = reader.ReadBand<byte>(0); // evaluation pairs are small (≤ 1 000²)
        int removed = 0;
        foreach (var p in patches)
        {
            var prediction = classifier.Predict(p.Features);
            if (prediction.Class.Code != ChangeClasses.Pseudo.Code || prediction.Confidence < confidence) continue;
            removed++;
            var window = PixelBounds.Of(p.Patch.PixelGeometry);
            var inside = PatchFeatures.Rasterise(p.Patch.PixelGeometry, window);
            for (int y = 0; y < window.Height; y++)
                for (int x = 0; x < window.Width; x++)
                    if (inside[y * window.Width + x]) mask[(window.Y + y) * info.Width + window.X + x] = 0;
        }
        using var writer = GeoTiffWriter.Create(outputPath, new GeoTiffWriterOptions
        {
            Width = info.Width, Height = info.Height, DataType = RasterDataType.UInt8, Transform = info.Transform,
            Crs = info.Crs, NoData = info.NoData, BandNames = ["change"],
        });
        writer.WriteWindow<byte>(info.Bounds, mask);
        return removed;
    }
}
