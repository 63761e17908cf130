using ChangeDetection.Detection;
using ChangeDetection.Geo;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tests.Raster;

namespace ChangeDetection.Tests.Detection;

[TestFixture]
public class ChangeDetectorTests
{
    private static readonly GeoTransform Gt = new(39_500_000, 1, 0, 3_800_000, 0, -1);

    /// <summary>Hash noise: deterministic per pixel, independent of any tiling.</summary>
    private static int Noise(int k, int c, int r, int seed) => (int)((uint)HashCode.Combine(k, c, r, seed) % 60);

    /// <summary>Farmland-like before/after with two new "buildings" and a small speck, plus a nodata stripe.</summary>
    private static (string Before, string After) Scene(TempDir dir)
    {
        const int w = 300, h = 260;
        string before = ScenePairTests.Write(dir, "before.tif", w, h, Gt,
            (k, c, r) => c == 7 ? 0 : 800 + 300 * k + Noise(k, c, r, 1), names: ["blue", "green", "red", "nir"], nodata: 0);
        string after = ScenePairTests.Write(dir, "after.tif", w, h, Gt, (k, c, r) =>
        {
            bool building = (c is >= 60 and < 100 && r is >= 50 and < 90) || (c is >= 180 and < 260 && r is >= 120 and < 140);
            bool speck = c == 150 && r == 200;
            int v = 1.1 * (800 + 300 * k) > 0 ? (int)(1.1 * (800 + 300 * k)) + 20 : 0;
            return building ? 3000 - 200 * k + Noise(k, c, r, 2) : speck ? 4000 : v + Noise(k, c, r, 3);
        }, names: ["blue", "green", "red", "nir"], nodata: 0);
        return (before, after);
    }

    internal static byte[] ReadMask(string path)
    {
        using var reader = GeoTiffReader.Open(path);
        return reader.ReadBand<byte>(0);
    }

