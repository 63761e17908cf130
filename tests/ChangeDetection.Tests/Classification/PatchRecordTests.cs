using ChangeDetection.Classification;
using ChangeDetection.Tasks;
using ChangeDetection.Vectorization;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Classification;

/// <summary>The product rules and the feature join on patches keyed by their <see cref="PatchId"/>.</summary>
[TestFixture]
public class PatchRecordTests
{
    private static Patch Square(double side, PatchId id)
    {
        var g = new GeometryFactory().CreatePolygon([new(0, 0), new(side, 0), new(side, side), new(0, side), new(0, 0)]);
        return new Patch
        {
            Id = 1, PatchId = id, ClassValue = 1, PixelGeometry = g, PixelCount = 100, MapGeometry = g, AreaM2 = g.Area,
            CentroidX = side / 2, CentroidY = side / 2, HoleCount = 0, Simplified = false,
        };
    }

    [Test]
    public void ClassifyingRecordsDecidesAsDecideDoesOnTheSamePatchesAndFeatures()
    {
        using var rules = ProductRules.Load(null);
        var patches = new[] { Square(10, new PatchId(0, 0)), Square(30, new PatchId(40, 0)) };
        var features = patches.Select(_ => new float[PatchFeatures.Length]).ToArray();
        var decisions = rules.Decide(patches, features);
        var records = rules.Classify([.. patches.Select((p, i) => new PatchRecord(p) { Features = features[i] })]);
        Assert.That(decisions.Select(d => d.Delivered), Is.EqualTo(new[] { false, true }), "precondition: 100 m² is below the default unit, 900 m² above");
        Assert.That(records.Select(r => (r.Id, r.Class, r.Delivered)), Is.EqualTo(patches.Select((p, i) => (p.PatchId, decisions[i].Class, decisions[i].Delivered))));
    }

    [Test]
    public void ARecordWithoutFeaturesIsRefused()
    {
        using var rules = ProductRules.Load(null);
        Assert.That(() => rules.Classify([new PatchRecord(Square(30, new PatchId(2, 3)))]),
            Throws.ArgumentException.With.Message.Contains("2,3"));
    }

    [Test]
    public void FeaturesRefuseTwoPatchesWithOneId()
    {
        var patch = Square(10, new PatchId(1, 1));
        Assert.That(() => PatchFeatures.ByPatch([patch, patch], [], PixelOwners.None, 1f), Throws.ArgumentException.With.Message.Contains("1,1"));
    }
}
