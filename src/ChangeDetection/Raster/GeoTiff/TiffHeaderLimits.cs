using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>
/// Checks, before LibTiff reads a directory, what the first directory would make the reader allocate:
/// LibTiff allocates the block offset and byte-count tables from the declared image and block size
/// (a 222-byte file declaring 130 000² pixels in 16-px tiles asks for 66 million entries, GBs). A
/// file that really has N blocks (N &gt; 1) stores both tables, 2 × N entries of 4 bytes (8 in
/// BigTIFF; strip offsets may be 2): a header that declares more blocks than the file can hold tables
/// for is corrupt, and past <see cref="MaxBlocks"/> a file is refused as needing larger tiles.
/// </summary>
internal static class TiffHeaderLimits
{
    private const ushort ImageWidth = 256, ImageLength = 257, SamplesPerPixel = 277, RowsPerStrip = 278, PlanarConfig = 284, TileWidth = 322, TileLength = 323;
    /// <summary>Blocks a file may have: 16.7 million (a 130 000² image in 32-px tiles), about 0.5 GB of block tables in all.</summary>
    internal const long MaxBlocks = 1L << 24;
    private const int MaxEntries = 4096; // a first directory with more entries is left to LibTiff's own checks

    /// <summary>Throws <see cref="RasterFormatException"/> when the declared block count cannot be real; reads at most one directory's entries.</summary>
    public static void Check(string path, SafeFileHandle file, long fileLength, bool bigEndian, bool bigTiff)
    {
        var dims = ReadFirstDirectory(file, fileLength, bigEndian, bigTiff);
        if (dims is null) return;
        var d = dims.Value;
        if (d.Width <= 0 || d.Height <= 0) return; // LibTiff's message is clear for these
        long blockWidth = d.TileWidth > 0 ? d.TileWidth : d.Width;
        long blockHeight = d.TileWidth > 0 ? d.TileLength : d.RowsPerStrip is > 0 and var rps && rps < d.Height ? rps : d.Height;
        if (blockWidth <= 0 || blockHeight <= 0) return;
        long planes = d.Planar == 2 ? Math.Max(1, d.SamplesPerPixel) : 1;
        long blocks;
        try
        {
            blocks = checked((d.Width + blockWidth - 1) / blockWidth * ((d.Height + blockHeight - 1) / blockHeight) * planes);
        }
        catch (OverflowException)
        {
            blocks = long.MaxValue;
        }
        string layout = $"declares {d.Width}×{d.Height} pixels in {(d.TileWidth > 0 ? "tiles" : "strips")} of {blockWidth}×{blockHeight} ({blocks.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} blocks)";
        // Two tables of at least 2 bytes per entry (strip offsets may be SHORT) once there is more than one block.
        if (blocks > 1 && blocks > fileLength / 4)
            throw new RasterFormatException(path, $"{layout}, but a file of {fileLength.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes cannot hold the offsets of that many blocks; the header is corrupt or the file truncated (refused before allocating its block tables).");
        if (blocks > MaxBlocks)
            throw new RasterFormatException(path, $"{layout}, more than the {MaxBlocks.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} blocks this reader allocates tables for; re-tile it with larger tiles (gdal_translate -co TILED=YES -co BLOCKXSIZE=512 -co BLOCKYSIZE=512).");
    }

    private readonly record struct Dimensions(long Width, long Height, long TileWidth, long TileLength, long RowsPerStrip, long SamplesPerPixel, long Planar);

    private static Dimensions? ReadFirstDirectory(SafeFileHandle file, long fileLength, bool bigEndian, bool bigTiff)
    {
        Span<byte> head = stackalloc byte[16];
        if (RandomAccess.Read(file, head, 0) < (bigTiff ? 16 : 8)) return null;
        long ifd = bigTiff ? (long)Math.Min(U64(head[8..], bigEndian), long.MaxValue) : U32(head[4..], bigEndian);
        int countSize = bigTiff ? 8 : 2, entrySize = bigTiff ? 20 : 12;
        if (ifd <= 0 || ifd > fileLength - countSize) return null;
        Span<byte> countBytes = stackalloc byte[8];
        if (RandomAccess.Read(file, countBytes[..countSize], ifd) < countSize) return null;
        long count = bigTiff ? (long)Math.Min(U64(countBytes, bigEndian), long.MaxValue) : U16(countBytes, bigEndian);
        if (count is <= 0 or > MaxEntries) return null;
        var entries = new byte[count * entrySize];
        int got = RandomAccess.Read(file, entries, ifd + countSize);
        var d = new Dimensions(0, 0, 0, 0, 0, 1, 1);
        for (int i = 0; i + entrySize <= got; i += entrySize)
        {
            var e = entries.AsSpan(i, entrySize);
            ushort tag = U16(e, bigEndian), type = U16(e[2..], bigEndian);
            var value = e[(bigTiff ? 12 : 8)..];
            // Only the first value of SHORT, LONG or LONG8 entries, which these tags keep inline.
            long v = type switch
            {
                3 => U16(value, bigEndian),
                4 => U32(value, bigEndian),
                16 when bigTiff => (long)Math.Min(U64(value, bigEndian), long.MaxValue),
                _ => -1,
            };
            if (v < 0) continue;
            d = tag switch
            {
                ImageWidth => d with { Width = v },
                ImageLength => d with { Height = v },
                TileWidth => d with { TileWidth = v },
                TileLength => d with { TileLength = v },
                RowsPerStrip => d with { RowsPerStrip = v },
                SamplesPerPixel => d with { SamplesPerPixel = v },
                PlanarConfig => d with { Planar = v },
                _ => d,
            };
        }
        return d;
    }

    private static ushort U16(ReadOnlySpan<byte> b, bool bigEndian) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    private static uint U32(ReadOnlySpan<byte> b, bool bigEndian) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    private static ulong U64(ReadOnlySpan<byte> b, bool bigEndian) => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
}
