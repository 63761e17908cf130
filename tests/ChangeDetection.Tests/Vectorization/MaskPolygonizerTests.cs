using ChangeDetection.Vectorization;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace ChangeDetection.Tests.Vectorization;

[TestFixture]
public class MaskPolygonizerTests
{
    private const int W = 203, H = 187;

    private static IReadOnlyList<TracedComponent> Run(byte[] m, int w, int h, Connectivity c, int? tile, byte? noData = null) =>
        MaskPolygonizer.Polygonize(new ArrayMaskSource(m, w, h, noData), new PolygonizeOptions { Connectivity = c, TileSize = tile });

    private static IEnumerable<TestCaseData> AllKinds()
    {
        foreach (var kind in TestMasks.Kinds)
            foreach (var c in new[] { Connectivity.Four, Connectivity.Eight })
                yield return new TestCaseData(kind, c);
    }

    [TestCaseSource(nameof(AllKinds))]
    public void PolygonsAreIdenticalForEveryTileSize(string kind, Connectivity connectivity)
    {
        var m = TestMasks.Make(kind, W, H, seed: kind.Length * 7919 + (int)connectivity);
        var whole = Run(m, W, H, connectivity, tile: null);
        Assert.That(whole, Is.Not.Empty, "the mask has components");
        foreach (int tile in new[] { 17, 64, 256 })
        {
            var tiled = Run(m, W, H, connectivity, tile);
            Assert.That(tiled, Has.Count.EqualTo(whole.Count), $"tile {tile}: component count");
            for (int i = 0; i < whole.Count; i++)
            {
                Assert.That(tiled[i].ClassValue, Is.EqualTo(whole[i].ClassValue), $"tile {tile}, component {i + 1}: class");
                Assert.That(tiled[i].PixelCount, Is.EqualTo(whole[i].PixelCount), $"tile {tile}, component {i + 1}: pixels");
                Assert.That(tiled[i].PixelGeometry.EqualsExact(whole[i].PixelGeometry), Is.True,
                    $"tile {tile}, component {i + 1}: {tiled[i].PixelGeometry} vs {whole[i].PixelGeometry}");
            }
        }
    }

    [TestCaseSource(nameof(AllKinds))]
    public void MinPixelCountDropsExactlyTheSmallerComponentsForEveryTileSize(string kind, Connectivity connectivity)
    {
        var m = TestMasks.Make(kind, W, H, seed: kind.Length * 7919 + (int)connectivity);
        var all = Run(m, W, H, connectivity, tile: null);
        var sizes = all.Select(c => c.PixelCount).Distinct().Order().ToList();
        // Cuts at the sizes present: the smallest (nothing dropped), a middle one, the largest (all but the largest dropped), above all.
        foreach (long min in new[] { sizes[0], sizes[sizes.Count / 2], sizes[^1], sizes[^1] + 1 })
        {
            var expected = all.Where(c => c.PixelCount >= min).ToList();
            foreach (int? tile in new int?[] { null, 17, 64 })
            {
                var cut = MaskPolygonizer.Polygonize(new ArrayMaskSource(m, W, H),
                    new PolygonizeOptions { Connectivity = connectivity, TileSize = tile, MinPixelCount = min });
                Assert.That(cut, Has.Count.EqualTo(expected.Count), $"min {min}, tile {tile}: component count");
                for (int i = 0; i < expected.Count; i++)
                {
                    Assert.That((cut[i].ClassValue, cut[i].PixelCount), Is.EqualTo((expected[i].ClassValue, expected[i].PixelCount)), $"min {min}, tile {tile}, component {i + 1}");
                    Assert.That(cut[i].PixelGeometry.EqualsExact(expected[i].PixelGeometry), Is.True, $"min {min}, tile {tile}, component {i + 1}: geometry");
                }
            }
        }
    }

