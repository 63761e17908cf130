using ChangeDetection.Geo;
using ChangeDetection.Vectorization;
using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Vectorization;

[TestFixture]
public class PatchBuilderTests
{
    private static readonly GeoGrid Grid = new(200, 200, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39);

    private static IReadOnlyList<TracedComponent> Trace(byte[] m, int w = 200, int h = 200) =>
        MaskPolygonizer.Polygonize(new ArrayMaskSource(m, w, h), new PolygonizeOptions { TileSize = 64 });

    private static void Rect(byte[] m, int x0, int y0, int x1, int y1, byte v, int w = 200)
    {
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) m[y * w + x] = v;
    }

    [Test]
    public void MinimumMappingUnitIsPerClass()
    {
        var m = new byte[200 * 200];
        Rect(m, 10, 10, 20, 17, 1); // 70 px = 280 m²: below 400
        Rect(m, 50, 50, 60, 57, 2); // 280 m², class 2 (construction): unit 200
        Rect(m, 100, 100, 115, 110, 1); // 150 px = 600 m²
        var patches = PatchBuilder.Build(Trace(m), Grid, new PatchOptions
        {
            SimplifyToleranceMetres = 0,
            MinAreaByClass = new Dictionary<byte, double> { [2] = 200 },
        });
        Assert.That(patches.Select(p => (p.Id, p.ClassValue, p.AreaM2)), Is.EqualTo(new[] { (1, (byte)2, 280.0), (2, (byte)1, 600.0) }));
        Assert.That(patches[1].AreaMu, Is.EqualTo(600 / AreaUnits.SquareMetresPerMu).Within(1e-12));
    }

    [Test]
    public void ComponentsBelowPixelsAlwaysDroppedAreThoseBuildDrops()
    {
        // 2 m pixels (4 m²) and a 400 m² unit: a component needs about 100 pixels (98.04 with the 2 % guard).
        var options = new PatchOptions();
        long cut = PatchBuilder.PixelsAlwaysDropped(Grid, options);
        Assert.That(cut, Is.EqualTo((long)Math.Floor(options.MinAreaM2 / (4 * (1 + options.MaxSimplifyAreaChange)))).Within(1));
        var m = new byte[200 * 200];
        var rng = new Random(7);
        for (int i = 0; i < 120; i++)
        {
            // Rectangles around the cut, and specks, some of them touching tile seams (every 64 px).
            int x = rng.Next(190), y = rng.Next(190), w = rng.Next(1, 14), h = rng.Next(1, 14);
            Rect(m, x, y, Math.Min(200, x + w), Math.Min(200, y + h), 1);
        }
        var all = Trace(m);
        var traced = MaskPolygonizer.Polygonize(new ArrayMaskSource(m, 200, 200), new PolygonizeOptions { TileSize = 64, MinPixelCount = cut });
        Assert.That(traced.Count, Is.LessThan(all.Count), "some components are below the cut");
        var expected = PatchBuilder.Build(all, Grid, options);
        var built = PatchBuilder.Build(traced, Grid, options);
        Assert.That(expected.Count, Is.GreaterThan(0));
        Assert.That(built.Select(p => (p.Id, p.AreaM2, p.PixelCount, p.MapGeometry.ToText())), Is.EqualTo(expected.Select(p => (p.Id, p.AreaM2, p.PixelCount, p.MapGeometry.ToText()))));
        Assert.That(all.Where(c => c.PixelCount >= cut - 1 && c.PixelCount <= cut + 2).Count(), Is.GreaterThan(0), "components near the cut exist");
    }

    [Test]
    public void NoPixelBoundWhenTheDropDependsOnMoreThanThePixelCount()
    {
        Assert.That(PatchBuilder.PixelsAlwaysDropped(Grid, new PatchOptions { FillHolesBelowMinArea = true }), Is.Zero);
        Assert.That(PatchBuilder.PixelsAlwaysDropped(Grid, new PatchOptions { MinAreaByClass = new Dictionary<byte, double> { [2] = 200 } }), Is.Zero);
        var geographic = new GeoGrid(200, 200, new GeoTransform(117, 1e-5, 0, 34, 0, -1e-5), new Crs(4490, "CGCS2000", IsGeographic: true));
        Assert.That(PatchBuilder.PixelsAlwaysDropped(geographic, new PatchOptions()), Is.Zero);
        Assert.That(PatchBuilder.PixelsAlwaysDropped(Grid, new PatchOptions()), Is.GreaterThan(0));
    }

    [Test]
    public void SmallHolesAreFilledOnlyWhenAsked()
    {
        var m = new byte[200 * 200];
        Rect(m, 10, 10, 60, 60, 1);
        Rect(m, 15, 15, 20, 20, 0);  // 25 px = 100 m²: below the unit
        Rect(m, 30, 30, 50, 50, 0);  // 400 px = 1600 m²: kept
        var keep = PatchBuilder.Build(Trace(m), Grid, new PatchOptions { SimplifyToleranceMetres = 0 });
        var fill = PatchBuilder.Build(Trace(m), Grid, new PatchOptions { SimplifyToleranceMetres = 0, FillHolesBelowMinArea = true });
        Assert.Multiple(() =>
        {
            Assert.That(keep.Single().HoleCount, Is.EqualTo(2));
            Assert.That(keep.Single().AreaM2, Is.EqualTo((2500 - 25 - 400) * 4.0));
            Assert.That(fill.Single().HoleCount, Is.EqualTo(1));
            Assert.That(fill.Single().AreaM2, Is.EqualTo((2500 - 400) * 4.0));
            Assert.That(fill.Single().PixelCount, Is.EqualTo(2500 - 25 - 400), "pixel figures stay those of the mask");
        });
    }

    [Test]
    public void SimplifiedPatchesKeepTheAreaWithinTheGuardAndFiguresAreMeasuredOnTheDeliveredGeometry()
    {
        var m = TestMasks.Make("holes", 200, 200, seed: 5);
        var comps = Trace(m);
        var patches = PatchBuilder.Build(comps, Grid, new PatchOptions { MinAreaM2 = 0 });
        var measurer = new MapMeasurer(Grid.Crs);
        Assert.That(patches, Has.Count.EqualTo(comps.Count));
        Assert.That(patches.Count(p => p.Simplified), Is.GreaterThan(0), "the default tolerance (half a pixel) simplifies staircases");
        foreach (var p in patches)
        {
            double exact = p.PixelCount * 4.0;
            Assert.That(Math.Abs(p.AreaM2 - exact), Is.LessThanOrEqualTo(0.02 * exact), $"patch {p.Id}: area guard");
            Assert.That(p.AreaM2, Is.EqualTo(measurer.AreaSquareMetres(p.MapGeometry)), $"patch {p.Id}: area of the delivered geometry");
            Assert.That(p.CentroidX, Is.EqualTo(p.MapGeometry.Centroid.X));
            Assert.That(p.CentroidY, Is.EqualTo(p.MapGeometry.Centroid.Y));
            Assert.That(p.HoleCount, Is.EqualTo(PatchBuilder.HoleCount(p.MapGeometry)));
            Assert.That(p.MapGeometry.IsValid, Is.True, $"patch {p.Id}");
            var shell = ((Polygon)p.MapGeometry).Shell;
            Assert.That(Orientation.IsCCW(shell.CoordinateSequence), Is.True, "OGC: shell counter-clockwise in map coordinates");
            var ll = measurer.ToLonLat(p.CentroidX, p.CentroidY)!.Value;
            Assert.That((p.Lon, p.Lat), Is.EqualTo((ll.Lon, ll.Lat)));
            Assert.That(p.Lon, Is.InRange(116.9, 117.1));
        }
    }

    [Test]
    public void SimplificationThatChangesTheAreaTooMuchIsReverted()
    {
        var m = new byte[200 * 200];
        // A thin diagonal staircase: a large tolerance would collapse it.
        for (int i = 0; i < 60; i++) Rect(m, 20 + i, 20 + i, 23 + i, 21 + i, 1);
        var loose = PatchBuilder.Build(Trace(m), Grid, new PatchOptions { MinAreaM2 = 0, SimplifyToleranceMetres = 6 });
        var exactArea = Trace(m).Single().PixelCount * 4.0;
        Assert.That(loose.Single().Simplified, Is.False);
        Assert.That(loose.Single().AreaM2, Is.EqualTo(exactArea));
        var unguarded = PatchBuilder.Build(Trace(m), Grid, new PatchOptions { MinAreaM2 = 0, SimplifyToleranceMetres = 6, MaxSimplifyAreaChange = 1 });
        Assert.That(unguarded.Single().Simplified, Is.True, "without the guard the same tolerance is applied");
        Assert.That(unguarded.Single().AreaM2, Is.Not.EqualTo(exactArea));
    }

    [Test]
    public void UnsimplifiedMapGeometryIsThePixelPolygonThroughTheAffineTransform()
    {
        var m = TestMasks.Make("islands", 200, 200, seed: 3);
        var comps = Trace(m);
        var patches = PatchBuilder.Build(comps, Grid, new PatchOptions { MinAreaM2 = 0, SimplifyToleranceMetres = 0 });
        Assert.That(patches, Has.Count.EqualTo(comps.Count));
        for (int i = 0; i < patches.Count; i++)
        {
            var p = patches[i];
            Assert.That(p.AreaM2, Is.EqualTo(p.PixelCount * 4.0), $"patch {p.Id}");
            var back = p.MapGeometry.Copy();
            back.Apply(new NetTopologySuite.Geometries.Utilities.AffineTransformation(0.5, 0, -39_500_000 * 0.5, 0, -0.5, 3_400_000 * 0.5));
            Assert.That(back.EqualsTopologically(comps[i].PixelGeometry), Is.True, $"patch {p.Id}");
        }
    }

    [Test]
    public void GeographicMaskGetsEllipsoidAreas()
    {
        var grid = new GeoGrid(200, 200, new GeoTransform(116, 1e-4, 0, 40, 0, -1e-4), Crs.Cgcs2000);
        var m = new byte[200 * 200];
        Rect(m, 10, 10, 60, 40, 1);
        var p = PatchBuilder.Build(Trace(m), grid, new PatchOptions { MinAreaM2 = 0 }).Single();
        var measurer = new MapMeasurer(Crs.Cgcs2000);
        var cell = new GeometryFactory().ToGeometry(new Envelope(116.001, 116.006, 40 - 0.004, 40 - 0.001));
        Assert.That(p.AreaM2, Is.EqualTo(measurer.AreaSquareMetres(cell)).Within(1e-6));
        Assert.That(p.AreaM2, Is.InRange(50 * 30 * 8.5 * 11.1, 50 * 30 * 8.6 * 11.2), "≈ 8.5 m × 11.1 m pixels at 40°N");
        Assert.That(p.Lon, Is.EqualTo(116.0035).Within(1e-9));
    }
}
