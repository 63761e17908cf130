using ChangeDetection.Overlay;
using ChangeDetection.Tasks;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tests.Tasks;

[TestFixture]
public class TaskBuilderTests
{
    private static Patch PatchOf(int id, double x, double y)
    {
        var g = TaskSamples.Square(x, y, 20);
        return new Patch
        {
            Id = id, ClassValue = 1, PixelGeometry = g, PixelCount = 100, MapGeometry = g, AreaM2 = g.Area,
            CentroidX = g.Centroid.X, CentroidY = g.Centroid.Y, HoleCount = 0, Simplified = false,
        };
    }

    [Test]
    public void OverlapsOfKindsWithoutALayerAreNullAndConfiguredOnesAreFilledEvenWhenZero()
    {
        var patches = new[] { PatchOf(1, 39_554_000, 3_824_000), PatchOf(2, 39_555_000, 3_824_000) };
        var farmland = new LayerSpec("基本农田", LayerKind.PermanentBasicFarmland, "jbnt.shp");
        var mines = new LayerSpec("矿区", "mining", "mines.shp") { Field = "KQMJ" };
        var admin = new AdminDivision("410102", "中原区");
        var overlay = new OverlayResult(
        [
            new PatchOverlay(new Dictionary<LayerKey, double> { [farmland.Key] = 12.5, [mines.Key] = 3 }, admin, []),
            new PatchOverlay(new Dictionary<LayerKey, double> { [farmland.Key] = 0, [mines.Key] = 0 }, admin, []),
        ], [farmland, mines], []);
        var tasks = TaskBuilder.Build(patches, overlay, new DateOnly(2026, 4, 1), new DateOnly(2026, 7, 1), "2026Q3");
        Assert.Multiple(() =>
        {
            Assert.That(tasks.Select(t => t.YJJBNTMJ), Is.EqualTo(new double?[] { 12.5, 0 }), "configured: a value, 0 meaning checked and clear");
            Assert.That(tasks.Select(t => t.GDMJ), Is.All.Null, "no farmland layer: not checked");
            Assert.That(tasks.Select(t => t.STHXMJ), Is.All.Null);
            Assert.That(tasks.Select(t => t.CZKFMJ), Is.All.Null);
            Assert.That(tasks.Select(t => t.Extra["KQMJ"]), Is.EqualTo(new[] { 3.0, 0.0 }));
            Assert.That(tasks.Select(t => t.YXJ), Is.EqualTo(new[] { TaskPriority.High, TaskPriority.Low }));
        });
        var gdmj = TaskFields.For(tasks).Single(f => f.Name == "GDMJ");
        Assert.That(tasks.Select(gdmj.ExportText), Is.All.Empty, "exported empty, not 0.00");
    }

    [Test]
    public void RecordsComeBackInJcbhOrderEachWithItsOwnOverlayClassAndTask()
    {
        // Listed south first: JCBH order (north first) is the reverse of the input order.
        var south = new PatchRecord(PatchOf(1, 39_554_000, 3_824_000) with { PatchId = new PatchId(3, 9) })
        {
            Class = new TaskBuilder.Classification(ChangeClasses.Construction.Code, 0.9), Delivered = true,
        };
        var north = new PatchRecord(PatchOf(2, 39_554_000, 3_825_000) with { PatchId = new PatchId(3, 1) }) { Delivered = true };
        var farmland = new LayerSpec("基本农田", LayerKind.PermanentBasicFarmland, "jbnt.shp");
        var admin = new AdminDivision("410102", "中原区");
        var overlay = new OverlayResult(
        [
            new PatchOverlay(new Dictionary<LayerKey, double> { [farmland.Key] = 12.5 }, admin, []),
            new PatchOverlay(new Dictionary<LayerKey, double> { [farmland.Key] = 0 }, admin, []),
        ], [farmland], []);
        var built = TaskBuilder.Build([south, north], overlay, new DateOnly(2026, 4, 1), new DateOnly(2026, 7, 1), "2026Q3");
        Assert.That(built.Select(r => r.Id), Is.EqualTo(new[] { north.Id, south.Id }));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(built.Select(r => r.Task!.JCBH), Is.EqualTo(new[] { "4101022026Q30001", "4101022026Q30002" }));
            Assert.That(built[0].Overlay, Is.SameAs(overlay.Patches[1]), "north's overlay");
            Assert.That(built[1].Overlay, Is.SameAs(overlay.Patches[0]), "south's overlay");
            Assert.That(built.Select(r => r.Task!.Geometry), Is.EqualTo(new[] { north.Patch.MapGeometry, south.Patch.MapGeometry }));
            Assert.That(built.Select(r => r.Task!.YJJBNTMJ), Is.EqualTo(new double?[] { 0, 12.5 }));
            Assert.That(built.Select(r => r.Task!.BHLX), Is.EqualTo(new[] { ChangeClasses.Unclassified.Code, ChangeClasses.Construction.Code }));
            Assert.That(built.Select(r => r.Task!.ZXD), Is.EqualTo(new[] { 0, 0.9 }));
        }
    }

    [Test]
    public void PriorityIsExportedInChineseWithTheCodeBeside()
    {
        var tasks = TaskSamples.TwoProvinces();
        var fields = TaskFields.For(tasks);
        var yxj = fields.Single(f => f.Name == "YXJ");
        var code = fields.Single(f => f.Name == "YXJDM");
        var chinese = new Dictionary<string, string> { [TaskPriority.High] = "高", [TaskPriority.Medium] = "中", [TaskPriority.Low] = "低" };
        Assert.That(tasks.Select(t => t.YXJ).Distinct(), Is.EquivalentTo(chinese.Keys), "the sample has every priority");
        foreach (var t in tasks)
        {
            Assert.That(yxj.Export(t), Is.EqualTo(chinese[t.YXJ]), t.JCBH);
            Assert.That(code.Export(t), Is.EqualTo(t.YXJ), t.JCBH);
        }
        var bhlxmc = fields.Single(f => f.Name == "BHLXMC");
        Assert.That(tasks.Select(t => (string)bhlxmc.Export(t)!), Is.All.Matches<string>(s => s.Any(c => c >= 0x4E00 && c <= 0x9FFF)), "change class names are Chinese");
    }
}