    [TestCaseSource(nameof(AllKinds))]
    public void ComponentsMatchAFloodFillAndPolygonsCoverExactlyTheirPixels(string kind, Connectivity connectivity)
    {
        const int w = 96, h = 80;
        var m = TestMasks.Make(kind, w, h, seed: 12345 + kind.Length);
        var (labels, count) = TestMasks.FloodFill(m, w, h, connectivity == Connectivity.Eight);
        var comps = Run(m, w, h, connectivity, tile: 17);
        Assert.That(comps, Has.Count.EqualTo(count), "one polygon per flood-fill component");
        var prepared = comps.Select(c => PreparedGeometryFactory.Prepare(c.PixelGeometry)).ToArray();
        var pixelsOf = new long[count];
        foreach (int l in labels) if (l >= 0) pixelsOf[l]++;
        var seen = new HashSet<int>();
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                var centre = new Point(x + 0.5, y + 0.5);
                var hits = Enumerable.Range(0, comps.Count).Where(i => prepared[i].Contains(centre)).ToList();
                int l = labels[y * w + x];
                if (l < 0)
                {
                    Assert.That(hits, Is.Empty, $"background pixel ({x},{y}) is inside a polygon");
                    continue;
                }
                Assert.That(hits, Has.Count.EqualTo(1), $"pixel ({x},{y}) in exactly one polygon");
                var c = comps[hits[0]];
                Assert.That(c.ClassValue, Is.EqualTo(m[y * w + x]));
                Assert.That(c.PixelCount, Is.EqualTo(pixelsOf[l]), $"pixel ({x},{y}): component size");
                seen.Add(l);
            }
        }
        Assert.That(seen, Has.Count.EqualTo(count));
        foreach (var c in comps)
        {
            Assert.That(c.PixelGeometry.IsValid, Is.True, $"component {c.Id} is a valid OGC geometry: {c.PixelGeometry}");
            Assert.That(c.PixelGeometry.Area, Is.EqualTo(c.PixelCount), $"component {c.Id}: area = pixel count");
            if (connectivity == Connectivity.Four) Assert.That(c.PixelGeometry, Is.InstanceOf<Polygon>());
        }
    }

    [Test]
    public void RingOfChangeAroundUnchangedLandIsOnePolygonWithOneHole()
    {
        const int w = 20, h = 20;
        var m = new byte[w * h];
        for (int y = 4; y < 15; y++)
            for (int x = 3; x < 16; x++)
                m[y * w + x] = (byte)(y is >= 7 and < 12 && x is >= 6 and < 13 ? 0 : 1);
        foreach (int tile in new[] { 5, 20 })
        {
            var comps = Run(m, w, h, Connectivity.Four, tile);
            Assert.That(comps, Has.Count.EqualTo(1), $"tile {tile}");
            var p = (Polygon)comps[0].PixelGeometry;
            Assert.That(p.NumInteriorRings, Is.EqualTo(1));
            Assert.That(comps[0].HoleCount, Is.EqualTo(1));
            Assert.That(p.Shell.Coordinates, Has.Length.EqualTo(5), "rectangle shell: 4 corners, collinear vertices removed");
            Assert.That(p.Area, Is.EqualTo(13 * 11 - 7 * 5));
            Assert.That(p.IsValid, Is.True);
        }
    }

    [Test]
    public void DiagonalTouchIsTwoPolygonsUnderFourAndOneMultiPolygonUnderEight()
    {
        const int w = 4, h = 4;
        var m = new byte[w * h];
        m[1 * w + 1] = 1;
        m[2 * w + 2] = 1;
        var four = Run(m, w, h, Connectivity.Four, tile: 2);
        var eight = Run(m, w, h, Connectivity.Eight, tile: 2);
        Assert.Multiple(() =>
        {
            Assert.That(four, Has.Count.EqualTo(2));
            Assert.That(eight, Has.Count.EqualTo(1));
            Assert.That(eight[0].PixelGeometry, Is.InstanceOf<MultiPolygon>());
            Assert.That(eight[0].PixelGeometry.IsValid, Is.True);
            Assert.That(eight[0].PixelCount, Is.EqualTo(2));
        });
    }

    [Test]
    public void RingClosedOnlyAtACornerIsOneValidPolygonWhoseHoleTouchesTheShell()
    {
        // A square ring of change without its top-left pixel: (2,1) and (1,2) touch only at the corner
        // point (2,2). Under 4-connectivity the ring is one component (connected the long way round)
        // and its inside meets the outside at that point: a hole touching the shell, which OGC allows.
        const int w = 8, h = 8;
        var m = new byte[w * h];
        for (int y = 1; y < 7; y++)
            for (int x = 1; x < 7; x++)
                if (y == 1 || y == 6 || x == 1 || x == 6) m[y * w + x] = 1;
        m[1 * w + 1] = 0;
        foreach (int tile in new[] { 2, 3, 8 })
        {
            var comps = Run(m, w, h, Connectivity.Four, tile);
            Assert.That(comps, Has.Count.EqualTo(1), $"tile {tile}");
            var p = (Polygon)comps[0].PixelGeometry;
            Assert.Multiple(() =>
            {
                Assert.That(p.IsValid, Is.True, p.ToString());
                Assert.That(p.NumInteriorRings, Is.EqualTo(1));
                Assert.That(p.Shell.IsSimple && p.Holes[0].IsSimple, Is.True);
                Assert.That(p.Area, Is.EqualTo(19));
                Assert.That(p.Shell.Intersection(p.Holes[0]).NumPoints, Is.EqualTo(1), "the hole touches the shell at one point");
            });
        }
    }

    [Test]
    public void TwoHolesTouchingAtACornerStayTwoHoles()
    {
        const int w = 8, h = 8;
        var m = new byte[w * h];
        for (int y = 1; y < 7; y++)
            for (int x = 1; x < 7; x++) m[y * w + x] = 1;
        m[2 * w + 2] = 0;
        m[3 * w + 3] = 0;
        foreach (int tile in new[] { 3, 8 })
        {
            var comps = Run(m, w, h, Connectivity.Four, tile);
            Assert.That(comps, Has.Count.EqualTo(1));
            var p = (Polygon)comps[0].PixelGeometry;
            Assert.Multiple(() =>
            {
                Assert.That(p.IsValid, Is.True, p.ToString());
                Assert.That(p.NumInteriorRings, Is.EqualTo(2));
                Assert.That(p.Area, Is.EqualTo(34));
            });
        }
    }

    [Test]
    public void NoDataIsNotChange()
    {
        const int w = 10, h = 10;
        var m = new byte[w * h];
        for (int i = 0; i < 30; i++) m[i] = 255;
        m[55] = 1;
        var comps = Run(m, w, h, Connectivity.Four, tile: 4, noData: 255);
        Assert.That(comps, Has.Count.EqualTo(1));
        Assert.That(comps[0].PixelCount, Is.EqualTo(1));
        var withoutNoData = Run(m, w, h, Connectivity.Four, tile: 4);
        Assert.That(withoutNoData, Has.Count.EqualTo(2), "without nodata, 255 is a class");
    }

    [Test]
    public void EmptyMaskHasNoComponents()
    {
        Assert.That(Run(new byte[50 * 30], 50, 30, Connectivity.Four, tile: 16), Is.Empty);
    }

    [Test]
    public void FullMaskIsOneRectangle()
    {
        var m = new byte[33 * 21];
        Array.Fill(m, (byte)1);
        var comps = Run(m, 33, 21, Connectivity.Four, tile: 8);
        Assert.That(comps, Has.Count.EqualTo(1));
        Assert.That(comps[0].PixelGeometry.EqualsExact(new GeometryFactory().ToGeometry(new Envelope(0, 33, 0, 21))), Is.False,
            "the canonical ring starts at the top-left corner, not at NTS's envelope order");
        Assert.That(comps[0].PixelGeometry.EqualsTopologically(new GeometryFactory().ToGeometry(new Envelope(0, 33, 0, 21))), Is.True);
        Assert.That(((Polygon)comps[0].PixelGeometry).Shell.NumPoints, Is.EqualTo(5));
    }

    [Test]
    [Category("Slow")]
    public void LargeMaskIsTileIndependentAndMatchesAFloodFill()
    {
        const int w = 1500, h = 1300;
        var rng = new Random(99);
        var m = new byte[w * h];
        for (int i = 0; i < 3000; i++)
        {
            int cx = rng.Next(w), cy = rng.Next(h), r = rng.Next(1, 25);
            TestMasks.Disk(m, w, h, cx, cy, r, 1);
            if (r > 8) TestMasks.Disk(m, w, h, cx + 1, cy, r - 4, 0);
            if (r > 12) TestMasks.Disk(m, w, h, cx, cy, r / 3, 1);
        }
        var whole = Run(m, w, h, Connectivity.Four, tile: null);
        Assert.That(whole, Has.Count.EqualTo(TestMasks.FloodFill(m, w, h, eight: false).Count));
        foreach (int tile in new[] { 61, 256, 777 })
        {
            var tiled = Run(m, w, h, Connectivity.Four, tile);
            Assert.That(tiled, Has.Count.EqualTo(whole.Count));
            for (int i = 0; i < whole.Count; i++)
                Assert.That(tiled[i].PixelGeometry.EqualsExact(whole[i].PixelGeometry), Is.True, $"tile {tile}, component {i + 1}");
        }
        Assert.That(whole.All(c => c.PixelGeometry.IsValid && c.PixelGeometry.Area == c.PixelCount), Is.True);
    }
}
