using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Detection;

[TestFixture]
public class TileScoreStoreTests
{
    private const int Width = 45, Height = 38, TileSize = 16, Halo = 3;

    /// <summary>A whole scene's scores and flags as the histogram pass makes them: NaN without data, greening and vegetated anywhere.</summary>
    private static (float[] Scores, byte[] Flags) Scene(int seed, bool negative = false)
    {
        var random = new Random(seed);
        var scores = new float[Width * Height];
        var flags = new byte[Width * Height];
        for (int i = 0; i < scores.Length; i++)
        {
            bool valid = random.Next(7) > 0;
            // Flag bits are set whatever the validity, as FlagGreeningAndVegetated sets them.
            flags[i] = (byte)((valid ? TileScoreStore.Valid : 0) | (random.Next(3) == 0 ? TileScoreStore.Greening : 0) | (random.Next(4) == 0 ? TileScoreStore.Vegetated : 0));
            scores[i] = !valid ? ChangeKernel.NoDataScore : random.Next(20) == 0 ? 0f : (float)(random.NextDouble() * 9);
        }
        if (negative) scores[Array.FindIndex(flags, f => (f & TileScoreStore.Valid) != 0)] = -0f;
        return (scores, flags);
    }

    /// <summary>What the mask pass may rely on: every score bit for bit (NaN as NaN), every flag of a valid pixel, no flag without data.</summary>
    private static (float[] Scores, byte[] Flags) Expected(float[] scores, byte[] flags, PixelWindow window, bool keepsInvalidFlags)
    {
        var s = new float[window.PixelCount];
        var f = new byte[window.PixelCount];
        for (int y = 0; y < window.Height; y++)
            for (int x = 0; x < window.Width; x++)
            {
                int i = (window.Y + y) * Width + window.X + x, j = y * window.Width + x;
                s[j] = scores[i];
                f[j] = (flags[i] & TileScoreStore.Valid) != 0 || keepsInvalidFlags ? flags[i] : (byte)0;
            }
        return (s, f);
    }

    private static TileScoreStore Store(string folder, float[] scores, byte[] flags)
    {
        var reads = new TileScheme(Width, Height, TileSize, Halo);
        TileScoreStore? store = null;
        store = new TileScoreStore(folder, new TileScheme(Width, Height, TileSize), index =>
        {
            var tile = reads[index % reads.Columns, index / reads.Columns];
            var (s, f) = Expected(scores, flags, tile.Read, keepsInvalidFlags: true);
            store!.Write(tile, s, f, tile.Read.Width);
        });
        return store;
    }

    private static IEnumerable<PixelWindow> Windows()
    {
        yield return new PixelWindow(0, 0, Width, Height);
        var mask = new TileScheme(Width, Height, TileSize, 5);
        foreach (var tile in mask.Tiles()) yield return tile.Read;
        yield return new PixelWindow(13, 5, 7, 29);   // narrow strips across tiles, odd bit offsets
        yield return new PixelWindow(31, 17, 14, 1);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Every_window_reads_back_what_the_mask_pass_relies_on(bool negative)
    {
        using var dir = new TempDir();
        var (scores, flags) = Scene(negative ? 2 : 1, negative);
        var store = Store(dir.Path, scores, flags);
        foreach (var window in Windows())
        {
            var s = new float[window.PixelCount];
            var f = new byte[window.PixelCount];
            store.Read(window, s, f);
            // The plain layout (a tile with a score the packed one cannot carry) keeps the bytes as they were.
            var (es, ef) = Expected(scores, flags, window, keepsInvalidFlags: false);
            for (int i = 0; i < s.Length; i++)
            {
                Assert.That(float.IsNaN(s[i]) ? "NaN" : BitConverter.SingleToInt32Bits(s[i]).ToString(),
                    Is.EqualTo(float.IsNaN(es[i]) ? "NaN" : BitConverter.SingleToInt32Bits(es[i]).ToString()), $"score {i} of {window}");
                if (negative && (f[i] & TileScoreStore.Valid) == 0 && f[i] != 0) continue;
                Assert.That(f[i], Is.EqualTo(ef[i]), $"flags {i} of {window}");
            }
        }
        var files = Directory.GetFiles(dir.Path).Select(Path.GetExtension).ToList();
        Assert.That(files, Has.Count.EqualTo(new TileScheme(Width, Height, TileSize).Count));
        if (negative) Assert.That(files, Does.Contain(".scores").And.Contain(".packed"), "the tile with −0 is plain, the others packed");
        else Assert.That(files, Is.All.EqualTo(".packed"));
    }

    [Test]
    public void A_packed_file_is_smaller_than_the_plain_layout()
    {
        using var dir = new TempDir();
        var (scores, flags) = Scene(3);
        var store = Store(dir.Path, scores, flags);
        var f = new byte[Width * Height];
        store.Read(new PixelWindow(0, 0, Width, Height), new float[Width * Height], f);
        long bytes = Directory.GetFiles(dir.Path).Sum(p => new FileInfo(p).Length);
        Assert.That(bytes, Is.EqualTo(4L * Width * Height + new TileScheme(Width, Height, TileSize).Tiles().Sum(t => (t.Core.PixelCount + 7) / 8)));
    }
}
