using ChangeDetection.Detection;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Detection;

/// <summary>
/// The score store's files written around the page cache (<see cref="DirectFiles"/>): the same bytes as buffered files,
/// whatever their length against the alignment; where direct I/O is refused the files fall back to buffered writes with
/// the same result; and the store reads back from them what it reads from buffered ones.
/// </summary>
[TestFixture]
public class DirectFilesTests
{
    private const int A = DirectFiles.Alignment;

    private static readonly int[] Lengths = [0, 1, 100, A - 1, A, A + 1, 2 * A - 1, 3 * A + 5, (1 << 20) + 123];

    [Test]
    public void Files_written_directly_hold_the_bytes_a_buffered_write_gives_for_any_length()
    {
        RequireDirect();
        using var dir = new TempDir();
        var direct = new DirectFiles();
        var buffered = new DirectFiles(direct: false);
        foreach (int length in Lengths)
        {
            var bytes = RandomBytes(length, seed: length);
            Write(direct, dir.File($"d{length}"), bytes);
            Write(buffered, dir.File($"b{length}"), bytes);
            Assert.Multiple(() =>
            {
                Assert.That(File.ReadAllBytes(dir.File($"d{length}")), Is.EqualTo(bytes), $"direct, {length} bytes");
                Assert.That(File.ReadAllBytes(dir.File($"b{length}")), Is.EqualTo(bytes), $"buffered, {length} bytes");
            });
        }
        // Again over longer files: truncated, not kept from before.
        Write(direct, dir.File("d4097"), RandomBytes(5, seed: 1));
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllBytes(dir.File("d4097")), Is.EqualTo(RandomBytes(5, seed: 1)), "rewritten shorter");
            Assert.That(direct.WritesDirect, Is.True, "every write went around the page cache");
            Assert.That(buffered.WritesDirect, Is.False);
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Where_direct_io_is_refused_files_are_written_through_the_page_cache_with_the_same_bytes(bool atOpen)
    {
        RequireDirect();
        using var dir = new TempDir();
        var files = new DirectFiles { Refuse = atOpen ? DirectFiles.Refusal.Open : DirectFiles.Refusal.Write };
        foreach (int length in Lengths)
        {
            var bytes = RandomBytes(length, seed: length + 1);
            Write(files, dir.File($"f{length}"), bytes);
            Assert.That(File.ReadAllBytes(dir.File($"f{length}")), Is.EqualTo(bytes), $"{length} bytes");
        }
        Assert.That(files.WritesDirect, Is.False, "writes fell back for good");
    }

    [Test]
    public void A_write_into_a_missing_folder_throws_as_a_buffered_write_does()
    {
        using var dir = new TempDir();
        var files = new DirectFiles();
        Assert.Multiple(() =>
        {
            Assert.That(() => Write(files, Path.Combine(dir.Path, "no", "file"), [1, 2]), Throws.TypeOf<DirectoryNotFoundException>());
            Assert.That(files.WritesDirect, Is.EqualTo(DirectFiles.Supported), "a missing folder is not a refusal of direct I/O");
        });
    }

    /// <summary>
    /// Both forms of the store (every score; the kept form) written directly, with direct I/O refused at the open and at
    /// the first write, and in a tmpfs (/dev/shm): the files are byte for byte those of buffered writes, and every window
    /// reads back the same.
    /// </summary>
    [Test]
    public void The_score_store_writes_the_same_files_and_reads_the_same_windows_however_its_files_are_written()
    {
        const int w = 100, h = 70, bands = 2, size = 32;
        var scene = Scene.Make(w, h, bands, seed: 5);
        using var dir = new TempDir();
        var modes = new List<(string Name, string Folder, DirectFiles Files)>
        {
            ("buffered", dir.File("buffered"), new DirectFiles(direct: false)),
            ("direct", dir.File("direct"), new DirectFiles()),
            ("refused at the open", dir.File("refused-open"), new DirectFiles { Refuse = DirectFiles.Refusal.Open }),
            ("refused at the first write", dir.File("refused-write"), new DirectFiles { Refuse = DirectFiles.Refusal.Write }),
        };
        string shm = Path.Combine("/dev/shm", "cdx-tests-" + Guid.NewGuid().ToString("N"));
        if (Directory.Exists("/dev/shm")) modes.Add(("tmpfs", shm, new DirectFiles()));
        try
        {
            var outcomes = modes.Select(m => (m.Name, Full: scene.RoundTrip(m.Folder + ".full", m.Files, kept: false, size),
                Kept: scene.RoundTrip(m.Folder + ".kept", m.Files, kept: true, size), m.Files)).ToList();
            var reference = outcomes[0];
            Assert.That(reference.Full.Files, Has.Count.EqualTo(12), "the buffered store's files");
            Assert.That(reference.Full.Windows.Single(), Is.EqualTo(scene.Truth(kept: false)), "the full form holds the scene");
            foreach (var o in outcomes.Skip(1))
                Assert.Multiple(() =>
                {
                    Assert.That(o.Full.Files, Is.EqualTo(reference.Full.Files), $"{o.Name}: the full form's files");
                    Assert.That(o.Kept.Files, Is.EqualTo(reference.Kept.Files), $"{o.Name}: the kept form's files");
                    Assert.That(o.Full.Windows, Is.EqualTo(reference.Full.Windows), $"{o.Name}: the full form's windows");
                    Assert.That(o.Kept.Windows, Is.EqualTo(reference.Kept.Windows), $"{o.Name}: the kept form's windows");
                });
            if (DirectFiles.Supported)
                Assert.Multiple(() =>
                {
                    Assert.That(outcomes[1].Files.WritesDirect, Is.True, "direct stayed direct");
                    Assert.That(outcomes[2].Files.WritesDirect, Is.False, "refused at the open: fell back");
                    Assert.That(outcomes[3].Files.WritesDirect, Is.False, "refused at the first write: fell back");
                });
        }
        finally
        {
            if (Directory.Exists(shm)) Directory.Delete(shm, recursive: true);
        }
    }

