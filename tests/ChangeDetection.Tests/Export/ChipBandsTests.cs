using ChangeDetection.Export;
using ChangeDetection.Geo;
using ChangeDetection.Tasks;
using ChangeDetection.Tests.Raster;
using ChangeDetection.Tests.Tasks;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Export;

/// <summary>
/// Chips read only the bands they show (<see cref="ChipWriter.ColourSlots"/>): the fourth band of a 4-band pair (NIR) neither
/// changes a chip's bytes nor, through its nodata, greys its pixels.
/// </summary>
[TestFixture]
public class ChipBandsTests
{
    private const int Size = 96;
    private static readonly GeoTransform Gt = new(39_500_000, 1, 0, 3_800_000, 0, -1);

    private static int Scene(int k, int c, int r) => (c < Size / 2 ? 1000 : 3000) + 100 * k + (c * 7 + r * 13) % 200;

    /// <summary>The chip files of two tasks on a pair whose NIR band (band 4) is <paramref name="nir"/>; nodata 0 in both dates.</summary>
    private static Dictionary<string, byte[]> Chips(TempDir dir, string name, Func<int, int, int> nir, bool drawLabels)
    {
        int Band(int k, int c, int r) => k == 3 ? nir(c, r) : Scene(k, c, r);
        string before = ScenePairTests.Write(dir, $"{name}-before.tif", Size, Size, Gt, Band, nodata: 0);
        string after = ScenePairTests.Write(dir, $"{name}-after.tif", Size, Size, Gt, (k, c, r) => k == 3 ? nir(r, c) : Scene(k, c, r) + 500, nodata: 0);
        var tasks = TaskNumbering.Assign([TaskSamples.Make("410102", "中原区", Square(20, 40)), TaskSamples.Make("410102", "中原区", Square(60, 30))], "2026Q3");
        string folder = dir.File($"{name}-chips");
        var written = ChipWriter.Write(folder, tasks, TaskSamples.Gk39, new ChipSource(before, after), new ChipOptions { DrawLabels = drawLabels });
        Assert.That(written, Has.Count.EqualTo(4));
        return written.ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(folder, n)));
    }

    private static Polygon Square(int col, int row)
    {
        double x = Gt.OriginX + col, y = Gt.OriginY - row;
        return new GeometryFactory().CreatePolygon([new(x, y), new(x + 10, y), new(x + 10, y - 10), new(x, y - 10), new(x, y)]);
    }

    /// <summary>
    /// A NIR band of other values, nodata (0) on a third of the pixels, gives byte-identical chips and stretch: before this
    /// change those pixels were dark grey; the red, green and blue the chip shows hold data there.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void TheBandNotShownChangesNoChip(bool drawLabels)
    {
        using var dir = new TempDir();
        var plain = Chips(dir, "plain", (c, r) => 2500 + c + r, drawLabels);
        var holed = Chips(dir, "holed", (c, r) => (c + 2 * r) % 3 == 0 ? 0 : 7000 - 9 * c, drawLabels);
        Assert.That(holed.Keys, Is.EquivalentTo(plain.Keys));
        foreach (var (file, bytes) in plain)
            Assert.That(holed[file].SequenceEqual(bytes), file);
    }

    /// <summary>Nodata in a band shown still greys the pixel: the chips differ when band 1 (blue) has holes where NIR had them.</summary>
    [Test]
    public void NodataInABandShownStillGreysThePixel()
    {
        using var dir = new TempDir();
        var plain = Chips(dir, "plain", (c, r) => 2500, drawLabels: false);
        // Same NIR, and the colour bands as in "plain": only a nodata hole in the red band of the before date differs.
        string before = ScenePairTests.Write(dir, "red-before.tif", Size, Size, Gt, (k, c, r) => k == 2 && c >= 20 && c < 30 && r >= 40 && r < 50 ? 0 : k == 3 ? 2500 : Scene(k, c, r), nodata: 0);
        string after = ScenePairTests.Write(dir, "red-after.tif", Size, Size, Gt, (k, c, r) => k == 3 ? 2500 : Scene(k, c, r) + 500, nodata: 0);
        var tasks = TaskNumbering.Assign([TaskSamples.Make("410102", "中原区", Square(20, 40)), TaskSamples.Make("410102", "中原区", Square(60, 30))], "2026Q3");
        string folder = dir.File("red-chips");
        ChipWriter.Write(folder, tasks, TaskSamples.Gk39, new ChipSource(before, after), new ChipOptions { DrawLabels = false });
        string first = plain.Keys.Order(StringComparer.Ordinal).First(n => n.EndsWith("_after.png", StringComparison.Ordinal));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, first)).SequenceEqual(plain[first]), Is.False, "the hole in red shows in the after chip too (either date greys it)");
    }

    [Test]
    public void ColourSlotsReadEachBandOnce()
    {
        Assert.That(ChipWriter.ColourSlots([2, 1, 0]), Is.EqualTo((new[] { 2, 1, 0 }, new[] { 0, 1, 2 })));
        Assert.That(ChipWriter.ColourSlots([0, 0, 0]), Is.EqualTo((new[] { 0 }, new[] { 0, 0, 0 })));
    }
}
