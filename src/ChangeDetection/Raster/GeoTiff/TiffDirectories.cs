using System.Buffers.Binary;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>One raw TIFF directory entry: tag, field type, value count and the value bytes in file byte order.</summary>
internal readonly record struct TiffEntry(ushort Tag, ushort Type, long Count, byte[] Value);

/// <summary>One image file directory (IFD) as laid out in the file: where it sits and its entries.</summary>
internal sealed record TiffDirectory(long Offset, IReadOnlyList<TiffEntry> Entries, bool LittleEndian)
{
    /// <summary>The entry with <paramref name="tag"/>, or null.</summary>
    public TiffEntry? Find(ushort tag) => Entries.FirstOrDefault(e => e.Tag == tag) is { Value: not null } e ? e : null;

    /// <summary>The unsigned integer values of an entry (BYTE, SHORT, LONG or LONG8); empty when absent.</summary>
    public long[] Numbers(ushort tag)
    {
        if (Find(tag) is not { } e) return [];
        int size = TiffDirectories.TypeSize(e.Type);
        var result = new long[e.Count];
        for (int i = 0; i < e.Count; i++)
        {
            var s = e.Value.AsSpan(i * size, size);
            result[i] = size switch
            {
                1 => s[0],
                2 => LittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s),
                4 => LittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s),
                _ => (long)(LittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(s) : BinaryPrimitives.ReadUInt64BigEndian(s)),
            };
        }
        return result;
    }

    /// <summary>The first value of an integer entry, or <paramref name="fallback"/>.</summary>
    public long Number(ushort tag, long fallback = 0) => Numbers(tag) is { Length: > 0 } n ? n[0] : fallback;
}

/// <summary>
/// Reads the chain of image file directories of a TIFF or BigTIFF as raw entries: what the COG layout
/// check and the COG copy need (IFD offsets, block offsets), which LibTiff does not expose.
/// </summary>
internal static class TiffDirectories
{
    public const ushort NewSubfileType = 254, ImageWidth = 256, ImageLength = 257, Photometric = 262,
        StripOffsets = 273, StripByteCounts = 279, ColorMap = 320, TileWidth = 322, TileLength = 323,
        TileOffsets = 324, TileByteCounts = 325;

    /// <summary>Bytes per value of a TIFF field type (unknown types count as 1).</summary>
    public static int TypeSize(ushort type) => type switch
    {
        3 or 8 => 2,
        4 or 9 or 11 or 13 => 4,
        5 or 10 or 12 or 16 or 17 or 18 => 8,
        _ => 1,
    };

    /// <summary>Reads every directory of <paramref name="path"/> in chain order.</summary>
    public static (bool BigTiff, bool LittleEndian, List<TiffDirectory> Directories) Read(string path)
    {
        using var f = File.OpenRead(path);
        using var br = new BinaryReader(f);
        byte[] head = br.ReadBytes(16);
        if (head.Length < 8 || !(head[0] == 'I' && head[1] == 'I' || head[0] == 'M' && head[1] == 'M'))
            throw new RasterFormatException(path, "is not a TIFF file (the first bytes are not a TIFF header).");
        bool le = head[0] == 'I';
        int magic = U16(head.AsSpan(2), le);
        bool big = magic == 43;
        long next = big ? (long)U64(head.AsSpan(8), le) : U32(head.AsSpan(4), le);
        var dirs = new List<TiffDirectory>();
        var seen = new HashSet<long>();
        while (next != 0 && next < f.Length && seen.Add(next) && dirs.Count < 64)
        {
            f.Position = next;
            long count = big ? (long)U64(br.ReadBytes(8), le) : U16(br.ReadBytes(2), le);
            if (count > 4096) throw new RasterFormatException(path, $"has a directory of {count} entries; the file is corrupt.");
            int entrySize = big ? 20 : 12;
            byte[] raw = br.ReadBytes((int)count * entrySize);
            if (raw.Length < count * entrySize) throw new RasterFormatException(path, "has a directory cut short by the end of the file; the file is corrupt.");
            byte[] link = br.ReadBytes(big ? 8 : 4);
            var entries = new List<TiffEntry>();
            for (int i = 0; i < count; i++)
            {
                var e = raw.AsSpan(i * entrySize, entrySize);
                ushort tag = (ushort)U16(e, le), type = (ushort)U16(e[2..], le);
                long n = big ? (long)U64(e[4..], le) : U32(e[4..], le);
                long bytes = n * TypeSize(type);
                int inline = big ? 8 : 4;
                var valueField = e.Slice(big ? 12 : 8, inline);
                byte[] value;
                if (bytes <= inline) value = valueField[..(int)bytes].ToArray();
                else
                {
                    long at = big ? (long)U64(valueField, le) : U32(valueField, le);
                    if (bytes > int.MaxValue || at < 0 || at + bytes > f.Length) throw new RasterFormatException(path, $"tag {tag} points past the end of the file; the file is corrupt.");
                    long keep = f.Position;
                    f.Position = at;
                    value = br.ReadBytes((int)bytes);
                    f.Position = keep;
                }
                entries.Add(new TiffEntry(tag, type, n, value));
            }
            dirs.Add(new TiffDirectory(next, entries, le));
            next = link.Length < (big ? 8 : 4) ? 0 : big ? (long)U64(link, le) : U32(link, le);
        }
        return (big, le, dirs);
    }

    private static int U16(ReadOnlySpan<byte> s, bool le) => le ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
    private static long U32(ReadOnlySpan<byte> s, bool le) => le ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
    private static ulong U64(ReadOnlySpan<byte> s, bool le) => le ? BinaryPrimitives.ReadUInt64LittleEndian(s) : BinaryPrimitives.ReadUInt64BigEndian(s);
}
