using ChangeDetection.Classification;
using ChangeDetection.Tasks;
using ChangeDetection.Vectorization;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Classification;

[TestFixture]
public class FeatureEnvelopeTests
{
    [Test]
    public void RangesAreTheTrainingQuantilesWithAMargin()
    {
        // Feature 0 runs 0..100 (quantiles 1 and 99 at 1 and 99), feature 1 is constant 5.
        var vectors = Enumerable.Range(0, 101).Select(i => new float[] { i, 5 }).ToList();
        var e = FeatureEnvelope.Of(vectors);
        Assert.Multiple(() =>
        {
            Assert.That(e.Low, Is.EqualTo(new float[] { 1, 5 }));
            Assert.That(e.High, Is.EqualTo(new float[] { 99, 5 }));
            // Margin: a quarter of the range (24.5) on either side.
            Assert.That(e.CountOutside([-23f, 5]), Is.EqualTo(0));
            Assert.That(e.CountOutside([-24f, 5]), Is.EqualTo(1));
            Assert.That(e.CountOutside([123f, 5]), Is.EqualTo(0));
            Assert.That(e.CountOutside([124f, 5]), Is.EqualTo(1));
            // A constant feature tolerates rounding only.
            Assert.That(e.CountOutside([50f, 5.000001f]), Is.EqualTo(0));
            Assert.That(e.CountOutside([50f, 5.1f]), Is.EqualTo(1));
            Assert.That(e.CountOutside([50f, float.NaN]), Is.EqualTo(1));
        });
    }

    [Test]
    public void UndefinedValuesDoNotShapeTheRange()
    {
        // Feature 1 is NaN in half the training vectors and in all of them for feature 2.
        var vectors = Enumerable.Range(0, 101).Select(i => new float[] { i, i % 2 == 0 ? float.NaN : 10, float.NaN }).ToList();
        var e = FeatureEnvelope.Of(vectors);
        Assert.Multiple(() =>
        {
            Assert.That(e.Low[1], Is.EqualTo(10f));
            Assert.That(e.High[1], Is.EqualTo(10f));
            Assert.That(e.CountOutside([50f, 10f, 1e30f]), Is.EqualTo(0), "a feature never defined in training constrains nothing");
            Assert.That(e.CountOutside([50f, float.NaN, 0f]), Is.EqualTo(1), "NaN where training had values is unlike the training data");
        });
    }

    [Test]
    public void ContainsAllowsAFifthOfTheFeaturesOutside()
    {
        var vectors = Enumerable.Range(0, 50).Select(i => Enumerable.Repeat((float)i, 10).ToArray()).ToList();
        var e = FeatureEnvelope.Of(vectors);
        float[] v = Enumerable.Repeat(20f, 10).ToArray();
        Assert.That(e.Contains(v), Is.True);
        v[0] = v[1] = 1000;
        Assert.That(e.Contains(v), Is.True, "2 of 10 outside");
        v[2] = 1000;
        Assert.That(e.Contains(v), Is.False, "3 of 10 outside");
        Assert.That(() => e.CountOutside(new float[3]), Throws.ArgumentException);
    }

