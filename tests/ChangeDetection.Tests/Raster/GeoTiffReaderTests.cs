using System.Buffers.Binary;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Raster;

[TestFixture]
public class GeoTiffReaderTests
{
    /// <summary>Files that exercise every block layout: striped/tiled, pixel/band-interleaved, each codec.</summary>
    private static readonly string[] LayoutFiles =
    [
        "striped_none_pixel_u16.tif", "striped_none_band_u16.tif", "tiled256_deflate_pixel_u16.tif",
        "tiled512_lzw_pred2_band_u16.tif", "striped_lzw_pred2_pixel_u16.tif", "tiled_packbits_rgb_u8.tif",
        "float32_pred3_nodata.tif", "int16_striped.tif", "bigtiff_tiled_deflate_u16.tif",
    ];

    private static GeoTiffReader OpenShared(string name) => GeoTiffReader.Open(Path.Combine(SharedData.RequireDir("geotiff"), name));

    [TestCaseSource(nameof(LayoutFiles))]
    public void WindowsAtEveryEdgeAndCornerMatchTheWholeImage(string file)
    {
        using var reader = OpenShared(file);
        switch (reader.Info.DataType)
        {
            case RasterDataType.UInt8: CheckWindows<byte>(reader); break;
            case RasterDataType.UInt16: CheckWindows<ushort>(reader); break;
            case RasterDataType.Int16: CheckWindows<short>(reader); break;
            case RasterDataType.Float32: CheckWindows<float>(reader); break;
            default: Assert.Fail($"no case for {reader.Info.DataType}"); break;
        }
    }

    private static void CheckWindows<T>(GeoTiffReader reader) where T : unmanaged, IEquatable<T>
    {
        var info = reader.Info;
        int w = info.Width, h = info.Height, n = info.BandCount;
        var whole = new T[(long)w * h * n];
        reader.Read(info.Bounds, whole.AsSpan());

        var windows = new List<PixelWindow>
        {
            new(0, 0, 1, 1), new(w - 1, 0, 1, 1), new(0, h - 1, 1, 1), new(w - 1, h - 1, 1, 1),
            new(0, 0, 37, 29), new(w - 37, 0, 37, 29), new(0, h - 29, 37, 29), new(w - 37, h - 29, 37, 29),
            new(0, h / 2, w, 3), new(w / 2, 0, 5, h), new(w / 3, h / 3, w / 3, h / 3),
            new(info.BlockWidth - 1, Math.Min(info.BlockHeight, h) - 1, Math.Min(3, w - info.BlockWidth + 1), Math.Min(3, h - Math.Min(info.BlockHeight, h) + 1)),
        };
        // Band subsets in a different order than stored.
        int[] bands = n == 1 ? [0] : [n - 1, 0];
        foreach (var win in windows.Where(x => !x.IsEmpty && info.Bounds.Contains(x)))
        {
            var got = new T[win.PixelCount * bands.Length];
            reader.Read(win, bands, got.AsSpan());
            for (int k = 0; k < bands.Length; k++)
                for (int y = 0; y < win.Height; y++)
                    for (int x = 0; x < win.Width; x++)
                    {
                        T expected = whole[(long)bands[k] * w * h + (long)(win.Y + y) * w + win.X + x];
                        T actual = got[(long)k * win.PixelCount + (long)y * win.Width + x];
                        if (!expected.Equals(actual))
                            Assert.Fail($"{info.Path} window {win} band {bands[k]} pixel ({win.X + x},{win.Y + y}): {actual} != {expected}");
                    }
        }
        Assert.Pass($"{windows.Count} windows checked");
    }

    [TestCase("tiled256_deflate_pixel_u16.tif", 1)]
    [TestCase("tiled512_lzw_pred2_band_u16.tif", 2)]
    [TestCase("striped_none_band_u16.tif", 2 * 3)]
    public void SmallWindowDecodesOnlyTheBlocksItOverlaps(string file, int expectedBlocks)
    {
        // Window 10×11 at (200, 10): inside one 256/512 tile; in 700×5 strips it spans 3 strips per band.
        using var reader = OpenShared(file);
        var buffer = new ushort[10 * 11 * 2];
        reader.Read(new PixelWindow(200, 10, 10, 11), [0, 1], buffer.AsSpan());
        Assert.That(reader.BlocksDecoded, Is.EqualTo(expectedBlocks));
    }

