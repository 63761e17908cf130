using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Overlay;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Synthetic;
using NetTopologySuite.Geometries.Utilities;

namespace ChangeDetection.Tests.Detection;

/// <summary>
/// The generator's farmland changes with the season between its April and July images (wheat to maize,
/// trees leafing out, spring-sown strips greening): the detector marks the injected changes and not that.
/// </summary>
[TestFixture]
public class SeasonalChangeTests
{
    [Test]
    public void SeasonalChangeOfVegetationIsNotMarkedWhileTheInjectedChangesAre()
    {
        using var dir = new TempDir();
        // Seed 8 at 768²: two-thirds of the scene is crop or trees on both dates, and it holds changes of every size.
        var sample = SyntheticRegion.Generate(dir.Path, new SyntheticRegionOptions { Size = 768, Seed = 8, Workers = 1 });
        using (var pair = ScenePair.Open(sample.BeforeImage, sample.AfterImage))
            ChangeDetector.Detect(pair, dir.File("mask.tif"), new ChangeDetectionOptions { TileSize = 256 });
        var mask = ChangeDetectorTests.ReadMask(dir.File("mask.tif"));
        var (change, pseudo) = Truth(sample);
        var (before, after) = (ReadBands(sample.BeforeImage), ReadBands(sample.AfterImage));

        long marked = 0, onChange = 0, onTruth = 0, changePixels = 0, vegetatedMarked = 0, vegetated = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            bool m = Morphology.IsChange(mask[i]);
            bool stays = VegetationGain.StaysVegetated(before[3][i], before[2][i], after[3][i], after[2][i]);
            if (stays) vegetated++;
            if (change[i]) changePixels++;
            if (!m) continue;
            marked++;
            if (change[i]) onChange++;
            if (change[i] || pseudo[i]) onTruth++;
            if (stays) vegetatedMarked++;
        }
        double recall = (double)onChange / changePixels, precision = (double)onTruth / marked;
        TestContext.Out.WriteLine($"marked {marked} of {mask.Length} px ({100.0 * marked / mask.Length:0.00} %); change px {changePixels}, recall {recall:0.000}; precision against changes and look-alikes {precision:0.000}; vegetated on both dates {vegetated} px");
        Assert.Multiple(() =>
        {
            // The phenology this rule is about is most of the scene (measured 0.66), so the test is not vacuous.
            Assert.That(vegetated, Is.GreaterThan(mask.Length / 2));
            Assert.That(vegetatedMarked, Is.Zero, "ground vegetated on both dates is never change, also after the closing");
            // Measured 0.952 (before the rule 0.996: the threshold now sits higher, above the edges of some changes).
            Assert.That(recall, Is.GreaterThanOrEqualTo(0.9));
            // Precision counts the look-alikes (cloud, ploughing, flooding) as explained: they are real spectral change
            // and the classifier's to drop. What is left is greening (spring-sown strips, bare in April, green in July),
            // which stays change, and edges. Measured 0.683; before the rule 0.297, with 9.6 % of the scene marked.
            Assert.That(precision, Is.GreaterThanOrEqualTo(0.5));
            Assert.That((double)marked / mask.Length, Is.LessThan(0.05));
        });
    }

    /// <summary>Pixels inside the truth polygons of real changes, and of look-alikes (kind <c>pseudo</c>), row-major.</summary>
    private static (bool[] Change, bool[] Pseudo) Truth(SyntheticRegionSummary sample)
    {
        var t = sample.Transform;
        // Map coordinates to pixel coordinates (no rotation in the generator's grid).
        var toPixels = new AffineTransformation(1 / t.PixelWidth, 0, -t.OriginX / t.PixelWidth, 0, 1 / t.PixelHeight, -t.OriginY / t.PixelHeight);
        var window = new PixelWindow(0, 0, sample.Size, sample.Size);
        var change = new bool[window.PixelCount];
        var pseudo = new bool[window.PixelCount];
        foreach (var f in GeoJsonLayer.Read(sample.TruthFile))
        {
            var inside = PatchFeatures.Rasterise(toPixels.Transform(f.Geometry), window);
            var target = f.Attributes["kind"]?.ToString() == "pseudo" ? pseudo : change;
            for (int i = 0; i < inside.Length; i++) target[i] |= inside[i];
        }
        return (change, pseudo);
    }

    private static ushort[][] ReadBands(string path)
    {
        using var reader = GeoTiffReader.Open(path);
        return [.. Enumerable.Range(0, 4).Select(b => reader.ReadBand<ushort>(b))];
    }
}