    [Test]
    public void ClassifierFlagsVectorsUnlikeItsTrainingDataAndKeepsTheEnvelopeOnDisk()
    {
        var data = PatchClassifierTests.Blobs(40, 1);
        var c = PatchClassifier.Train(data, new PatchClassifierOptions { Seed = 3, NumberOfIterations = 30 });
        var inside = PatchClassifierTests.Blobs(5, 9)[0].Features;
        // Another sensor's units: every feature a thousand times larger.
        var outside = inside.Select(v => v * 1000 + 1000).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(c.Predict(inside).InDomain, Is.True);
            Assert.That(c.Predict(outside).InDomain, Is.False);
        });

        using var dir = new TempDir();
        string path = dir.File("m.zip");
        c.Save(path);
        var loaded = PatchClassifier.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(loaded.Envelope, Is.Not.Null);
            Assert.That(loaded.Envelope!.Low, Is.EqualTo(c.Envelope!.Low));
            Assert.That(loaded.Envelope.High, Is.EqualTo(c.Envelope.High));
            Assert.That(loaded.Predict(outside).InDomain, Is.False);
        });
    }

    [Test]
    public void ClassifierActsOnlyNearTheTrainingPixelSizes()
    {
        int area = PatchFeatures.IndexOf("area_m2_log10"), count = PatchFeatures.IndexOf("pixel_count_log10");
        // Training patches of 1 m imagery: area in m² equals the pixel count.
        var data = PatchClassifierTests.Blobs(40, 1).Select(d =>
        {
            var f = (float[])d.Features.Clone();
            f[count] = 2 + f[count];
            f[area] = f[count];
            return d with { Features = f };
        }).ToList();
        var c = PatchClassifier.Train(data, new PatchClassifierOptions { Seed = 3, NumberOfIterations = 30 });
        Assert.That(c.PixelSizesM!.Value.Min, Is.EqualTo(1.0).Within(1e-6));
        Assert.That(c.PixelSizesM!.Value.Max, Is.EqualTo(1.0).Within(1e-6));

        float[] AtPixelSize(double metres)
        {
            var f = (float[])data[0].Features.Clone();
            f[area] = (float)(f[count] + 2 * Math.Log10(metres));
            return f;
        }
        Assert.Multiple(() =>
        {
            Assert.That(PatchClassifier.PixelSizeOf(AtPixelSize(10)), Is.EqualTo(10).Within(1e-3));
            Assert.That(c.InDomain(AtPixelSize(1)), Is.True);
            Assert.That(c.InDomain(AtPixelSize(0.5)), Is.True, "GF-2-like 0.5 m against 1 m training: within a factor of two");
            Assert.That(c.InDomain(AtPixelSize(2)), Is.True);
            Assert.That(c.InDomain(AtPixelSize(3)), Is.False);
            Assert.That(c.InDomain(AtPixelSize(10)), Is.False, "Sentinel-2 patches against a 1 m model");
            Assert.That(c.Predict(AtPixelSize(10)).InDomain, Is.False);
        });
        using var dir = new TempDir();
        c.Save(dir.File("m.zip"));
        Assert.That(PatchClassifier.Load(dir.File("m.zip")).PixelSizesM, Is.EqualTo(c.PixelSizesM));
    }

    [Test]
    public void ProductRulesMakeAnOutOfDomainPatchAnUnclassifiedTask()
    {
        // Train so that the pseudo cluster (feature 0 near 20) is called pseudo with high confidence.
        var c = PatchClassifier.Train(PatchClassifierTests.Blobs(40, 1), new PatchClassifierOptions { Seed = 3, NumberOfIterations = 30 });
        var pseudo = PatchClassifierTests.Blobs(5, 9)[2].Features;
        Assert.That(c.Predict(pseudo).Class.Code, Is.EqualTo(ChangeClasses.Pseudo.Code), "precondition");
        // Scaled like another sensor's data, the same vector still lands on the pseudo side of every split.
        var foreign = pseudo.Select(v => v * 1000 + 1000).ToArray();
        Assert.That(c.Predict(foreign).Class.Code, Is.EqualTo(ChangeClasses.Pseudo.Code), "precondition: the model is confidently wrong out of domain");

        using var rules = new ProductRules(new MinimumMappingUnits(new Dictionary<string, double> { ["default"] = 0 }, 0), c, 0.5);
        var square = new GeometryFactory().CreatePolygon([new(0, 0), new(10, 0), new(10, 10), new(0, 10), new(0, 0)]);
        var patch = new Patch
        {
            Id = 1, ClassValue = 1, PixelGeometry = square, PixelCount = 100, MapGeometry = square, AreaM2 = 100,
            CentroidX = 5, CentroidY = 5, HoleCount = 0, Simplified = false,
        };
        var decisions = rules.Decide([patch, patch], [pseudo, foreign]);
        Assert.Multiple(() =>
        {
            Assert.That(decisions[0].Class?.Class, Is.EqualTo(ChangeClasses.Pseudo.Code));
            Assert.That(decisions[0].Task, Is.False);
            Assert.That(decisions[1].Class?.Class, Is.EqualTo(ChangeClasses.Unclassified.Code));
            Assert.That(decisions[1].Task, Is.True);
        });
    }
}