    /// <summary>
    /// Tiles with a halo read row by row through a block cache that holds a third of the file: the halos take the blocks'
    /// kept last rows and their first rows inflated alone (DEFLATE and uncompressed files), and every read is the same
    /// as a plain reader's, for every block layout.
    /// </summary>
    [TestCaseSource(nameof(LayoutFiles))]
    public void TileReadsThroughACacheSmallerThanTheFileMatchPlainReads(string file)
    {
        using var plain = OpenShared(file);
        var info = plain.Info;
        int planes = info.Interleave == Interleave.Band ? info.BandCount : 1;
        long fileBytes = (long)planes * ((info.Width + info.BlockWidth - 1) / info.BlockWidth) * ((info.Height + info.BlockHeight - 1) / info.BlockHeight)
                         * info.BlockWidth * info.BlockHeight * (info.BandCount / planes) * info.DataType.SizeOf();
        using var reader = GeoTiffReader.Open(plain.Path, fileBytes / 3);
        var scheme = new TileScheme(info.Width, info.Height, Math.Max(32, info.BlockHeight), 3);
        int checkedTiles = 0;
        foreach (var tile in scheme.Tiles())
        {
            int bytes = (int)tile.Read.PixelCount * info.BandCount * info.DataType.SizeOf();
            var got = new byte[bytes];
            var want = new byte[bytes];
            switch (info.DataType)
            {
                case RasterDataType.UInt8:
                    reader.Read(tile.Read, got.AsSpan());
                    plain.Read(tile.Read, want.AsSpan());
                    break;
                case RasterDataType.UInt16:
                    reader.Read(tile.Read, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(got.AsSpan()));
                    plain.Read(tile.Read, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(want.AsSpan()));
                    break;
                case RasterDataType.Int16:
                    reader.Read(tile.Read, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(got.AsSpan()));
                    plain.Read(tile.Read, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(want.AsSpan()));
                    break;
                default:
                    reader.Read(tile.Read, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(got.AsSpan()));
                    plain.Read(tile.Read, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(want.AsSpan()));
                    break;
            }
            Assert.That(got, Is.EqualTo(want), $"{file} tile {tile.Index}");
            checkedTiles++;
        }
        // The tiled DEFLATE files are tall enough for tile rows below the first: their halos inflate the first rows of blocks alone.
        if (file is "tiled256_deflate_pixel_u16.tif" or "bigtiff_tiled_deflate_u16.tif")
            Assert.That(reader.BlockPrefixesDecoded, Is.GreaterThan(0));
        Assert.That(checkedTiles, Is.EqualTo(scheme.Count));
    }

    /// <summary>The block cache keeps the most recently used blocks up to its size in bytes, and no more.</summary>
    [Test]
    public void BlockCacheKeepsTheRecentBlocksWithinItsBytes()
    {
        using var dir = new TempDir();
        // 64 × 16 pixels of 4 uint16 bands, band-interleaved in 16² blocks: 4 windows of 4 blocks of 512 bytes; the cache holds two windows.
        string path = ScenePairTests.Write(dir, "strip.tif", 64, 16, new GeoTransform(0, 1, 0, 0, 0, -1), (k, c, r) => k + c + r);
        using var reader = GeoTiffReader.Open(path, blockCacheBytes: 2 * 4 * 512);
        Assert.That(reader.Info.Interleave, Is.EqualTo(Interleave.Band));
        using var plain = GeoTiffReader.Open(path);
        var got = new ushort[16 * 16 * 4];
        var want = new ushort[16 * 16 * 4];
        long Read(int block)
        {
            var window = new PixelWindow(16 * block, 0, 16, 16);
            reader.Read(window, got.AsSpan());
            plain.Read(window, want.AsSpan());
            Assert.That(got, Is.EqualTo(want), $"window {block}");
            return reader.BlocksDecoded;
        }
        Assert.Multiple(() =>
        {
            Assert.That(Read(0), Is.EqualTo(4));
            Assert.That(Read(1), Is.EqualTo(8));
            Assert.That(Read(0), Is.EqualTo(8), "window 0 is cached");
            Assert.That(Read(2), Is.EqualTo(12), "window 2 evicts window 1, the least recently used");
            Assert.That(Read(0), Is.EqualTo(12), "window 0 is still cached");
            Assert.That(Read(1), Is.EqualTo(16), "window 1 was evicted");
            reader.ClearBlockCache();
            Assert.That(Read(2), Is.EqualTo(20), "a cleared cache holds nothing");
        });
    }

