using ChangeDetection.Geo;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tests.Vectorization;

/// <summary>Patch identities from the polygonizer, and the owners of probed pixels it reads from its labels.</summary>
[TestFixture]
public class PatchIdTests
{
    private const int W = 96, H = 80;

    private static IEnumerable<TestCaseData> AllKinds()
    {
        foreach (var kind in TestMasks.Kinds)
            foreach (var c in new[] { Connectivity.Four, Connectivity.Eight })
                yield return new TestCaseData(kind, c);
    }

    private static PixelPoint[] EveryPixel() =>
        [.. Enumerable.Range(0, W * H).Select(i => new PixelPoint(i % W, i / W))];

    /// <summary>The first pixel (row-major) of every flood-fill component, by its label.</summary>
    private static PatchId[] FirstPixels(int[] labels, int count)
    {
        var first = new PatchId?[count];
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= 0) first[labels[i]] ??= new PatchId(i % W, i / W);
        return [.. first.Select(f => f!.Value)];
    }

    [TestCaseSource(nameof(AllKinds))]
    public void IdIsTheFirstPixelAndEveryChangedPixelIsOwnedByItsComponentAtEveryTileSize(string kind, Connectivity connectivity)
    {
        var m = TestMasks.Make(kind, W, H, seed: 4242 + kind.Length);
        var (labels, count) = TestMasks.FloodFill(m, W, H, connectivity == Connectivity.Eight);
        var first = FirstPixels(labels, count);
        foreach (int? tile in new int?[] { null, 7, 17, 64 })
        {
            var result = MaskPolygonizer.PolygonizeWithOwners(new ArrayMaskSource(m, W, H), EveryPixel(),
                new PolygonizeOptions { Connectivity = connectivity, TileSize = tile });
            // The same multiset as Is.EquivalentTo(first), compared sorted: NUnit's EquivalentTo is quadratic, seconds on the
            // thousands of components of the checkerboard and noise masks.
            Assert.That(result.Components.Select(c => c.PatchId).Order(), Is.EqualTo(first.Order()), $"tile {tile}: one id per component, its first pixel");
            Assert.That(result.Components.Select(c => c.PatchId), Is.Ordered, $"tile {tile}: components in id order");
            Assert.That(result.Owners.Count, Is.EqualTo(labels.Count(l => l >= 0)), $"tile {tile}: every changed pixel has an owner");
            // One assertion over every pixel rather than one per pixel: NUnit's per-call cost (and a message formatted for
            // each of the 7 680 pixels) made this fixture cost seconds; a wrong pixel still fails, named in the list.
            var wrong = new List<string>();
            for (int i = 0; i < labels.Length; i++)
            {
                bool owned = result.Owners.TryGetOwner(new PixelPoint(i % W, i / W), out var owner);
                if (labels[i] < 0 && owned) wrong.Add($"background pixel ({i % W},{i / W}) has owner {owner}");
                else if (labels[i] >= 0 && owner != first[labels[i]]) wrong.Add($"pixel ({i % W},{i / W}): owner {owner}, expected {first[labels[i]]}");
            }
            Assert.That(wrong, Is.Empty, $"tile {tile}");
        }
    }

    [Test]
    public void PixelsOfComponentsBelowMinPixelCountHaveNoOwner()
    {
        var m = TestMasks.Make("noise", W, H, seed: 77);
        var (labels, count) = TestMasks.FloodFill(m, W, H, eight: false);
        var sizes = new long[count];
        foreach (int l in labels) if (l >= 0) sizes[l]++;
        long min = sizes.Order().ElementAt(count / 2);
        Assert.That(sizes, Has.Some.LessThan(min), "the cut drops some components");
        var first = FirstPixels(labels, count);
        var result = MaskPolygonizer.PolygonizeWithOwners(new ArrayMaskSource(m, W, H), EveryPixel(), new PolygonizeOptions { TileSize = 17, MinPixelCount = min });
        var wrong = new List<string>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0) continue;
            bool owned = result.Owners.TryGetOwner(new PixelPoint(i % W, i / W), out var owner);
            if (sizes[labels[i]] < min && owned) wrong.Add($"pixel ({i % W},{i / W}) of a dropped component has owner {owner}");
            else if (sizes[labels[i]] >= min && owner != first[labels[i]]) wrong.Add($"pixel ({i % W},{i / W}): owner {owner}, expected {first[labels[i]]}");
        }
        Assert.That(wrong, Is.Empty);
    }

    [Test]
    public void WithoutProbesNoPixelHasAnOwnerAndTheComponentsAreThePolygonizers()
    {
        var m = TestMasks.Make("blobs", W, H, seed: 5);
        var plain = MaskPolygonizer.Polygonize(new ArrayMaskSource(m, W, H), new PolygonizeOptions { TileSize = 17 });
        var probed = MaskPolygonizer.PolygonizeWithOwners(new ArrayMaskSource(m, W, H), [], new PolygonizeOptions { TileSize = 17 });
        Assert.That(probed.Owners.Count, Is.Zero);
        Assert.That(probed.Components.Select(c => (c.PatchId, c.PixelGeometry.ToText())), Is.EqualTo(plain.Select(c => (c.PatchId, c.PixelGeometry.ToText()))));
    }

    [Test]
    public void AProbeOutsideTheMaskIsRefused()
    {
        var m = new byte[W * H];
        Assert.That(() => MaskPolygonizer.PolygonizeWithOwners(new ArrayMaskSource(m, W, H), [new PixelPoint(W, 0)]),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains($"({W}, 0)"));
    }

    [Test]
    public void PatchesCarryTheirComponentsId()
    {
        var m = TestMasks.Make("holes", W, H, seed: 9);
        var components = MaskPolygonizer.Polygonize(new ArrayMaskSource(m, W, H));
        var grid = new GeoGrid(W, H, new GeoTransform(39_500_000, 2, 0, 3_800_000, 0, -2), new Crs(4527));
        var patches = PatchBuilder.Build(components, grid, new PatchOptions { MinAreaM2 = 0 });
        Assert.That(patches.Select(p => p.PatchId), Is.EqualTo(components.Select(c => c.PatchId)));
    }

    [Test]
    public void IdsOrderRowMajor()
    {
        Assert.That(new PatchId(5, 1), Is.LessThan(new PatchId(0, 2)));
        Assert.That(new PatchId(0, 2), Is.LessThan(new PatchId(1, 2)));
        Assert.That(new PatchId(3, 4).ToString(), Is.EqualTo("3,4"));
    }
}
