using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Geo;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Synthetic;
using ChangeDetection.Tests.Raster;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tests.Classification;

/// <summary>Patch features gathered in the detection tile pass (no second read of the imagery).</summary>
[TestFixture]
public class TilePassFeaturesTests
{
    private static readonly GeoTransform Gt = new(39_500_000, 2, 0, 3_800_000, 0, -2);

    private static float F(float[] f, string name) => f[PatchFeatures.IndexOf(name)];

    private static (IReadOnlyList<Patch> Patches, IReadOnlyList<float[]> Features, ChangeDetectionResult Result) Detect(
        ScenePair pair, string mask, ChangeDetectionOptions options)
    {
        var result = ChangeDetector.Detect(pair, mask, options);
        using var reader = GeoTiffReader.Open(mask);
        var polygonized = MaskPolygonizer.PolygonizeWithOwners(new GeoTiffMaskSource(reader), PatchFeatures.Probes(result.Pieces));
        var patches = PatchBuilder.Build(polygonized.Components, pair.Grid, new PatchOptions { MinAreaM2 = 0, SimplifyToleranceMetres = 0 });
        return (patches, PatchFeatures.ForPatches(patches, result.Pieces, polygonized.Owners, result.Threshold), result);
    }

    [Test]
    public void UniformChangeHasKnownScoreFeaturesAndOnePatchAcrossTileSeams()
    {
        using var dir = new TempDir();
        // An 8 × 8 square (columns and rows 12..19) changes; everything else is identical in both dates.
        static bool Inside(int c, int r) => c is >= 12 and < 20 && r is >= 12 and < 20;
        string before = ScenePairTests.Write(dir, "b.tif", 48, 48, Gt, (k, c, r) => k switch { 0 => 100, 1 => 200, 2 => 300, _ => 900 });
        string after = ScenePairTests.Write(dir, "a.tif", 48, 48, Gt, (k, c, r) => Inside(c, r)
            ? k switch { 0 => 120, 1 => 400, 2 => 500, _ => 500 }
            : k switch { 0 => 100, 1 => 200, 2 => 300, _ => 900 });
        using var pair = ScenePair.Open(before, after);
        var options = new ChangeDetectionOptions { TileSize = 64, SmoothRadius = 0, OpenRadius = 0, CloseRadius = 0, Workers = 1 };
        var model = new ChangeDetector(options).Prepare(pair);

        // The score of a changed pixel, straight from the kernel with the scene's normalisation.
        var scores = new float[2];
        ChangeKernel.Compute([100, 100, 200, 200, 300, 300, 900, 900], [120, 100, 400, 200, 500, 300, 500, 900], 2, 2, model.Kernel, scores);
        float threshold = (scores[0] + scores[1]) / 2;
        Assert.That(scores[0], Is.GreaterThan(scores[1]));

        var whole = Detect(pair, dir.File("m64.tif"), options with { Threshold = ThresholdRule.Fixed(threshold) });
        // Tile 16 cuts the square into pieces on four tiles.
        var cut = Detect(pair, dir.File("m16.tif"), options with { Threshold = ThresholdRule.Fixed(threshold), TileSize = 16 });
        Assert.That(whole.Patches, Has.Count.EqualTo(1));
        Assert.That(cut.Patches, Has.Count.EqualTo(1));
        Assert.That(cut.Result.Pieces, Has.Count.EqualTo(4));
        var f = whole.Features[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(F(f, "pixel_count_log10"), Is.EqualTo(Math.Log10(64)).Within(1e-6));
            Assert.That(F(f, "score_mean_ratio"), Is.EqualTo(scores[0] / threshold).Within(1e-5));
            Assert.That(F(f, "score_max_ratio"), Is.EqualTo(scores[0] / threshold).Within(1e-5));
            Assert.That(F(f, "score_std_ratio"), Is.EqualTo(0).Within(1e-3));
            Assert.That(F(f, "green_mean_after"), Is.EqualTo(400).Within(1e-4));
            Assert.That(F(f, "ndvi_before"), Is.EqualTo(0.5).Within(1e-6));
            Assert.That(F(f, "ndvi_after"), Is.EqualTo(0).Within(1e-6));
            Assert.That(cut.Features[0], Is.EqualTo(f).Within(1e-4), "features do not depend on the tile size");
        }
    }

    [Test]
    public void TilePassFeaturesEqualASecondReadOnEveryTileSize()
    {
        using var dir = new TempDir();
        // The 512² region of seed 5 that the region-run fixtures share (the generator's files do not depend on its workers).
        string region = ChangeDetection.Tests.Pipeline.RegionRunSample.SamplePath;
        using var pair = ScenePair.Open(Path.Combine(region, "before.tif"), Path.Combine(region, "after.tif"));
        var reference = Detect(pair, dir.File("m512.tif"), new ChangeDetectionOptions { TileSize = 512, Workers = 1 });
        Assert.That(reference.Patches, Has.Count.GreaterThan(3));
        int scoreSlots = 3, compared = PatchFeatures.Length - scoreSlots;
        foreach (int tile in new[] { 64, 128 })
        {
            var tiled = Detect(pair, dir.File($"m{tile}.tif"), new ChangeDetectionOptions { TileSize = tile, Workers = 2 });
            Assert.That(tiled.Patches, Has.Count.EqualTo(reference.Patches.Count));
            for (int k = 0; k < tiled.Patches.Count; k++)
                Assert.That(tiled.Features[k], Is.EqualTo(reference.Features[k]).Within(1e-3).Percent, $"tile {tile}, patch {k + 1}");
        }
        for (int k = 0; k < reference.Patches.Count; k++)
        {
            var again = PatchFeatures.Compute(pair, reference.Patches[k]);
            var f = reference.Features[k];
            Assert.That(f.Take(compared), Is.EqualTo(again.Take(compared)).Within(1e-3).Percent, $"patch {k + 1}");
            Assert.That(again.Skip(compared), Is.All.NaN, "a second read has no scores");
            // A patch holds pixels that passed the threshold, and pixels the closing filled in: its maximum
            // lies above the threshold. Not so for a sliver of closed-in pixels that the greening split
            // (VegetationGain) cut off from the greening next to it: a few pixels wide, far below any
            // mapping unit, so only patches of at least 5 × 5 pixels are held to it.
            if (reference.Patches[k].PixelCount >= 25)
                Assert.That(F(f, "score_max_ratio"), Is.GreaterThan(1), $"patch {k + 1}");
            Assert.That(F(f, "score_max_ratio"), Is.GreaterThanOrEqualTo(F(f, "score_mean_ratio")), $"patch {k + 1}");
        }
    }
}