    /// <summary>
    /// Threads that read the same blocks at the same moment (two tiles' seam, two neighbouring chips) decode each once: one
    /// decodes it for the cache, the others wait for it there. Without that, threads released together by the barrier decode
    /// the same blocks side by side. Every thread gets the plain reader's pixels.
    /// </summary>
    [Test]
    public void ThreadsReadingTheSameBlocksAtOnceDecodeEachOnce()
    {
        using var dir = new TempDir();
        // 256 × 64 pixels of 4 uint16 bands in 16² blocks: 256 blocks, 128 KiB; the cache holds them all.
        string path = ScenePairTests.Write(dir, "shared.tif", 256, 64, new GeoTransform(0, 1, 0, 0, 0, -1), (k, c, r) => (31 * k + 7 * c + 13 * r) % 4099);
        using var plain = GeoTiffReader.Open(path);
        var window = new PixelWindow(0, 0, 256, 64);
        var want = new ushort[window.PixelCount * 4];
        plain.Read(window, want.AsSpan());
        const int threads = 4, rounds = 8;
        for (int round = 0; round < rounds; round++)
        {
            using var reader = GeoTiffReader.Open(path, blockCacheBytes: 1 << 20);
            using var start = new Barrier(threads);
            var got = new ushort[threads][];
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                var mine = new ushort[window.PixelCount * 4];
                start.SignalAndWait();
                reader.Read(window, mine.AsSpan());
                got[t] = mine;
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            Assert.Multiple(() =>
            {
                Assert.That(reader.BlocksDecoded, Is.EqualTo(256), $"round {round}: each block decoded once");
                for (int t = 0; t < threads; t++) Assert.That(got[t], Is.EqualTo(want), $"round {round}, thread {t}");
            });
        }
    }

    /// <summary>
    /// With a cache smaller than the file, a window many blocks wide keeps only its two outer block columns on each side
    /// (what the windows beside it, overlapping it by a halo, read again): the columns within are decoded again when read
    /// again, the outer ones are not, and every read gives the plain reader's pixels.
    /// </summary>
    [Test]
    public void AWideWindowKeepsItsOuterBlockColumns()
    {
        using var dir = new TempDir();
        // 128 × 16 pixels of 4 uint16 bands in 16² blocks: 8 block columns of 4 blocks of 512 bytes (16 KiB); the cache holds 12 KiB.
        string path = ScenePairTests.Write(dir, "wide.tif", 128, 16, new GeoTransform(0, 1, 0, 0, 0, -1), (k, c, r) => 7 * k + c + 3 * r);
        using var reader = GeoTiffReader.Open(path, blockCacheBytes: 12 * 1024);
        using var plain = GeoTiffReader.Open(path);
        long Read(PixelWindow window)
        {
            var got = new ushort[window.PixelCount * 4];
            var want = new ushort[window.PixelCount * 4];
            reader.Read(window, got.AsSpan());
            plain.Read(window, want.AsSpan());
            Assert.That(got, Is.EqualTo(want), $"window {window}");
            return reader.BlocksDecoded;
        }
        Assert.Multiple(() =>
        {
            Assert.That(Read(new PixelWindow(8, 0, 96, 16)), Is.EqualTo(7 * 4), "block columns 0 to 6");
            foreach (int column in new[] { 0, 1, 5, 6 })
                Assert.That(Read(new PixelWindow(16 * column, 0, 16, 16)), Is.EqualTo(7 * 4), $"outer column {column} is kept");
            Assert.That(Read(new PixelWindow(32, 0, 16, 16)), Is.EqualTo(8 * 4), "column 2, within the window, was not kept");
            Assert.That(Read(new PixelWindow(32, 0, 16, 16)), Is.EqualTo(8 * 4), "read alone, it is kept");
        });
    }

