using ChangeDetection.Geo;
using ChangeDetection.Overlay;
using NetTopologySuite.Geometries;
using static ChangeDetection.Tests.Overlay.OverlayFixtures;

namespace ChangeDetection.Tests.Overlay;

[TestFixture]
public sealed class OverlapTests
{
    private static readonly Crs Gk39 = new(4527);

    private static PolygonLayer Layer(Crs crs, params Geometry[] polygons) =>
        new("test-layer", crs, polygons.Select(p => new PolygonFeature(p, new Dictionary<string, object?>())).ToArray(), [], 0);

    [Test]
    public void PatchHalfInsideLayerPolygon_OverlapIsExactlyHalfItsArea()
    {
        var index = new OverlapIndex(Layer(Gk39, Box(5, 0, 50, 10)), Gk39);
        var patch = Box(0, 0, 10, 10);
        Assert.That(index.OverlapSquareMetres(patch), Is.EqualTo(50.0).Within(1e-6));
    }

    [Test]
    public void PatchWhollyInsideOrOutside_OverlapIsItsAreaOrZero()
    {
        var index = new OverlapIndex(Layer(Gk39, Box(0, 0, 100, 100)), Gk39);
        Assert.Multiple(() =>
        {
            Assert.That(index.OverlapSquareMetres(Box(10, 10, 30, 25)), Is.EqualTo(300.0).Within(1e-9));
            Assert.That(index.OverlapSquareMetres(Box(200, 200, 210, 210)), Is.Zero);
            // Touching along an edge only: intersects, but no area.
            Assert.That(index.OverlapSquareMetres(Box(100, 0, 110, 10)), Is.EqualTo(0.0).Within(1e-9));
        });
    }

    [Test]
    public void LayerPolygonWithHole_HoleAreaIsNotCounted()
    {
        var shell = Box(0, 0, 100, 100).Shell;
        var hole = Box(40, 40, 60, 60).Shell;
        var withHole = Factory.CreatePolygon(shell, [hole]);
        var index = new OverlapIndex(Layer(Gk39, withHole), Gk39);
        Assert.Multiple(() =>
        {
            // 40 × 40 patch around the 20 × 20 hole: 1600 − 400.
            Assert.That(index.OverlapSquareMetres(Box(30, 30, 70, 70)), Is.EqualTo(1200.0).Within(1e-6));
            Assert.That(index.OverlapSquareMetres(Box(45, 45, 55, 55)), Is.EqualTo(0.0).Within(1e-9), "patch inside the hole");
        });
    }

    [Test]
    public void OverlappingLayerPolygons_SharedPartCountedOnce()
    {
        var index = new OverlapIndex(Layer(Gk39, Box(0, 0, 10, 10), Box(0, 0, 10, 10), Box(5, 0, 20, 10)), Gk39);
        Assert.That(index.OverlapSquareMetres(Box(-10, 0, 30, 10)), Is.EqualTo(200.0).Within(1e-6));
    }

    [Test]
    public void LayerInLonLat_ReprojectedOntoGaussKruger_AreaAgreesWithEllipsoidalArea()
    {
        // A 1 km × 600 m quadrilateral given in CGCS2000 lon/lat near 117.59°E 34.54°N.
        var lonLat = Factory.CreatePolygon([new(117.58, 34.54), new(117.591, 34.54), new(117.591, 34.5454), new(117.58, 34.5454), new(117.58, 34.54)]);
        double ellipsoidal = new MapMeasurer(Crs.Cgcs2000).AreaSquareMetres(lonLat);
        var layer = Layer(Crs.Cgcs2000, lonLat).TransformTo(Gk39);
        Assert.That(layer.Crs.Epsg, Is.EqualTo(4527));
        var env = layer.Features[0].Geometry.EnvelopeInternal;
        Assert.That(env.MinX, Is.InRange(39_500_000.0, 39_600_000.0), "eastings carry the zone prefix");
        var index = new OverlapIndex(layer, Gk39);
        var all = Factory.ToGeometry(new Envelope(env.MinX - 10, env.MaxX + 10, env.MinY - 10, env.MaxY + 10));
        var westHalf = Factory.ToGeometry(new Envelope(env.MinX - 10, (env.MinX + env.MaxX) / 2, env.MinY - 10, env.MaxY + 10));
        Assert.Multiple(() =>
        {
            Assert.That(ellipsoidal, Is.InRange(5e5, 7e5));
            Assert.That(index.OverlapSquareMetres(all), Is.EqualTo(ellipsoidal).Within(0.1).Percent);
            Assert.That(index.OverlapSquareMetres(westHalf), Is.EqualTo(ellipsoidal / 2).Within(0.1).Percent);
        });
    }

    [Test]
    public void GeographicImageCrs_OverlapMeasuredOnTheEllipsoid()
    {
        // Layer in EPSG:4527 metres, patches in lon/lat: the overlap area (m²) must match the layer's planar area.
        var square = Box(0, 0, 500, 500);
        var layer = Layer(Gk39, square).TransformTo(Crs.Cgcs2000);
        var index = new OverlapIndex(layer, Crs.Cgcs2000);
        var env = layer.Features[0].Geometry.EnvelopeInternal;
        var patch = Factory.ToGeometry(new Envelope(env.MinX - 0.01, env.MaxX + 0.01, env.MinY - 0.01, env.MaxY + 0.01));
        Assert.That(index.OverlapSquareMetres(patch), Is.EqualTo(250_000.0).Within(0.1).Percent);
    }

    [Test]
    public void LayerInAnotherCrs_NotTransformed_IsRejected()
    {
        Assert.That(() => new OverlapIndex(Layer(Crs.Cgcs2000, Box(0, 0, 1, 1)), Gk39), Throws.ArgumentException.With.Message.Contains("EPSG:4490"));
    }

    [Test]
    public void UnknownImageCrs_WithLayerInAnotherCrs_IsAClearError()
    {
        var layer = Layer(Crs.Cgcs2000, Box(0, 0, 1, 1));
        Assert.That(() => layer.TransformTo(new Crs(2383)), Throws.InstanceOf<ChangeDetectionException>().With.Message.Contains("EPSG:2383").And.Message.Contains("test-layer"));
    }
}