    [Test]
    public void A_file_cut_short_or_missing_is_made_again_and_a_killed_write_leaves_no_file_under_the_tiles_name()
    {
        const int w = 64, h = 40, bands = 2, size = 32;
        var scene = Scene.Make(w, h, bands, seed: 9);
        using var dir = new TempDir();
        foreach (bool kept in new[] { false, true })
        {
            string folder = dir.File(kept ? "kept" : "full");
            var recomputed = new List<int>();
            TileScoreStore? store = null;
            store = scene.Store(folder, new DirectFiles(), kept, size, tile => { recomputed.Add(tile); scene.WriteTile(store!, tile, size, kept); });
            foreach (var tile in new TileScheme(w, h, size).Tiles()) scene.WriteTile(store, tile.Index, size, kept);
            var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToList();
            Assert.That(files, Has.Count.EqualTo(4));
            Assert.That(Directory.GetFiles(folder, "*.tmp"), Is.Empty, "no temporary file is left");
            var expected = scene.ReadAll(store, kept);
            // A file cut short (as a copy interrupted outside the store), one missing, and a killed write's temporary file.
            using (var cut = new FileStream(files[1], FileMode.Open, FileAccess.Write)) cut.SetLength(cut.Length - 1);
            File.Delete(files[2]);
            File.WriteAllBytes(files[3] + ".123.4.tmp", [1, 2, 3]);
            Assert.Multiple(() =>
            {
                Assert.That(scene.ReadAll(store, kept), Is.EqualTo(expected), kept ? "kept form" : "full form");
                Assert.That(recomputed.Order(), Is.EqualTo(new[] { 1, 2 }), "the cut and the missing file, made again");
            });
        }
    }

    private static void RequireDirect()
    {
        if (!DirectFiles.Supported) Assert.Ignore("direct I/O is Linux's (x64, Arm64)");
    }

