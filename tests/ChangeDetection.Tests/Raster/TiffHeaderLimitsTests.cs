using System.Buffers.Binary;
using ChangeDetection.Raster.GeoTiff;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Raster;

/// <summary>Headers that would make the reader allocate far more than the file could ever need are refused before allocating.</summary>
[TestFixture]
public class TiffHeaderLimitsTests
{
    /// <summary>A classic little-endian TIFF of one directory and no pixel data: <paramref name="size"/>² uint8 pixels in <paramref name="tile"/>-px tiles.</summary>
    private static byte[] CraftedTiff(uint size, ushort tile)
    {
        long tiles = (long)((size + tile - 1) / tile) * ((size + tile - 1) / tile);
        var entries = new (ushort Tag, ushort Type, uint Count, uint Value)[]
        {
            (256, 4, 1, size), (257, 4, 1, size), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1), (277, 3, 1, 1),
            (322, 3, 1, tile), (323, 3, 1, tile), (324, 4, (uint)tiles, 200), (325, 4, (uint)tiles, 200),
        };
        var bytes = new byte[222];
        "II"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)entries.Length);
        for (int i = 0; i < entries.Length; i++)
        {
            var e = bytes.AsSpan(10 + 12 * i);
            BinaryPrimitives.WriteUInt16LittleEndian(e, entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], entries[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], entries[i].Count);
            if (entries[i].Type == 3) BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)entries[i].Value);
            else BinaryPrimitives.WriteUInt32LittleEndian(e[8..], entries[i].Value);
        }
        return bytes;
    }

    [Test]
    public void A_222_byte_file_declaring_130000_squared_pixels_in_16_px_tiles_is_refused_before_allocating()
    {
        using var dir = new TempDir();
        string path = dir.File("bomb.tif");
        File.WriteAllBytes(path, CraftedTiff(130_000, 16));
        Assert.That(new FileInfo(path).Length, Is.EqualTo(222));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<RasterFormatException>(() => GeoTiffReader.Describe(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Multiple(() =>
        {
            Assert.That(e!.Message, Does.StartWith(path).And.Contain("66,015,625 blocks").And.Contain("corrupt"));
            Assert.That(allocated, Is.LessThan(4L << 20), "bytes allocated by the refusal");
        });
        var (code, _, stderr) = Cdx("info", path);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("bomb.tif"));
    }

    [Test]
    public void A_file_with_more_blocks_than_the_reader_allocates_tables_for_is_refused_with_the_fix()
    {
        using var dir = new TempDir();
        string path = dir.File("tiny-tiles.tif");
        // 130 000² pixels in 16-px tiles, in a file big enough to hold the tables (sparse: no disk used).
        long need = 2L * 4 * 66_015_625 + 4096;
        using (var f = new FileStream(path, FileMode.Create))
        {
            f.Write(CraftedTiff(130_000, 16));
            f.SetLength(need);
        }
        var e = Assert.Throws<RasterFormatException>(() => GeoTiffReader.Describe(path));
        Assert.That(e!.Message, Does.Contain(TiffHeaderLimits.MaxBlocks.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " blocks").And.Contain("BLOCKXSIZE"));
    }
}