    [Test]
    public void FindsTheInjectedChangesAndNothingElse()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir);
        using var pair = ScenePair.Open(b, a);
        // No smoothing: a 3×3 mean would spread the one-pixel speck over 3×3 pixels, which an opening of
        // radius 1 keeps whenever the threshold is sensitive enough to see it (the auto threshold is).
        var result = ChangeDetector.Detect(pair, dir.File("mask.tif"), new ChangeDetectionOptions { TileSize = 128, SmoothRadius = 0 });
        var mask = ReadMask(dir.File("mask.tif"));
        int W = pair.Grid.Width;
        Assert.Multiple(() =>
        {
            Assert.That(mask[70 * W + 80], Is.EqualTo(Morphology.Change), "inside building 1");
            Assert.That(mask[130 * W + 220], Is.EqualTo(Morphology.Change), "inside building 2");
            Assert.That(mask[200 * W + 150], Is.EqualTo(Morphology.Background), "a one-pixel speck is opened away");
            Assert.That(mask[10 * W + 7], Is.EqualTo(Morphology.NoData), "nodata column stays nodata");
            Assert.That(mask[240 * W + 20], Is.EqualTo(Morphology.Background));
            // The two buildings hold 40·40 + 80·20 = 3200 pixels; allow their borders a little slack.
            Assert.That(result.ChangedPixels, Is.InRange(2800, 3600));
            Assert.That(result.ValidPixels, Is.EqualTo((long)W * pair.Grid.Height - pair.Grid.Height));
        });
    }

    /// <summary>
    /// A field that greened (bare → crop: red down, NIR up) with a new building inside it: both are change,
    /// but the building is marked 1 and the greening 2, so they are two patches, not one.
    /// </summary>
    [Test]
    public void ABuildingInsideAGreeningFieldIsAPatchOfItsOwn()
    {
        using var dir = new TempDir();
        // The field is a tenth of the scene: most of it is unchanged soil, as in a real scene.
        bool Field(int c, int r) => c is >= 40 and < 116 && r is >= 40 and < 116;
        bool Building(int c, int r) => c is >= 70 and < 90 && r is >= 70 and < 90;
        // blue, green, red, nir: bare soil 900/1000/1100/1300 (NDVI 0.08); crop 500/800/500/2500 (NDVI 0.67); roof 2600/2600/2600/2500.
        int[] soil = [900, 1000, 1100, 1300], crop = [500, 800, 500, 2500], roof = [2600, 2600, 2600, 2500];
        string before = ScenePairTests.Write(dir, "before.tif", 240, 240, Gt, (k, c, r) => soil[k] + Noise(k, c, r, 1), names: ["blue", "green", "red", "nir"]);
        string after = ScenePairTests.Write(dir, "after.tif", 240, 240, Gt, (k, c, r) =>
            (Building(c, r) ? roof[k] : Field(c, r) ? crop[k] : soil[k]) + Noise(k, c, r, 2), names: ["blue", "green", "red", "nir"]);
        using var pair = ScenePair.Open(before, after);
        var result = ChangeDetector.Detect(pair, dir.File("mask.tif"), new ChangeDetectionOptions { TileSize = 64 });
        var mask = ReadMask(dir.File("mask.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(mask[80 * 240 + 80], Is.EqualTo(Morphology.Change), "the building");
            Assert.That(mask[50 * 240 + 50], Is.EqualTo(Morphology.ChangeVegetationGain), "the greening field");
            Assert.That(mask[10 * 240 + 10], Is.EqualTo(Morphology.Background));
            Assert.That(result.ChangedPixels, Is.EqualTo(mask.Count(Morphology.IsChange)), "both kinds count as change");
        });
        using var reader = GeoTiffReader.Open(dir.File("mask.tif"));
        var components = ChangeDetection.Vectorization.MaskPolygonizer.Polygonize(new ChangeDetection.Vectorization.GeoTiffMaskSource(reader));
        // The building is a component of its own (20 × 20 pixels), not part of the field's (76² − 20² pixels).
        var building = components.Where(c => c.ClassValue == Morphology.Change).MaxBy(c => c.PixelCount)!;
        var field = components.Where(c => c.ClassValue == Morphology.ChangeVegetationGain).MaxBy(c => c.PixelCount)!;
        Assert.Multiple(() =>
        {
            Assert.That(building.PixelCount, Is.InRange(360, 440));
            Assert.That(field.PixelCount, Is.InRange(5376 * 0.9, 5376 * 1.1));
        });
        // The pieces of the patch features follow the same split: each lies wholly in one component.
        Assert.That(result.Pieces, Has.Count.GreaterThanOrEqualTo(2));
    }

    [Test]
    public void MaskIsIdenticalForEveryTileSize()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir);
        using var pair = ScenePair.Open(b, a);
        var options = new ChangeDetectionOptions { OpenRadius = 2, CloseRadius = 1, SmoothRadius = 2 };
        var whole = ChangeDetector.Detect(pair, dir.File("m4096.tif"), options with { TileSize = 4096 });
        var small = ChangeDetector.Detect(pair, dir.File("m64.tif"), options with { TileSize = 64 });
        var odd = ChangeDetector.Detect(pair, dir.File("m48.tif"), options with { TileSize = 48, Workers = 1 });
        var reference = ReadMask(dir.File("m4096.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(small.Threshold, Is.EqualTo(whole.Threshold));
            Assert.That(ReadMask(dir.File("m64.tif")), Is.EqualTo(reference));
            Assert.That(ReadMask(dir.File("m48.tif")), Is.EqualTo(reference));
            Assert.That(odd.ChangedPixels, Is.EqualTo(whole.ChangedPixels));
        });
    }

    /// <summary>
    /// On a scene whose statistics sample lies on the block lattice the registration's 9 windows are sample windows (their
    /// blocks are read once for both); on a smaller scene (every labelled pair) they are the evenly spread ones, as before.
    /// </summary>
    [Test]
    public void RegistrationWindowsAreSampleWindowsOnALargeScene()
    {
        var detector = new ChangeDetector(new ChangeDetectionOptions());
        GeoGrid Grid(int w, int h) => new(w, h, Gt, ChangeDetection.Tests.Tasks.TaskSamples.Gk39);
        var large = Grid(8192, 6144);
        var registration = detector.RegistrationWindows(large);
        Assert.That(registration, Has.Count.EqualTo(9));
        Assert.That(registration, Is.SubsetOf(detector.SampleWindows(large).ToList()));
        var spread = ChangeDetection.Registration.CoRegistration.SpreadWindows(large);
        for (int i = 0; i < 9; i++)
            Assert.That(Math.Max(Math.Abs(registration[i].X - spread[i].X), Math.Abs(registration[i].Y - spread[i].Y)), Is.LessThan(512), "near the spread window");
        var narrow = Grid(2047, 3000);
        Assert.That(detector.RegistrationWindows(narrow).Select(w => w.X), Is.EqualTo(ChangeDetection.Registration.CoRegistration.SpreadWindows(narrow).Select(w => w.X)),
            "an axis under 2 048 px keeps the spread placement");
        Assert.That(detector.RegistrationWindows(Grid(1180, 900)), Is.EqualTo(ChangeDetection.Registration.CoRegistration.SpreadWindows(Grid(1180, 900))));
    }

    /// <summary>
    /// The statistics pass keeps its smoothed sample windows for the histogram range's scores instead of reading them again;
    /// read again (no budget for kept samples), the model is the same to the last bit: the small scene whose 64 windows
    /// overlap (read as one union), and a 640² scene whose 4 windows are read one by one.
    /// </summary>
    [TestCase(0)]
    [TestCase(640)]
    public void KeptAndReReadSampleWindowsGiveTheSameModel(int size)
    {
        using var dir = new TempDir();
        var (b, a) = size == 0 ? Scene(dir) : (
            ScenePairTests.Write(dir, "before.tif", size, size, Gt, (k, c, r) => c == 7 ? 0 : 800 + 300 * k + Noise(k, c, r, 1), names: ["blue", "green", "red", "nir"], nodata: 0),
            ScenePairTests.Write(dir, "after.tif", size, size, Gt, (k, c, r) => (c - 300) * (c - 300) + (r - 200) * (r - 200) < 2500 ? 3000 - 200 * k : 900 + 330 * k + Noise(k, c, r, 3), names: ["blue", "green", "red", "nir"], nodata: 0));
        var options = new ChangeDetectionOptions { StatisticsWindows = size == 0 ? 64 : 4 };
        string Model(long keptBytes)
        {
            using var pair = ScenePair.Open(b, a);
            var detector = new ChangeDetector(options) { KeptSampleBytes = keptBytes };
            var model = detector.Prepare(pair);
            return ModelJson.Write(model);
        }
        string kept = Model(long.MaxValue), reread = Model(0);
        Assert.That(kept, Is.EqualTo(reread));
        Assert.That(kept, Does.Contain("\"histogram_max\""));
    }

    /// <summary>
    /// One decode, smoothing and score per tile: the mask pass thresholds the scores the histogram pass
    /// stored, so a whole run scores exactly the histogram tiles' read windows, and leaves no scratch behind.
    /// </summary>
    [Test]
    public void EveryTileIsScoredOnceAndTheScratchScoresAreRemoved()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir);
        using var pair = ScenePair.Open(b, a);
        var detector = new ChangeDetector(new ChangeDetectionOptions { TileSize = 64, OpenRadius = 2, CloseRadius = 1, SmoothRadius = 2 });
        var result = detector.Run(pair, dir.File("mask.tif"));
        var model = detector.Prepare(pair);
        long histogramPass = detector.HistogramTiles(pair, model).Tiles().Sum(t => t.Read.PixelCount);
        Assert.Multiple(() =>
        {
            Assert.That(result.ChangedPixels, Is.GreaterThan(0));
            Assert.That(detector.PixelsScored, Is.EqualTo(histogramPass));
            Assert.That(Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "before.tif", "after.tif", "mask.tif" }));
        });
    }

    /// <summary>
    /// With the block cache, a whole run (registration, statistics, both tile passes, the features' reads)
    /// decodes every input block once, though each tile reads a halo over its neighbours' blocks; the mask
    /// is the same bytes as without the cache, which decodes blocks many times over.
    /// </summary>
    [Test]
    public void AWholeRunDecodesEachInputBlockOnce()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir);
        var options = new ChangeDetectionOptions { TileSize = 64, OpenRadius = 2, CloseRadius = 1, SmoothRadius = 2, Workers = 1 };
        long blocks;
        using (var reader = GeoTiffReader.Open(b))
        {
            var info = reader.Info;
            int planes = info.Interleave == Interleave.Band ? info.BandCount : 1;
            blocks = (long)planes * ((info.Width + info.BlockWidth - 1) / info.BlockWidth) * ((info.Height + info.BlockHeight - 1) / info.BlockHeight);
        }
        using var cached = ScenePair.Open(b, a);
        using var uncached = ScenePair.Open(b, a, new ScenePairOptions { BlockCacheBytes = 0 });
        ChangeDetector.Detect(cached, dir.File("cached.tif"), options);
        ChangeDetector.Detect(uncached, dir.File("uncached.tif"), options);
        Assert.Multiple(() =>
        {
            Assert.That(cached.BlocksDecoded, Is.EqualTo(2 * blocks));
            Assert.That(uncached.BlocksDecoded, Is.GreaterThan(2 * 2 * blocks), "without the cache the halos decode blocks again");
            Assert.That(ReadMask(dir.File("cached.tif")), Is.EqualTo(ReadMask(dir.File("uncached.tif"))));
        });
    }

    /// <summary>
    /// With the full form of the score store (a pixel model's run, or a threshold below the kept form's floor), the mask
    /// pass reads the imagery again only under each piece of change (its box and one pixel around it), not over the box of
    /// all the tile's change: with one tile holding both buildings and no block cache, it decodes the blocks (16² here)
    /// under the two buildings and the speck only, fewer than the blocks of the box around them. (The kept form reads
    /// none: KeptScoresTests.)
    /// </summary>
    [Test]
    public void TheMaskPassDecodesOnlyTheBlocksUnderThePieces()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir);
        var options = new ChangeDetectionOptions { TileSize = 512, OpenRadius = 1, CloseRadius = 1, SmoothRadius = 1, Workers = 1 };
        using var pair = ScenePair.Open(b, a, new ScenePairOptions { BlockCacheBytes = 0 });
        var detector = new ChangeDetector(options);
        var passes = TilePasses.Open(detector, pair, new MemoryTileStore(), dir.File("scores"), keepImagery: false);
        float threshold = passes.Threshold();
        long before = pair.BlocksDecoded;
        passes.MaskPass(passes.UnfinishedMaskTiles(), threshold, null);
        long decoded = pair.BlocksDecoded - before;
        var pieces = passes.Pieces(tile => $"tile {tile}").ToList();
        passes.Scores.Delete();
        // Blocks of 16² under a box grown by a margin (the change's edge moves a little with smoothing and morphology).
        static int Blocks(int x0, int x1, int y0, int y1, int margin) =>
            ((x1 + margin) / 16 - (x0 - margin) / 16 + 1) * ((y1 + margin) / 16 - (y0 - margin) / 16 + 1);
        // The speck, smoothed into a 3 × 3 blob, survives an opening of radius 1: a third piece.
        int underBuildings = Blocks(60, 99, 50, 89, 4) + Blocks(180, 259, 120, 139, 4) + Blocks(150, 150, 200, 200, 4);
        int underBoth = Blocks(60, 259, 50, 200, 0);
        Assert.Multiple(() =>
        {
            Assert.That(pieces, Has.Count.EqualTo(3), "the two buildings and the speck");
            Assert.That(decoded, Is.GreaterThan(0));
            Assert.That(decoded, Is.LessThanOrEqualTo(2 * 4 * underBuildings), "4 bands of both dates under the buildings");
            Assert.That(2 * 4 * underBuildings, Is.LessThan(2 * 4 * underBoth), "the test tells the two reads apart");
        });
    }

    [Test]
    public void MaskCarriesThePairGridAndNoData()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir);
        using var pair = ScenePair.Open(b, a);
        ChangeDetector.Detect(pair, dir.File("mask.tif"), new ChangeDetectionOptions { TileSize = 256 });
        var info = GeoTiffReader.Describe(dir.File("mask.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(info.Transform, Is.EqualTo(pair.Grid.Transform));
            Assert.That(info.Crs.Epsg, Is.EqualTo(4527));
            Assert.That(info.NoData, Is.EqualTo(255));
            Assert.That(info.DataType, Is.EqualTo(RasterDataType.UInt8));
        });
    }

    [Test]
    public void FixedThresholdIsUsedAsGiven()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir);
        using var pair = ScenePair.Open(b, a);
        var result = ChangeDetector.Detect(pair, dir.File("mask.tif"), new ChangeDetectionOptions { Threshold = ThresholdRule.Fixed(1e6) });
        Assert.Multiple(() =>
        {
            Assert.That(result.Threshold, Is.EqualTo(1e6f));
            Assert.That(result.ChangedPixels, Is.Zero);
        });
    }

    /// <summary>
    /// The statistics sample is a fixed number of windows whatever the scene's size, and on a scene that holds a
    /// whole window per lattice cell each window starts on the 256-pixel lattice (one 256² block per band and date).
    /// </summary>
    [TestCase(4096, 4096)]
    [TestCase(30_000, 2_048)]
    [TestCase(2_048, 9_000)]
    public void SampleWindowsOfALargeSceneLieOnTheBlockLattice(int width, int height)
    {
        var grid = new GeoGrid(width, height, Gt, new Crs(4527));
        var windows = new ChangeDetector(new ChangeDetectionOptions()).SampleWindows(grid).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(windows, Has.Count.EqualTo(64));
            Assert.That(windows.Distinct().Count(), Is.EqualTo(64));
            Assert.That(windows.Select(w => (w.X % 256, w.Y % 256, w.Width, w.Height)).Distinct(), Is.EqualTo(new[] { (0, 0, 256, 256) }));
            Assert.That(windows.All(w => grid.Bounds.Contains(w)), Is.True);
            // Spread over the whole scene, not bunched in a corner.
            Assert.That(windows.Min(w => w.X), Is.LessThan(width / 8));
            Assert.That(windows.Max(w => w.Right), Is.GreaterThan(width - width / 8));
            Assert.That(windows.Max(w => w.Bottom), Is.GreaterThan(height - height / 8));
        });
    }

    /// <summary>An axis shorter than a window per lattice cell keeps the centred placement (every labelled pair's, up to 1 180 px).</summary>
    [Test]
    public void SampleWindowsOfASmallSceneAreCentredInTheirCells()
    {
        var grid = new GeoGrid(1070, 1180, Gt, new Crs(4527));
        var windows = new ChangeDetector(new ChangeDetectionOptions()).SampleWindows(grid).ToList();
        var centred = new List<PixelWindow>();
        for (int j = 0; j < 8; j++)
            for (int i = 0; i < 8; i++)
                centred.Add(new PixelWindow((int)((1070 - 256) * ((i + 0.5) / 8)), (int)((1180 - 256) * ((j + 0.5) / 8)), 256, 256));
        Assert.That(windows, Is.EqualTo(centred.Distinct()));
    }

    [TestCase(0.5, false, 2)]
    [TestCase(1.0, false, 1)]
    [TestCase(10.0, false, 0)]
    [TestCase(9.4e-5, true, 0)]
    public void AutomaticSmoothingSpansAboutOneMetre(double pixel, bool geographic, int expected)
    {
        var grid = new GeoGrid(100, 100, new GeoTransform(0, pixel, 0, 0, 0, -pixel), new Crs(geographic ? 4326 : 32650, IsGeographic: geographic));
        Assert.That(new ChangeDetectionOptions().SmoothRadiusFor(grid), Is.EqualTo(expected));
    }

    [Test]
    public void BadOptionsNameTheOption()
    {
        var e = Assert.Throws<ChangeDetectionException>(() => new ChangeDetector(new ChangeDetectionOptions { TileSize = 100 }));
        Assert.That(e!.Message, Does.Contain("Tile size 100"));
    }
}
