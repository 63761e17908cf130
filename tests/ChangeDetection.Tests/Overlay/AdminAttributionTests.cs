using ChangeDetection.Geo;
using ChangeDetection.Overlay;
using NetTopologySuite.Geometries;
using static ChangeDetection.Tests.Overlay.OverlayFixtures;

namespace ChangeDetection.Tests.Overlay;

[TestFixture]
public sealed class AdminAttributionTests
{
    private static readonly Crs Gk39 = new(4527);

    private static PolygonLayer Counties() => new("counties.geojson", Gk39,
    [
        new PolygonFeature(Box(0, 0, 60, 100), new Dictionary<string, object?> { ["XZQDM"] = "320305", ["XZQMC"] = "贾汪区" }),
        new PolygonFeature(Box(60, 0, 200, 100), new Dictionary<string, object?> { ["XZQDM"] = "370405", ["XZQMC"] = "台儿庄区" }),
        // An exclave of 贾汪区 east of 台儿庄区: its area adds to the same code.
        new PolygonFeature(Box(200, 0, 220, 100), new Dictionary<string, object?> { ["XZQDM"] = "320305", ["XZQMC"] = "贾汪区" }),
    ], [], 0);

    private static AdminAttribution Attribution(List<string>? warnings = null) =>
        new(Counties(), new AdminSpec("counties.geojson"), Gk39, warnings ?? []);

    [Test]
    public void PatchAcrossBorder_GoesToTheDivisionWithMostOfItsArea()
    {
        var a = Attribution();
        Assert.Multiple(() =>
        {
            // 10 m in 贾汪区, 20 m in 台儿庄区.
            Assert.That(a.Attribute(Box(50, 10, 80, 20)), Is.EqualTo(new AdminDivision("370405", "台儿庄区")));
            // 20 m in 贾汪区, 10 m in 台儿庄区.
            Assert.That(a.Attribute(Box(40, 10, 70, 20)), Is.EqualTo(new AdminDivision("320305", "贾汪区")));
            // 15 m in 台儿庄区 vs 5 + 20 m (two features) of 贾汪区: the code's parts are summed.
            Assert.That(a.Attribute(Box(55, 10, 230, 20))?.Code, Is.EqualTo("370405"), "175 m: 台儿庄区 140 vs 贾汪区 25");
            Assert.That(a.Attribute(Box(195, 10, 225, 20))?.Code, Is.EqualTo("320305"), "5 m 台儿庄区 vs 20 m exclave");
        });
    }

    [Test]
    public void PatchOutsideEveryDivision_GetsUnknownCodeAndAWarning()
    {
        var patches = new Geometry[] { Box(10, 10, 20, 20), Box(500, 500, 510, 510) };
        var loaded = (new AdminSpec("counties.geojson"), Counties());
        var result = OverlayStage.Compute(patches, Gk39, [], loaded);
        Assert.Multiple(() =>
        {
            Assert.That(result.Patches[0].AdminCode, Is.EqualTo("320305"));
            Assert.That(result.Patches[0].Admin.Province, Is.EqualTo("32"));
            Assert.That(result.Patches[0].Warnings, Is.Empty);
            Assert.That(result.Patches[1].AdminCode, Is.EqualTo("000000"));
            Assert.That(result.Patches[1].AdminName, Is.EqualTo("未知"));
            Assert.That(result.Patches[1].Admin.IsUnknown, Is.True);
            Assert.That(result.Patches[1].Warnings, Has.One.Contains("outside every administrative division"));
        });
    }

    [Test]
    public void ConfigurableFields_AndBadCodesAreReported()
    {
        var layer = new PolygonLayer("zones.shp", Gk39,
        [
            new PolygonFeature(Box(0, 0, 10, 10), new Dictionary<string, object?> { ["DM"] = "370404", ["MC"] = "峄城区" }),
            new PolygonFeature(Box(10, 0, 20, 10), new Dictionary<string, object?> { ["DM"] = "37A", ["MC"] = "坏" }),
        ], [], 0);
        var warnings = new List<string>();
        var a = new AdminAttribution(layer, new AdminSpec("zones.shp", "DM", "MC"), Gk39, warnings);
        Assert.Multiple(() =>
        {
            Assert.That(a.Attribute(Box(1, 1, 2, 2)), Is.EqualTo(new AdminDivision("370404", "峄城区")));
            Assert.That(warnings, Has.One.Contains("zones.shp").And.Contains("37A"));
        });
    }
}