    [Test]
    public void ConcurrentReadersAgreeWithSequentialRead()
    {
        using var reader = OpenShared("striped_lzw_pred2_pixel_u16.tif"); // LZW: goes through the LibTiff handle pool
        var info = reader.Info;
        var whole = new ushort[info.Bounds.PixelCount * info.BandCount];
        reader.Read(info.Bounds, whole.AsSpan());

        var failures = 0;
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var win = new PixelWindow(i * 13 % (info.Width - 50), i * 7 % (info.Height - 40), 50, 40);
            var got = new ushort[win.PixelCount * info.BandCount];
            reader.Read(win, got.AsSpan());
            for (int b = 0; b < info.BandCount; b++)
                for (int y = 0; y < win.Height; y++)
                    for (int x = 0; x < win.Width; x++)
                        if (got[b * win.PixelCount + y * win.Width + x] != whole[(long)b * info.Width * info.Height + (win.Y + y) * info.Width + win.X + x])
                            Interlocked.Increment(ref failures);
        });
        Assert.That(failures, Is.Zero);
    }

    [Test]
    public void BandNamesComeFromGdalMetadata()
    {
        string dir = SharedData.RequireDir(Path.Combine("real", "landsat-nanjing", "Nanjing"));
        var info = GeoTiffReader.Describe(Path.Combine(dir, "before.tif"));
        Assert.That(info.BandNames, Is.EqualTo(new[] { "blue", "green", "red", "nir", "swir1", "swir2" }));
    }

    [Test]
    public void PixelIsPointReportsTheCornerTransformAndFlag()
    {
        using var reader = OpenShared("pixel_is_point_u8.tif");
        Assert.Multiple(() =>
        {
            Assert.That(reader.Info.PixelIsPoint, Is.True);
            Assert.That(reader.Info.Transform.OriginX, Is.EqualTo(400000.0));
        });
    }

    [Test]
    public void CogReadsTheFullResolutionImage()
    {
        using var reader = OpenShared("cog_deflate_u16.tif");
        Assert.That((reader.Info.Width, reader.Info.Height), Is.EqualTo((1001, 703)));
    }

    [Test]
    public void RejectsWrongSampleTypeAndOutOfRangeWindow()
    {
        using var reader = OpenShared("tiled_packbits_rgb_u8.tif");
        Assert.Multiple(() =>
        {
            Assert.That(() => reader.Read(new PixelWindow(0, 0, 2, 2), new ushort[12].AsSpan()), Throws.ArgumentException.With.Message.Contains("uint8"));
            Assert.That(() => reader.Read(new PixelWindow(630, 0, 20, 2), new byte[200].AsSpan()), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [TestCase("bad_truncated.tif", "truncated")]
    [TestCase("bad_not_a_tiff.tif", "not a TIFF")]
    [TestCase("bad_corrupt_tiles.tif", "corrupt")]
    public void BrokenFilesFailWithAClearErrorNamingTheFile(string file, string problem)
    {
        string path = Path.Combine(SharedData.RequireDir("geotiff"), file);
        var e = Assert.Throws<RasterFormatException>(() =>
        {
            using var reader = GeoTiffReader.Open(path);
            for (int b = 0; b < reader.Info.BandCount; b++) reader.ReadBand<ushort>(b);
        });
        Assert.Multiple(() =>
        {
            Assert.That(e!.FilePath, Is.EqualTo(path));
            Assert.That(e.Message, Does.Contain(file).And.Contain(problem));
        });
    }

    [Test]
    public void FileWithoutGeoreferencingIsDescribedAsSuch()
    {
        var info = GeoTiffReader.Describe(Path.Combine(SharedData.RequireDir("geotiff"), "bad_no_georeference.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(info.IsGeoreferenced, Is.False);
            Assert.That(info.Crs.IsKnown, Is.False);
            Assert.That(info.Transform, Is.EqualTo(ChangeDetection.Geo.GeoTransform.Identity));
        });
    }

    [Test]
    public void MissingFileIsAClearError()
    {
        var e = Assert.Throws<RasterFormatException>(() => GeoTiffReader.Open("/nonexistent/scene.tif"));
        Assert.That(e!.Message, Does.Contain("/nonexistent/scene.tif").And.Contain("not found"));
    }

    /// <summary>
    /// Hand-made TIFFs whose headers declare 512 MiB blocks (8192² tiles of 4 × uint16, or one
    /// DEFLATE strip of 16384² uint16) and far larger ones that overflow LibTiff's own arithmetic.
    /// </summary>
    [TestCase(true, 8192u, 4)]
    [TestCase(false, 16384u, 1)]
    [TestCase(true, 60000u, 4)]
    public void AbsurdBlockSizesAreRefusedWithoutAllocating(bool tiled, uint size, int bands)
    {
        using var dir = new TempDir();
        string path = dir.File("absurd.tif");
        File.WriteAllBytes(path, AbsurdTiff(tiled, size, (ushort)bands));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<RasterFormatException>(() => GeoTiffReader.Open(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Multiple(() =>
        {
            Assert.That(e!.Message, Does.Contain("absurd.tif").And.Contain(size < 60000 ? "refusing to allocate" : "corrupt"));
            Assert.That(allocated, Is.LessThan(64L << 20));
        });
    }

    private static byte[] AbsurdTiff(bool tiled, uint size, ushort bands)
    {
        // Little-endian classic TIFF: header, then one IFD of SHORT/LONG entries; DEFLATE, so that
        // LibTiff does not chop a single strip into small ones.
        var entries = new List<(ushort Tag, ushort Type, uint Count, uint Value)>
        {
            (256, 4, 1, size), (257, 4, 1, size), (258, 3, 1, 16), (259, 3, 1, 8), (262, 3, 1, 1),
            (277, 3, 1, bands), (284, 3, 1, 1),
        };
        if (tiled)
        {
            entries.AddRange([(322, 4, 1, size), (323, 4, 1, size), (324, 4, 1, 8), (325, 4, 1, 100)]);
        }
        else
        {
            entries.AddRange([(273, 4, 1, 8), (278, 4, 1, size), (279, 4, 1, 100)]);
        }
        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        var bytes = new byte[8 + 2 + entries.Count * 12 + 4 + 100];
        "II"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)entries.Count);
        int p = 10;
        foreach (var (tag, type, count, value) in entries)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(p), tag);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(p + 2), type);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(p + 4), count);
            if (type == 3) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(p + 8), (ushort)value);
            else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(p + 8), value);
            p += 12;
        }
        return bytes;
    }
}
