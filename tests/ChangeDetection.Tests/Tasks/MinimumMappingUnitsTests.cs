using ChangeDetection.Tasks;

namespace ChangeDetection.Tests.Tasks;

[TestFixture]
public class MinimumMappingUnitsTests
{
    [Test]
    public void EachClassHasItsUnitAndTheRestTheDefault()
    {
        var units = new MinimumMappingUnits(new Dictionary<string, double> { ["default"] = 400, ["construction"] = 200, ["pond"] = 600 });
        Assert.Multiple(() =>
        {
            Assert.That(units.For("construction"), Is.EqualTo(200));
            Assert.That(units.For("pond"), Is.EqualTo(600));
            Assert.That(units.For("road"), Is.EqualTo(400));
            Assert.That(units.For("unclassified"), Is.EqualTo(400));
            Assert.That(units.Keeps("construction", 250), Is.True);
            Assert.That(units.Keeps("road", 250), Is.False);
            Assert.That(units.Keeps("pond", 599.9), Is.False);
            Assert.That(units.Smallest(classified: true), Is.EqualTo(200));
            Assert.That(units.Smallest(classified: false), Is.EqualTo(400), "without classes only the default can apply");
        });
    }

    [Test]
    public void WithoutADefaultTheFallbackApplies()
    {
        var units = new MinimumMappingUnits(new Dictionary<string, double> { ["solar"] = 1000 }, fallbackM2: 300);
        Assert.Multiple(() =>
        {
            Assert.That(units.DefaultM2, Is.EqualTo(300));
            Assert.That(units.Smallest(true), Is.EqualTo(300));
        });
    }

    [Test]
    public void UnknownClassOrNegativeAreaIsRefused()
    {
        Assert.That(() => new MinimumMappingUnits(new Dictionary<string, double> { ["buidling"] = 100 }),
            Throws.ArgumentException.With.Message.Contains("'buidling' is not a change class"));
        Assert.That(() => new MinimumMappingUnits(new Dictionary<string, double> { ["road"] = -1 }),
            Throws.ArgumentException.With.Message.Contains("non-negative"));
    }
}
