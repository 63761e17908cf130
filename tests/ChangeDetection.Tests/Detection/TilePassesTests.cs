using ChangeDetection.Detection;
using ChangeDetection.Geo;
using ChangeDetection.Kernels;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tests.Raster;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tests.Detection;

/// <summary>The one driver of the tile passes over a store: what the store holds is never computed again.</summary>
[TestFixture]
public class TilePassesTests
{
    private static readonly GeoTransform Gt = new(39_500_000, 1, 0, 3_800_000, 0, -1);

    private static readonly ChangeDetectionOptions Options = new() { TileSize = 64, Workers = 2 };

    /// <summary>A 160×130 pair with one new 30×24 "building" that crosses tile seams.</summary>
    private static ScenePair Scene(TempDir dir)
    {
        const int w = 160, h = 130;
        static int Noise(int k, int c, int r, int seed) => (int)((uint)HashCode.Combine(k, c, r, seed) % 60);
        string before = ScenePairTests.Write(dir, "before.tif", w, h, Gt, (k, c, r) => 800 + 300 * k + Noise(k, c, r, 1), names: ["blue", "green", "red", "nir"]);
        string after = ScenePairTests.Write(dir, "after.tif", w, h, Gt, (k, c, r) =>
            c is >= 50 and < 80 && r is >= 52 and < 76 ? 3000 - 200 * k + Noise(k, c, r, 2) : 820 + 300 * k + Noise(k, c, r, 3),
            names: ["blue", "green", "red", "nir"]);
        return ScenePair.Open(before, after);
    }

