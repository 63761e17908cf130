using ChangeDetection.Detection;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Tests.Raster;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tests.Detection;

/// <summary>
/// The kept form of the score store: the histogram pass keeps the imagery of the pixels that could be change, and the mask
/// pass reads no imagery, with the same mask and the same pieces' sums as the full form.
/// </summary>
[TestFixture]
public class KeptScoresTests
{
    private static readonly GeoTransform Gt = new(39_500_000, 1, 0, 3_800_000, 0, -1);

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(3)]
    public void The_kept_region_is_every_pixel_near_a_candidate_or_the_core_edge(int reach)
    {
        var random = new Random(reach + 7);
        var read = new PixelWindow(0, 0, 45, 38);
        var core = new PixelWindow(4, 3, 37, 31);
        int n = (int)read.PixelCount;
        var scores = new float[n];
        var flags = new byte[n];
        for (int i = 0; i < n; i++)
        {
            scores[i] = random.NextDouble() < 0.05 ? float.NaN : (float)(random.NextDouble() * 10);
            flags[i] = (byte)((random.NextDouble() < 0.9 ? TileScoreStore.Valid : 0) | (random.NextDouble() < 0.2 ? TileScoreStore.Vegetated : 0));
        }
        const float floor = 9.3f;
        var kept = new byte[core.PixelCount];
        int count = KeptRegion.Mark(scores, flags, read.Width, core, floor, reach, kept, new byte[core.PixelCount]);

        bool Candidate(int x, int y)
        {
            int i = (core.Y + y) * read.Width + core.X + x;
            return (flags[i] & TileScoreStore.Valid) != 0 && (flags[i] & TileScoreStore.Vegetated) == 0 && scores[i] > floor;
        }
        var expected = new byte[core.PixelCount];
        int candidates = 0;
        for (int y = 0; y < core.Height; y++)
            for (int x = 0; x < core.Width; x++)
            {
                if (Candidate(x, y)) candidates++;
                bool edge = x < reach || y < reach || x >= core.Width - reach || y >= core.Height - reach;
                bool near = false;
                for (int dy = -reach; dy <= reach && !near; dy++)
                    for (int dx = -reach; dx <= reach && !near; dx++)
                    {
                        int xx = x + dx, yy = y + dy;
                        near = xx >= 0 && yy >= 0 && xx < core.Width && yy < core.Height && Candidate(xx, yy);
                    }
                expected[y * core.Width + x] = (byte)(edge || near ? 1 : 0);
            }
        Assert.Multiple(() =>
        {
            Assert.That(kept, Is.EqualTo(expected));
            Assert.That(count, Is.EqualTo(expected.Count(b => b == 1)));
            Assert.That(candidates, Is.InRange(5, 200), "the test has candidates, and not everywhere");
            Assert.That(count, Is.LessThan(core.PixelCount), "and keeps less than the core");
        });
    }

    [Test]
    public void Windows_read_back_from_the_kept_form_hold_the_kept_pixels_and_the_validity_of_every_pixel()
    {
        using var dir = new TempDir();
        const int w = 100, h = 70, bands = 2, size = 32;
        var cores = new TileScheme(w, h, size);
        var reads = new TileScheme(w, h, size, halo: 3);
        var random = new Random(5);
        // The scene's truth, pixel by pixel.
        var score = new float[w * h];
        var flag = new byte[w * h];
        var keep = new bool[w * h];
        var before = new ushort[bands * w * h];
        var after = new ushort[bands * w * h];
        for (int i = 0; i < w * h; i++)
        {
            score[i] = (float)random.NextDouble();
            flag[i] = (byte)random.Next(8);
            keep[i] = random.NextDouble() < 0.3;
            for (int b = 0; b < bands; b++) { before[b * w * h + i] = (ushort)random.Next(65536); after[b * w * h + i] = (ushort)random.Next(65536); }
        }
        var store = new TileScoreStore(dir.File("scores"), cores, _ => Assert.Fail("no file is missing"), bands, floor: 0.5f);
        foreach (var tile in reads.Tiles())
        {
            var r = tile.Read;
            int n = (int)r.PixelCount;
            var s = new float[n];
            var f = new byte[n];
            var bb = new ushort[bands * n];
            var aa = new ushort[bands * n];
            for (int y = 0; y < r.Height; y++)
                for (int x = 0; x < r.Width; x++)
                {
                    int g = (r.Y + y) * w + r.X + x, i = y * r.Width + x;
                    s[i] = score[g];
                    f[i] = flag[g];
                    for (int b = 0; b < bands; b++) { bb[b * n + i] = before[b * w * h + g]; aa[b * n + i] = after[b * w * h + g]; }
                }
            var kept = new byte[tile.Core.PixelCount];
            for (int y = 0; y < tile.Core.Height; y++)
                for (int x = 0; x < tile.Core.Width; x++)
                    kept[y * tile.Core.Width + x] = keep[(tile.Core.Y + y) * w + tile.Core.X + x] ? (byte)1 : (byte)0;
            store.WriteKept(tile, s, f, bb, aa, r.Width, kept, kept.Count(k => k == 1));
        }

        foreach (var window in new[] { new PixelWindow(0, 0, w, h), new PixelWindow(28, 29, 40, 7), new PixelWindow(31, 0, 2, h), new PixelWindow(96, 64, 4, 6), new PixelWindow(5, 33, 90, 30) })
        {
            int n = (int)window.PixelCount;
            var s = new float[n];
            var f = new byte[n];
            var bb = new ushort[bands * n];
            var aa = new ushort[bands * n];
            bb.AsSpan().Fill(7);
            store.ReadKept(window, s, f, bb, aa);
            int wrong = 0;
            for (int y = 0; y < window.Height; y++)
                for (int x = 0; x < window.Width; x++)
                {
                    int g = (window.Y + y) * w + window.X + x, i = y * window.Width + x;
                    bool ok = keep[g]
                        ? s[i] == score[g] && f[i] == flag[g] && Enumerable.Range(0, bands).All(b => bb[b * n + i] == before[b * w * h + g] && aa[b * n + i] == after[b * w * h + g])
                        : float.IsNegativeInfinity(s[i]) && f[i] == (flag[g] & TileScoreStore.Valid) && Enumerable.Range(0, bands).All(b => bb[b * n + i] == 0 && aa[b * n + i] == 0);
                    if (!ok) wrong++;
                }
            Assert.That(wrong, Is.Zero, $"window {window}");
        }
        store.Delete();
    }

    [TestCase(0)]
    [TestCase(13)]
    [TestCase(16)]
    [TestCase(75)]
    public void Bits_pack_and_unpack_as_their_definition(int length)
    {
        var random = new Random(length);
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(random.Next(3) == 0 ? 0 : random.Next(256));
        for (int i = 0; i < length / 3; i++) bytes[i] = 0xFF; // runs of whole set bytes
        var bits = new byte[(length + 7) / 8];
        bits.AsSpan().Fill(0xAA);
        TileScoreStore.PackBits(bytes, 4, bits);
        for (int x = 0; x < length; x++) Assert.That((bits[x >> 3] >> (x & 7)) & 1, Is.EqualTo((bytes[x] & 4) != 0 ? 1 : 0), $"bit {x}");
        for (int first = 0; first < Math.Min(length, 10); first++)
        {
            var into = new byte[length - first];
            into.AsSpan().Fill(9);
            TileScoreStore.UnpackBits(bits, first, 5, into);
            for (int i = 0; i < into.Length; i++) Assert.That(into[i], Is.EqualTo((bytes[first + i] & 4) != 0 ? 5 : 0), $"from {first}, pixel {i}");
        }
    }

    /// <summary>
    /// A 150×118 pair (tiles of 32 and 48 px: edge tiles of 22 and 6 px) with scattered noise, three changed blocks that
    /// cross seams, a nodata hole, vegetation on both dates with a seasonal change, and greening: the kept form gives the
    /// full form's mask and every piece's sums, and its mask pass decodes no block of imagery.
    /// </summary>
    [TestCase(32, 1, 1)]
    [TestCase(48, 1, 2)]
    [TestCase(32, 0, 0)]
    public void The_kept_form_gives_the_full_forms_mask_and_pieces_without_reading_the_imagery(int tileSize, int open, int close)
    {
        using var dir = new TempDir();
        using var pair = Scene(dir);
        var options = new ChangeDetectionOptions { TileSize = tileSize, Workers = 2, SmoothRadius = 1, OpenRadius = open, CloseRadius = close };
        var full = Passes(pair, options, keep: false, dir, "full");
        var kept = Passes(pair, options, keep: true, dir, "kept");
        Assert.Multiple(() =>
        {
            Assert.That(kept.Kept, Is.True, "the kept form was used");
            Assert.That(full.Kept, Is.False);
            Assert.That(kept.Floor, Is.LessThan(kept.Threshold), "the sample's floor lies below the scene's threshold");
            Assert.That(kept.Mask, Is.EqualTo(full.Mask));
            Assert.That(kept.Pieces, Is.EqualTo(full.Pieces));
            Assert.That(full.Pieces, Has.Count.GreaterThan(3), "the test has pieces");
            Assert.That(full.Mask.Count(v => v == MaskValues.ChangeVegetationGain), Is.Positive, "and greening");
            Assert.That(full.Mask.Count(v => v == MaskValues.NoData), Is.Positive, "and nodata");
            Assert.That(kept.MaskPassDecodes, Is.Zero, "the kept form's mask pass reads no imagery");
            Assert.That(full.MaskPassDecodes, Is.Positive, "the full form's reads it under the pieces");
        });
    }

    [Test]
    public void A_floor_above_the_threshold_scores_the_scene_again_in_full_with_the_same_mask()
    {
        using var dir = new TempDir();
        using var pair = Scene(dir);
        var options = new ChangeDetectionOptions { TileSize = 32, Workers = 2, SmoothRadius = 1 };
        var full = Passes(pair, options, keep: false, dir, "full");
        var misjudged = Passes(pair, options, keep: true, dir, "high", floor: 1e6f);
        Assert.Multiple(() =>
        {
            Assert.That(misjudged.Kept, Is.False, "the mask pass fell back to the full form");
            Assert.That(misjudged.Floor, Is.GreaterThan(misjudged.Threshold));
            Assert.That(misjudged.Mask, Is.EqualTo(full.Mask));
            Assert.That(misjudged.Pieces, Is.EqualTo(full.Pieces));
        });
    }

    [Test]
    public void The_score_floor_goes_through_the_ledgers_model_and_an_old_model_has_none()
    {
        var model = new DetectionModel(new ChangeDetection.Kernels.ChangeKernelOptions([new(1, 0, 2), new(1, 0, 2), new(1, 0, 2)]), 1, 50f) { ScoreFloor = 12.345f };
        string json = ModelJson.Write(model);
        Assert.Multiple(() =>
        {
            Assert.That(ModelJson.Read(json).ScoreFloor, Is.EqualTo(12.345f));
            Assert.That(ModelJson.Read(json.Replace("\"score_floor\":12.345", "\"x\":1")).ScoreFloor, Is.EqualTo(float.NegativeInfinity));
            Assert.That(ModelJson.Read(ModelJson.Write(model with { ScoreFloor = float.NegativeInfinity })).ScoreFloor, Is.EqualTo(float.NegativeInfinity));
        });
    }

    /// <summary>What a run of the passes gave; pieces as text (first pixel, then every sum written to round-trip).</summary>
    private sealed record Outcome(byte[] Mask, List<string> Pieces, bool Kept, float Floor, float Threshold, long MaskPassDecodes);

    private static Outcome Passes(ScenePair pair, ChangeDetectionOptions options, bool keep, TempDir dir, string name, float? floor = null)
    {
        var store = new MemoryTileStore();
        var detector = new ChangeDetector(options);
        if (floor is float f) TileStages.Model.GetOrAdd(store, detector.Prepare(pair) with { ScoreFloor = f });
        var passes = TilePasses.Open(detector, pair, store, dir.File(name + ".scores"), keepImagery: keep);
        float threshold = passes.Threshold();
        pair.ClearBlockCaches();
        long decoded = pair.BlocksDecoded;
        passes.MaskPass(passes.UnfinishedMaskTiles(), threshold, null);
        decoded = pair.BlocksDecoded - decoded;
        bool kept = passes.Scores.KeepsImagery;
        passes.WriteMask(dir.File(name + ".tif"));
        var pieces = passes.Pieces(i => $"tile {i}")
            .Select(p => $"{p.X},{p.Y}: {string.Join(" ", p.Moments.Values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}").ToList();
        passes.Scores.Delete();
        return new Outcome(ChangeDetectorTests.ReadMask(dir.File(name + ".tif")), pieces, kept, passes.Model.ScoreFloor, threshold, decoded);
    }

    private static ScenePair Scene(TempDir dir)
    {
        const int w = 150, h = 118;
        static int Noise(int k, int c, int r, int seed) => (int)((uint)HashCode.Combine(k, c, r, seed) % 90);
        static bool Hole(int c, int r) => c is >= 100 and < 112 && r is >= 20 and < 29;
        static bool Vegetated(int c, int r) => c is >= 5 and < 60 && r is >= 80 and < 112;
        // Bands blue, green, red, nir; nodata 0.
        int Before(int k, int c, int r) =>
            Hole(c, r) ? 0
            : Vegetated(c, r) ? (k == 3 ? 3200 : 500 + 60 * k) + Noise(k, c, r, 1)
            : c is >= 70 and < 95 && r is >= 85 and < 105 ? (k == 3 ? 1300 : 1500) + Noise(k, c, r, 1) // bare, greening later
            : 800 + 300 * k + Noise(k, c, r, 1);
        int After(int k, int c, int r) =>
            Hole(c, r) ? 0
            : Vegetated(c, r) ? (k == 3 ? 4200 : 420 + 50 * k) + Noise(k, c, r, 2)
            : c is >= 70 and < 95 && r is >= 85 and < 105 ? (k == 3 ? 3800 : 600) + Noise(k, c, r, 2)
            : c is >= 25 and < 41 && r is >= 26 and < 40 ? 3000 - 200 * k + Noise(k, c, r, 2)
            : c is >= 88 and < 99 && r is >= 40 and < 70 ? 2600 + 100 * k + Noise(k, c, r, 2)
            : c is >= 120 and < 150 && r is >= 60 and < 66 ? 200 + 50 * k + Noise(k, c, r, 2)
            : 820 + 300 * k + Noise(k, c, r, 3);
        string before = ScenePairTests.Write(dir, "before.tif", w, h, Gt, Before, names: ["blue", "green", "red", "nir"], nodata: 0);
        string after = ScenePairTests.Write(dir, "after.tif", w, h, Gt, After, names: ["blue", "green", "red", "nir"], nodata: 0);
        return ScenePair.Open(before, after);
    }
}