    private static void Write(DirectFiles files, string path, byte[] bytes)
    {
        var buffer = files.Rent(bytes.Length);
        try
        {
            bytes.CopyTo(buffer.Span);
            buffer.Span[bytes.Length..].Fill(0xAB); // what a reused buffer may hold past the file's bytes
            files.Write(path, buffer, bytes.Length);
        }
        finally
        {
            files.Return(buffer);
        }
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A random scene's scores, flags, imagery and kept pixels, and the stores made of it.</summary>
    private sealed record Scene(int W, int H, int Bands, float[] Score, byte[] Flag, bool[] Keep, ushort[] Before, ushort[] After)
    {
        private const float Floor = 0.5f;

        public static Scene Make(int w, int h, int bands, int seed)
        {
            var random = new Random(seed);
            var scene = new Scene(w, h, bands, new float[w * h], new byte[w * h], new bool[w * h], new ushort[bands * w * h], new ushort[bands * w * h]);
            for (int i = 0; i < w * h; i++)
            {
                scene.Score[i] = (float)random.NextDouble();
                scene.Flag[i] = (byte)random.Next(8);
                scene.Keep[i] = random.NextDouble() < 0.3;
                for (int b = 0; b < bands; b++)
                {
                    scene.Before[b * w * h + i] = (ushort)random.Next(65536);
                    scene.After[b * w * h + i] = (ushort)random.Next(65536);
                }
            }
            return scene;
        }

        public TileScoreStore Store(string folder, DirectFiles files, bool kept, int size, Action<int>? recompute = null) =>
            new(folder, new TileScheme(W, H, size), recompute ?? (_ => Assert.Fail("no file is missing")), kept ? Bands : 0, kept ? Floor : float.NegativeInfinity, files);

        /// <summary>Writes one tile's file from its read window (halo 3) of the scene.</summary>
        public void WriteTile(TileScoreStore store, int index, int size, bool kept)
        {
            var reads = new TileScheme(W, H, size, halo: 3);
            var tile = reads[index % reads.Columns, index / reads.Columns];
            var r = tile.Read;
            int n = (int)r.PixelCount;
            var s = new float[n];
            var f = new byte[n];
            var bb = new ushort[Bands * n];
            var aa = new ushort[Bands * n];
            for (int y = 0; y < r.Height; y++)
                for (int x = 0; x < r.Width; x++)
                {
                    int g = (r.Y + y) * W + r.X + x, i = y * r.Width + x;
                    s[i] = Score[g];
                    f[i] = Flag[g];
                    for (int b = 0; b < Bands; b++) { bb[b * n + i] = Before[b * W * H + g]; aa[b * n + i] = After[b * W * H + g]; }
                }
            if (!kept)
            {
                store.Write(tile, s, f, r.Width);
                return;
            }
            var keep = new byte[tile.Core.PixelCount];
            for (int y = 0; y < tile.Core.Height; y++)
                for (int x = 0; x < tile.Core.Width; x++)
                    keep[y * tile.Core.Width + x] = Keep[(tile.Core.Y + y) * W + tile.Core.X + x] ? (byte)1 : (byte)0;
            store.WriteKept(tile, s, f, bb, aa, r.Width, keep, keep.Count(k => k == 1));
        }

        /// <summary>Every tile written, every file's bytes (by name), and the windows read back as text.</summary>
        public (Dictionary<string, byte[]> Files, List<string> Windows) RoundTrip(string folder, DirectFiles files, bool kept, int size)
        {
            var store = Store(folder, files, kept, size);
            foreach (var tile in new TileScheme(W, H, size).Tiles()) WriteTile(store, tile.Index, size, kept);
            var bytes = Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), f => File.ReadAllBytes(f));
            var windows = kept
                ? new[] { new PixelWindow(0, 0, W, H), new PixelWindow(28, 29, 40, 7), new PixelWindow(31, 0, 2, H), new PixelWindow(96, 64, 4, 6), new PixelWindow(5, 33, 90, 30) }
                    .Select(window => ReadText(store, window, kept)).ToList()
                : [ReadText(store, new PixelWindow(0, 0, W, H), kept)];
            if (!kept)
                foreach (var window in new[] { new PixelWindow(28, 29, 40, 7), new PixelWindow(31, 0, 2, H), new PixelWindow(96, 64, 4, 6), new PixelWindow(5, 33, 90, 30), new PixelWindow(30, 30, 5, 40) })
                    Assert.That(ReadText(store, window, kept), Is.EqualTo(Truth(kept, window)), $"full form, window {window}");
            store.Delete();
            return (bytes, windows);
        }

        public List<string> ReadAll(TileScoreStore store, bool kept) => [ReadText(store, new PixelWindow(0, 0, W, H), kept)];

        public string Truth(bool kept) => Truth(kept, new PixelWindow(0, 0, W, H));

        /// <summary>The full form's window as the scene holds it.</summary>
        private string Truth(bool kept, PixelWindow window)
        {
            if (kept) throw new NotSupportedException();
            var text = new System.Text.StringBuilder();
            for (int y = window.Y; y < window.Bottom; y++)
                for (int x = window.X; x < window.Right; x++)
                    text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{Score[y * W + x]:R}/{Flag[y * W + x]} ");
            return text.ToString();
        }

        private string ReadText(TileScoreStore store, PixelWindow window, bool kept)
        {
            int n = (int)window.PixelCount;
            var s = new float[n];
            var f = new byte[n];
            var text = new System.Text.StringBuilder();
            if (!kept)
            {
                store.Read(window, s, f);
                for (int i = 0; i < n; i++) text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{s[i]:R}/{f[i]} ");
                return text.ToString();
            }
            var bb = new ushort[Bands * n];
            var aa = new ushort[Bands * n];
            store.ReadKept(window, s, f, bb, aa);
            for (int i = 0; i < n; i++)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{s[i]:R}/{f[i]}");
                for (int b = 0; b < Bands; b++) text.Append(System.Globalization.CultureInfo.InvariantCulture, $"/{bb[b * n + i]}/{aa[b * n + i]}");
                text.Append(' ');
            }
            return text.ToString();
        }
    }
}