    [Test]
    public void Passes_over_a_store_that_holds_every_tile_score_nothing_and_write_the_same_mask()
    {
        using var dir = new TempDir();
        using var pair = Scene(dir);
        var store = new MemoryTileStore();
        var first = TilePasses.Open(new ChangeDetector(Options), pair, store, dir.File("scores"));
        float threshold = first.Threshold();
        first.MaskPass(first.UnfinishedMaskTiles(), threshold, null);
        var counts = first.WriteMask(dir.File("first.tif"));

        var again = new ChangeDetector(Options);
        var second = TilePasses.Open(again, pair, store, dir.File("scores"));
        Assert.Multiple(() =>
        {
            Assert.That(second.Threshold(), Is.EqualTo(threshold));
            Assert.That(second.UnfinishedMaskTiles(), Is.Empty);
        });
        Assert.That(second.WriteMask(dir.File("second.tif")), Is.EqualTo(counts));
        Assert.Multiple(() =>
        {
            Assert.That(again.PixelsScored, Is.Zero, "nothing scored again");
            Assert.That(counts.Changed, Is.InRange(700, 900), "the building's 30×24 pixels, with the smoothing's rim 32×26");
            Assert.That(File.ReadAllBytes(dir.File("second.tif")), Is.EqualTo(File.ReadAllBytes(dir.File("first.tif"))));
        });

        // cdx detect is the same passes over a store of its own: the same file, byte for byte (tiles in tile order).
        var detected = ChangeDetector.Detect(pair, dir.File("detect.tif"), Options);
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllBytes(dir.File("detect.tif")), Is.EqualTo(File.ReadAllBytes(dir.File("first.tif"))));
            Assert.That(detected.Threshold, Is.EqualTo(threshold));
            Assert.That(detected.Pieces.Count, Is.EqualTo(first.Pieces(t => $"tile {t}").Count()));
        });
    }

    /// <summary>
    /// A 512² 4-band pair in 32² blocks (band-interleaved DEFLATE, as GDAL writes), with a building across tile seams,
    /// read through block caches that hold less than a third of a file: the case of every big scene.
    /// </summary>
    private static (string Before, string After) BlockScene(TempDir dir)
    {
        const int w = 512, h = 512;
        static int Noise(int k, int c, int r, int seed) => (int)((uint)HashCode.Combine(k, c, r, seed) % 60);
        string Write(string name, Func<int, int, int, int> f)
        {
            var data = new ushort[w * h * 4];
            for (int k = 0; k < 4; k++)
                for (int r = 0; r < h; r++)
                    for (int c = 0; c < w; c++)
                        data[k * w * h + r * w + c] = (ushort)f(k, c, r);
            string path = dir.File(name);
            using var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions
            {
                Width = w, Height = h, BandCount = 4, DataType = RasterDataType.UInt16, Transform = Gt,
                Crs = new Crs(4527), BandNames = ["blue", "green", "red", "nir"], TileSize = 32,
            });
            writer.WriteWindow(new PixelWindow(0, 0, w, h), data.AsSpan());
            return path;
        }
        string before = Write("before.tif", (k, c, r) => 800 + 300 * k + Noise(k, c, r, 1));
        string after = Write("after.tif", (k, c, r) =>
            c is >= 100 and < 160 && r is >= 110 and < 150 ? 3000 - 200 * k + Noise(k, c, r, 2) : 820 + 300 * k + Noise(k, c, r, 3));
        return (before, after);
    }

    /// <summary>
    /// The histogram pass decodes each input block whole once, though every 128-px tile reads a 4-px halo over its eight
    /// neighbours' blocks and the block caches (768 KiB a date, the files 2 MiB) cannot hold a row of tiles until the row
    /// below: the tile below reads the kept last rows of the blocks above, and the first 4 rows of the blocks below a tile
    /// are inflated alone, once each (the halo share: 3 seams between the 4 rows of tiles × 16 blocks across × 4 bands a
    /// date). With two workers, two neighbouring tiles running at once may both decode the two block columns at their
    /// seam (and those columns' first rows). The mask is the same as without any cache, with a cache that holds the files, and with tiles of 64 and 256 px.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    public void The_histogram_pass_decodes_each_block_once_with_caches_smaller_than_the_scene(int workers)
    {
        using var dir = new TempDir();
        var (b, a) = BlockScene(dir);
        var options = new ChangeDetectionOptions { TileSize = 128, SmoothRadius = 4, OpenRadius = 1, CloseRadius = 1, Workers = workers };
        const int blocks = 16 * 16 * 4, halo = 3 * 16 * 4;
        using var pair = ScenePair.Open(b, a, new ScenePairOptions { BlockCacheBytes = 768 << 10 });
        var passes = TilePasses.Open(new ChangeDetector(options), pair, new MemoryTileStore(), dir.File("scores"));
        pair.ClearBlockCaches();
        var (decoded, prefixes) = (pair.BlocksDecoded, pair.BlockPrefixesDecoded);
        var histogram = passes.Histogram();
        long whole = pair.BlocksDecoded - decoded - (pair.BlockPrefixesDecoded - prefixes);
        prefixes = pair.BlockPrefixesDecoded - prefixes;
        passes.Scores.Delete();

        using var uncached = ScenePair.Open(b, a, new ScenePairOptions { BlockCacheBytes = 0 });
        using var held = ScenePair.Open(b, a);
        var masks = new[] { (pair, "small.tif"), (uncached, "uncached.tif"), (held, "held.tif") }
            .Select(p => { ChangeDetector.Detect(p.Item1, dir.File(p.Item2), options); return ChangeDetectorTests.ReadMask(dir.File(p.Item2)); }).ToList();
        // Other tile sizes through the small caches: their halos cross other blocks' edges, and the mask stays the same.
        foreach (int size in new[] { 64, 256 })
        {
            using var other = ScenePair.Open(b, a, new ScenePairOptions { BlockCacheBytes = 768 << 10 });
            ChangeDetector.Detect(other, dir.File($"tile{size}.tif"), options with { TileSize = size });
            masks.Add(ChangeDetectorTests.ReadMask(dir.File($"tile{size}.tif")));
        }
        // At most: the 3 seams between the 4 columns of tiles, each 2 block columns of 16 blocks down, 4 bands, and their first rows.
        int seam = workers == 1 ? 0 : 3 * 2 * 16 * 4, seamHalo = workers == 1 ? 0 : 3 * 2 * 3 * 4;
        Assert.Multiple(() =>
        {
            Assert.That(histogram.Total, Is.EqualTo(512 * 512));
            if (workers == 1)
            {
                Assert.That(whole, Is.EqualTo(2 * blocks), "each block of both dates decoded whole once");
                Assert.That(prefixes, Is.EqualTo(2 * halo), "the first rows of the blocks below each row of tiles, once");
            }
            Assert.That(whole, Is.InRange(2 * blocks, 2 * (blocks + seam)));
            Assert.That(prefixes, Is.InRange(2 * halo, 2 * (halo + seamHalo)));
            Assert.That(uncached.BlocksDecoded, Is.GreaterThan(4 * blocks), "the test tells the reads apart: without a cache the halos decode blocks again");
            for (int i = 1; i < masks.Count; i++) Assert.That(masks[i], Is.EqualTo(masks[0]), $"mask {i}");
            Assert.That(masks[0].Count(Morphology.IsChange), Is.InRange(60 * 40, 70 * 50), "the 60×40 building, with the smoothing's rim");
        });
    }

    /// <summary>
    /// The blocks the statistics pass decodes are held for the histogram pass (ScenePair.HoldDecodedBlocks): it decodes fewer
    /// blocks than after a pass whose blocks were dropped, and the histogram is the same.
    /// </summary>
    [Test]
    public void The_histogram_pass_reads_the_statistics_blocks_without_decoding_them_again()
    {
        using var dir = new TempDir();
        var (b, a) = BlockScene(dir);
        var options = new ChangeDetectionOptions { TileSize = 128, SmoothRadius = 4, OpenRadius = 1, CloseRadius = 1, Workers = 1 };
        (long Decoded, ScoreHistogram Histogram) Run(bool drop)
        {
            using var pair = ScenePair.Open(b, a, new ScenePairOptions { BlockCacheBytes = 768 << 10 });
            var passes = TilePasses.Open(new ChangeDetector(options), pair, new MemoryTileStore(), dir.File(drop ? "dropped" : "held"));
            if (drop) pair.ClearBlockCaches();
            long before = pair.BlocksDecoded;
            var histogram = passes.Histogram();
            passes.Scores.Delete();
            return (pair.BlocksDecoded - before, histogram);
        }
        var held = Run(drop: false);
        var dropped = Run(drop: true);
        Assert.Multiple(() =>
        {
            Assert.That(held.Decoded, Is.LessThan(dropped.Decoded - 100), "the statistics' blocks are read from where they were held");
            Assert.That(held.Histogram.Total, Is.EqualTo(dropped.Histogram.Total));
            Assert.That(held.Histogram.Counts.ToArray(), Is.EqualTo(dropped.Histogram.Counts.ToArray()));
        });
    }

    /// <summary>The fan-out's batches take the threshold recorded once, never one of their own from the histogram.</summary>
    [Test]
    public void A_recorded_threshold_is_the_one_the_mask_pass_uses()
    {
        using var dir = new TempDir();
        using var pair = Scene(dir);
        var store = new MemoryTileStore();
        var detector = new ChangeDetector(Options);
        var passes = TilePasses.Open(detector, pair, store, dir.File("scores"));
        TileStages.Threshold.GetOrAdd(store, 1e6f);
        Assert.That(passes.Threshold(), Is.EqualTo(1e6f));
        Assert.That(TileStages.Histogram(passes.Model.HistogramMax).Finished(store), Is.Empty, "no histogram pass for a recorded threshold");

        // A batch of two tiles: only those are stored, and at that threshold they hold no change.
        var batch = passes.UnfinishedMaskTiles(t => t.Index is 1 or 2);
        passes.MaskPass(batch, passes.Threshold(), null);
        Assert.Multiple(() =>
        {
            Assert.That(batch.Select(t => t.Index), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(TileStages.Mask.Finished(store), Is.EquivalentTo(new[] { 1, 2 }));
            Assert.That(passes.UnfinishedMaskTiles().Select(t => t.Index), Does.Not.Contain(1).And.Not.Contain(2));
            Assert.That(TileStages.Mask.Get(store, 1)!.Count(Morphology.IsChange), Is.Zero);
        });
    }

    [Test]
    public void The_first_recorded_run_value_wins_in_memory_and_in_the_ledger()
    {
        using var dir = new TempDir();
        using var ledger = RunLedger.Open(dir.Path, "f", force: false);
        foreach (ITileStore store in new ITileStore[] { new MemoryTileStore(), ledger })
            Assert.Multiple(() =>
            {
                Assert.That(store.GetValue("threshold"), Is.Null);
                Assert.That(TileStages.Threshold.GetOrAdd(store, 2.5f), Is.EqualTo(2.5f));
                Assert.That(TileStages.Threshold.GetOrAdd(store, 3.75f), Is.EqualTo(2.5f), "a later value does not replace it");
                Assert.That(TileStages.Threshold.TryGet(store, out float t) ? t : float.NaN, Is.EqualTo(2.5f));
            });
    }

    [Test]
    public void Stage_codecs_give_back_what_went_in()
    {
        var store = new MemoryTileStore();
        var histogram = new ScoreHistogram(16, 4f);
        histogram.Add([0.1f, 0.2f, 3.9f, 7f, float.NaN]);
        var stage = TileStages.Histogram(4f);
        stage.Put(store, 3, histogram);
        byte[] mask = [0, 1, 1, 255, 0, 2];
        TileStages.Mask.Put(store, 3, mask);
        var back = stage.Get(store, 3)!;
        Assert.Multiple(() =>
        {
            Assert.That(back.Counts.ToArray(), Is.EqualTo(histogram.Counts.ToArray()));
            Assert.That((back.Total, back.AboveMax, back.Max), Is.EqualTo((histogram.Total, histogram.AboveMax, histogram.Max)));
            Assert.That(TileStages.Mask.Get(store, 3), Is.EqualTo(mask));
            Assert.That(TileStages.Mask.Get(store, 4), Is.Null);
            Assert.That(TileStages.Mask.Finished(store), Is.EquivalentTo(new[] { 3 }));
        });
    }

    /// <summary>
    /// The mask pass stores a pooled plane's first core pixels (<see cref="TileStages.PutMask"/>) as the same bytes as the
    /// mask stage's codec, and the mask file's assembly inflates them into a plane of its own; a plane of another length is refused.
    /// </summary>
    [Test]
    public void Masks_stored_from_a_span_and_inflated_into_a_plane_are_the_codecs_bytes()
    {
        var store = new MemoryTileStore();
        var mask = Enumerable.Range(0, 5000).Select(i => (byte)(i % 7 == 0 ? 1 : i % 11 == 0 ? 255 : 0)).ToArray();
        var plane = new byte[8192];
        mask.CopyTo(plane, 0);
        Array.Fill(plane, (byte)9, mask.Length, plane.Length - mask.Length);
        TileStages.PutMask(store, 1, plane.AsSpan(0, mask.Length));
        var into = new byte[mask.Length];
        Assert.Multiple(() =>
        {
            Assert.That(store.Get(TileStages.Mask.Name, 1), Is.EqualTo(TileStages.Mask.Encode(mask)));
            Assert.That(TileStages.TryGetMask(store, 1, into), Is.True);
            Assert.That(into, Is.EqualTo(mask));
            Assert.That(TileStages.TryGetMask(store, 2, into), Is.False, "not stored");
            Assert.Throws<InvalidOperationException>(() => TileStages.TryGetMask(store, 1, new byte[mask.Length - 1]), "the stored tile is longer");
            Assert.Throws<InvalidOperationException>(() => TileStages.TryGetMask(store, 1, new byte[mask.Length + 1]), "the stored tile is shorter");
        });
    }

    /// <summary>The pieces' codec runs through streams the thread reuses: a large tile's pieces, then a small one's, each come back as they went in.</summary>
    [Test]
    public void Pieces_encoded_one_after_another_on_a_thread_come_back_the_same()
    {
        static List<PatchPiece> Make(int count, int seed)
        {
            var random = new Random(seed);
            return [.. Enumerable.Range(0, count).Select(i =>
            {
                var m = new PatchMoments();
                for (int k = 0; k < m.Values.Length; k++) m.Values[k] = random.NextDouble() * 1000;
                return new PatchPiece(i, 2 * i + seed, m);
            })];
        }
        static string Text(IEnumerable<PatchPiece> pieces) =>
            string.Join("|", pieces.Select(p => $"{p.X},{p.Y}:{string.Join(" ", p.Moments.Values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}"));
        var store = new MemoryTileStore();
        var large = Make(20000, 1);
        var small = Make(3, 2);
        TileStages.Pieces.Put(store, 1, large);
        TileStages.Pieces.Put(store, 2, small);
        Assert.Multiple(() =>
        {
            Assert.That(Text(TileStages.Pieces.Get(store, 2)!), Is.EqualTo(Text(small)));
            Assert.That(Text(TileStages.Pieces.Get(store, 1)!), Is.EqualTo(Text(large)));
            Assert.That(Text(TileStages.Pieces.Get(store, 2)!), Is.EqualTo(Text(small)));
            Assert.That(TileStages.Pieces.Encode(small), Is.EqualTo(store.Get(TileStages.Pieces.Name, 2)));
        });
    }
}
