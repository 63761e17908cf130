using ChangeDetection.Geo;
using ChangeDetection.Overlay;
using ChangeDetection.Synthetic;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;
using static ChangeDetection.Tests.Overlay.OverlayFixtures;

namespace ChangeDetection.Tests.Overlay;

[TestFixture]
public sealed class OverlayStageTests
{
    private TempDir _dir = null!;
    private SyntheticRegionSummary _region = null!;

    [OneTimeSetUp]
    public void GenerateRegion()
    {
        _dir = new TempDir();
        _region = SyntheticRegion.Generate(_dir.Path, new SyntheticRegionOptions { Size = 512, Seed = 1, Workers = 1 });
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    private LayerSpec[] Layers() =>
    [
        new("永久基本农田", LayerKind.PermanentBasicFarmland, _region.PermanentFarmlandFile),
        new("生态保护红线", LayerKind.EcologicalRedline, _region.EcologicalRedlineFile),
    ];

    /// <summary>The truth polygons stand in for detected patches; plus a grid of boxes covering the image so every layer is hit.</summary>
    private List<Geometry> Patches()
    {
        var patches = GeoJsonLayer.Read(_region.TruthFile).Select(f => f.Geometry).ToList();
        var t = _region.Transform;
        double size = _region.Size * t.PixelWidth;
        for (double x = 0; x < size; x += 64)
            for (double y = 0; y < size; y += 64)
                patches.Add(Factory.ToGeometry(new Envelope(t.OriginX + x, t.OriginX + x + 40, t.OriginY - y - 40, t.OriginY - y)));
        return patches;
    }

    [Test]
    public void SyntheticRegion_OverlapsMatchBruteForceAndEveryPatchHasACounty()
    {
        var patches = Patches();
        var result = OverlayStage.Run(patches, _region.Crs, Layers(), new AdminSpec(_region.AdminFile));
        Assert.That(result.Patches, Has.Count.EqualTo(patches.Count));

        var farmland = UnaryUnionOp.Union(GeoJsonLayer.Read(_region.PermanentFarmlandFile).Select(f => f.Geometry).ToList());
        var redline = UnaryUnionOp.Union(GeoJsonLayer.Read(_region.EcologicalRedlineFile).Select(f => f.Geometry).ToList());
        var farmKey = new LayerKey("永久基本农田", LayerKind.PermanentBasicFarmland);
        var redKey = new LayerKey("生态保护红线", LayerKind.EcologicalRedline);
        Assert.Multiple(() =>
        {
            for (int i = 0; i < patches.Count; i++)
            {
                var r = result.Patches[i];
                // Brute force: intersect with the union of the whole layer, no index, no prepared geometry.
                Assert.That(r.OverlapSquareMetres[farmKey], Is.EqualTo(patches[i].Intersection(farmland).Area).Within(1e-6 * patches[i].Area + 1e-6), $"patch {i} farmland");
                Assert.That(r.OverlapSquareMetres[redKey], Is.EqualTo(patches[i].Intersection(redline).Area).Within(1e-6 * patches[i].Area + 1e-6), $"patch {i} redline");
                Assert.That(_region.CountyCodes, Does.Contain(r.AdminCode), $"patch {i} county");
                Assert.That(r.Warnings, Is.Empty);
            }
            Assert.That(result.Patches.Count(p => p.OverlapSquareMetres[farmKey] > 0), Is.GreaterThan(0), "some patch touches farmland");
            Assert.That(result.Patches.Count(p => p.OverlapSquareMetres[redKey] > 0), Is.GreaterThan(0), "some patch touches the red line");
            Assert.That(result.Patches.Count(p => p.OverlapSquareMetres[farmKey] == 0), Is.GreaterThan(0), "some patch misses farmland");
            Assert.That(result.Layers.Select(l => l.TaskField), Is.EqualTo(new[] { "YJJBNTMJ", "STHXMJ" }));
        });
    }

    [Test]
    public void ResultsAreTheSameBitForBitWhateverTheWorkerCount()
    {
        var patches = Patches();
        var one = OverlayStage.Run(patches, _region.Crs, Layers(), new AdminSpec(_region.AdminFile), workers: 1);
        Assert.That(one.Patches.Count(p => p.OverlapSquareMetres.Values.Any(v => v > 0 && v < 1600)), Is.GreaterThan(0), "some patch is cut by a layer");
        foreach (int workers in new[] { 2, 4 })
        {
            var many = OverlayStage.Run(patches, _region.Crs, Layers(), new AdminSpec(_region.AdminFile), workers: workers);
            Assert.That(many.Patches, Has.Count.EqualTo(one.Patches.Count));
            for (int i = 0; i < patches.Count; i++)
            {
                Assert.That(many.Patches[i].OverlapSquareMetres, Is.EqualTo(one.Patches[i].OverlapSquareMetres), $"{workers} workers, patch {i}: overlaps");
                Assert.That(many.Patches[i].Admin, Is.EqualTo(one.Patches[i].Admin), $"{workers} workers, patch {i}: division");
            }
        }
    }

    [Test]
    public void SyntheticRegion_AdminCodeIsTheCountyHoldingTheCentroidForSmallPatches()
    {
        var patches = Patches();
        var admin = GeoJsonLayer.Read(_region.AdminFile).ToList();
        var result = OverlayStage.Run(patches, _region.Crs, [], new AdminSpec(_region.AdminFile));
        int checkedCount = 0;
        Assert.Multiple(() =>
        {
            for (int i = 0; i < patches.Count; i++)
            {
                // A patch wholly inside one county must get exactly that county.
                var holder = admin.FirstOrDefault(f => f.Geometry.Covers(patches[i]));
                if (holder is null) continue;
                checkedCount++;
                Assert.That(result.Patches[i].AdminCode, Is.EqualTo((string)holder.Attributes["XZQDM"]), $"patch {i}");
                Assert.That(result.Patches[i].AdminName, Is.EqualTo((string)holder.Attributes["XZQMC"]), $"patch {i}");
            }
        });
        Assert.That(checkedCount, Is.GreaterThan(patches.Count / 2));
    }

    [Test]
    public void LayerReprojectedToLonLat_GivesTheSameOverlapWithinATenthOfAPercent()
    {
        // The farmland layer re-expressed in CGCS2000 lon/lat (a GeoJSON without crs member = RFC 7946), read back onto EPSG:4527.
        var layer = PolygonLayerReader.Read(_region.PermanentFarmlandFile);
        var lonLat = layer.TransformTo(Crs.Cgcs2000);
        string path = _dir.File("farmland_lonlat.geojson");
        WriteGeoJson(path, 4490, lonLat.Features.Select(f => Feature(f.Geometry)));
        var patches = Patches();
        var specs = new[] { new LayerSpec("a", LayerKind.PermanentBasicFarmland, _region.PermanentFarmlandFile), new LayerSpec("b", LayerKind.PermanentBasicFarmland, path) };
        var result = OverlayStage.Run(patches, _region.Crs, specs, null);
        double a = result.Patches.Sum(p => p.OverlapSquareMetres[new LayerKey("a", LayerKind.PermanentBasicFarmland)]);
        double b = result.Patches.Sum(p => p.OverlapSquareMetres[new LayerKey("b", LayerKind.PermanentBasicFarmland)]);
        Assert.Multiple(() =>
        {
            Assert.That(a, Is.GreaterThan(1000));
            Assert.That(b, Is.EqualTo(a).Within(0.1).Percent);
            Assert.That(result.Patches.All(p => p.Admin.IsUnknown && p.Warnings.Count == 0), Is.True, "no admin layer: unknown, no warning");
        });
    }

    [Test]
    public void DuplicateLayerNamesOrCustomKindWithoutField_AreRejected()
    {
        var dup = new[] { new LayerSpec("x", LayerKind.Farmland, _region.PermanentFarmlandFile), new LayerSpec("x", LayerKind.UrbanBoundary, _region.EcologicalRedlineFile) };
        var custom = new[] { new LayerSpec("矿区", "mining", _region.EcologicalRedlineFile) };
        var customOk = new[] { new LayerSpec("矿区", "mining", _region.EcologicalRedlineFile) { Field = "KQMJ" } };
        Assert.Multiple(() =>
        {
            Assert.That(() => OverlayStage.Run([], _region.Crs, dup, null), Throws.InstanceOf<ChangeDetectionException>().With.Message.Contains("'x'"));
            Assert.That(() => OverlayStage.Run([], _region.Crs, custom, null), Throws.InstanceOf<ChangeDetectionException>().With.Message.Contains("mining"));
            Assert.That(OverlayStage.Run([Box(0, 0, 1, 1)], _region.Crs, customOk, null).Layers[0].TaskField, Is.EqualTo("KQMJ"));
        });
    }

    [Test]
    public void LayerKinds_HaveChineseNamesAndTaskFields()
    {
        Assert.Multiple(() =>
        {
            Assert.That(LayerKind.Find("permanent-basic-farmland"), Is.EqualTo(new LayerKindInfo(LayerKind.PermanentBasicFarmland, "永久基本农田", "YJJBNTMJ")));
            Assert.That(LayerKind.Find(LayerKind.Farmland)?.TaskField, Is.EqualTo("GDMJ"));
            Assert.That(LayerKind.Find(LayerKind.EcologicalRedline)?.ChineseName, Is.EqualTo("生态保护红线"));
            Assert.That(LayerKind.Find(LayerKind.UrbanBoundary)?.TaskField, Is.EqualTo("CZKFMJ"));
            Assert.That(LayerKind.Find("mining"), Is.Null);
        });
    }
}
