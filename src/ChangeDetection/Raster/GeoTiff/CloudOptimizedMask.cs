using System.Buffers.Binary;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>Width and height of one overview level, in pixels.</summary>
public readonly record struct OverviewSize(int Width, int Height);

/// <summary>
/// What <c>cdx info</c> reports about a file's layout: its internal overviews (largest first) and whether
/// it is a Cloud-Optimized GeoTIFF (tiled, every IFD before any pixel data, overviews' data before the
/// full-resolution data, smallest overview first, overviews present when wider or taller than 512 px).
/// </summary>
public sealed record CogLayout(IReadOnlyList<OverviewSize> Overviews, bool IsCog, string? NotCogReason)
{
    /// <summary>Reads the directory chain of <paramref name="path"/>.</summary>
    public static CogLayout Inspect(string path)
    {
        var (_, _, dirs) = TiffDirectories.Read(path);
        if (dirs.Count == 0) return new CogLayout([], false, "no image directory");
        var main = dirs[0];
        // NewSubfileType bit 0 = reduced-resolution image; bit 2 = transparency mask (not an overview).
        var overviews = dirs.Skip(1).Where(d => (d.Number(TiffDirectories.NewSubfileType) & 5) == 1).ToList();
        var sizes = overviews.Select(d => new OverviewSize((int)d.Number(TiffDirectories.ImageWidth), (int)d.Number(TiffDirectories.ImageLength))).ToList();
        string? reason = Why(main, overviews, dirs);
        return new CogLayout(sizes, reason is null, reason);
    }

    private static string? Why(TiffDirectory main, List<TiffDirectory> overviews, List<TiffDirectory> all)
    {
        if (all.Any(d => d.Find(TiffDirectories.TileWidth) is null)) return "not tiled";
        long w = main.Number(TiffDirectories.ImageWidth), h = main.Number(TiffDirectories.ImageLength);
        if ((w > 512 || h > 512) && overviews.Count == 0) return "no overviews on an image larger than 512 px";
        for (int i = 1; i < all.Count; i++)
            if (all[i].Offset < all[i - 1].Offset) return "directories not in file order";
        long firstData = all.SelectMany(d => d.Numbers(TiffDirectories.TileOffsets)).Where(o => o > 0).DefaultIfEmpty(long.MaxValue).Min();
        if (all[^1].Offset > firstData) return "an image directory comes after pixel data";
        long previous = long.MaxValue;
        foreach (var d in new[] { main }.Concat(overviews))
        {
            long first = d.Numbers(TiffDirectories.TileOffsets).Where(o => o > 0).DefaultIfEmpty(0).Min();
            if (first > previous) return "overview data is not before the larger levels' data";
            previous = first;
        }
        return null;
    }
}

/// <summary>
/// Rewrites a change mask (uint8, one band, nodata 255, as <see cref="GeoTiffWriter"/> streams it tile by tile)
/// as a Cloud-Optimized GeoTIFF: the full-resolution tiles byte for byte, internal overviews down to
/// <see cref="OverviewLimit"/> px by class mode, and a colour table (changed red, greening green), so a
/// desktop GIS opens a province-wide mask fast.
/// </summary>
/// <remarks>
/// Layout (as GDAL's COG driver, without the optional ghost header): header, every IFD with its tag data,
/// then the smallest overview's tiles up to the full-resolution tiles. Overview levels are built one tile
/// at a time from the level above into temporary tiled files, so memory is bounded by the tile size.
/// Output is classic TIFF (the source may be BigTIFF); one that would pass 4 GiB is refused.
/// </remarks>
public static class CloudOptimizedMask
{
    /// <summary>Overviews are added until the smallest level fits in this many pixels each way.</summary>
    public const int OverviewLimit = 256;

    private static readonly ushort[] OverviewTags = [258, 259, 277, 284, 317, 322, 323, 339, 42113];

    /// <summary>Writes <paramref name="destination"/> as a COG from the tiled mask <paramref name="source"/>.</summary>
    public static void Write(string source, string destination)
    {
        var (big, le, dirs) = TiffDirectories.Read(source);
        // A BigTIFF source (a mask over ~3.75 GiB uncompressed) is fine: its compressed tiles fit classic TIFF
        // as long as no tag kept needs a 64-bit type.
        if (!le || dirs.Count != 1 || dirs[0].Find(TiffDirectories.TileWidth) is null || dirs[0].Number(258) != 8 || dirs[0].Number(277, 1) != 1
            || dirs[0].Entries.Any(e => e.Type is 16 or 17 or 18 && e.Tag is not (TiffDirectories.TileOffsets or TiffDirectories.TileByteCounts)))
            throw new RasterFormatException(source, "cannot be laid out as a Cloud-Optimized GeoTIFF: only a little-endian tiled single-band uint8 mask can.");
        var main = dirs[0];
        int width = (int)main.Number(TiffDirectories.ImageWidth), height = (int)main.Number(TiffDirectories.ImageLength);
        int tile = (int)main.Number(TiffDirectories.TileWidth);

        var temps = new List<string>();
        try
        {
            var levels = new List<(string Path, TiffDirectory Dir, int Width, int Height)> { (source, main, width, height) };
            for (int w = width, h = height; Math.Max(w, h) > OverviewLimit;)
            {
                (w, h) = ((w + 1) / 2, (h + 1) / 2);
                string temp = $"{destination}.ovr{levels.Count}.tmp";
                temps.Add(temp);
                Decimate(levels[^1].Path, temp, w, h, tile);
                levels.Add((temp, TiffDirectories.Read(temp).Directories[0], w, h));
            }
            Assemble(destination, levels);
        }
        finally
        {
            foreach (var t in temps) File.Delete(t);
        }
    }

    /// <summary>
    /// The 2×2 mode of the mask, ignoring nodata; a tie goes to the higher class so a one-pixel change
    /// stays visible at every zoom (0 none &lt; 1 change &lt; 2 greening).
    /// </summary>
    public static byte Mode(ReadOnlySpan<byte> values)
    {
        // A handful of values (at most 4): counting pairs is cheaper than a 256-entry histogram per pixel.
        byte best = MaskValues.NoData;
        int bestCount = 0;
        for (int i = 0; i < values.Length; i++)
        {
            byte v = values[i];
            if (v == MaskValues.NoData) continue;
            int c = 0;
            foreach (byte u in values) if (u == v) c++;
            if (c > bestCount || c == bestCount && v > best) (best, bestCount) = (v, c);
        }
        return best;
    }

    private static void Decimate(string from, string to, int width, int height, int tile)
    {
        using var reader = GeoTiffReader.Open(from);
        using var writer = GeoTiffWriter.Create(to, new GeoTiffWriterOptions
        {
            Width = width, Height = height, DataType = RasterDataType.UInt8, NoData = MaskValues.NoData, TileSize = tile,
        });
        var (across, down) = writer.TileGrid;
        var above = new PixelWindow(0, 0, reader.Info.Width, reader.Info.Height);
        var block = new byte[4 * tile * tile];
        var output = new byte[tile * tile];
        Span<byte> four = stackalloc byte[4];
        for (int ty = 0; ty < down; ty++)
        {
            for (int tx = 0; tx < across; tx++)
            {
                var win = writer.TileWindow(tx, ty);
                var src = new PixelWindow(win.X * 2, win.Y * 2, win.Width * 2, win.Height * 2).Intersect(above);
                reader.Read<byte>(src, block.AsSpan(0, (int)src.PixelCount));
                for (int y = 0; y < win.Height; y++)
                {
                    for (int x = 0; x < win.Width; x++)
                    {
                        int n = 0;
                        for (int dy = 0; dy < 2; dy++)
                            for (int dx = 0; dx < 2; dx++)
                            {
                                int sx = x * 2 + dx, sy = y * 2 + dy;
                                if (sx < src.Width && sy < src.Height) four[n++] = block[sy * src.Width + sx];
                            }
                        output[y * win.Width + x] = Mode(four[..n]);
                    }
                }
                writer.WriteTile<byte>(tx, ty, output.AsSpan(0, (int)win.PixelCount));
            }
        }
    }

    /// <summary>The colour table: 0 unchanged black, 1 change red, 2 greening green, 255 nodata white (transparent through GDAL_NODATA).</summary>
    private static byte[] ColorMap()
    {
        var map = new byte[3 * 256 * 2];
        void Set(int index, int r, int g, int b)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(map.AsSpan(index * 2), (ushort)(r * 257));
            BinaryPrimitives.WriteUInt16LittleEndian(map.AsSpan((256 + index) * 2), (ushort)(g * 257));
            BinaryPrimitives.WriteUInt16LittleEndian(map.AsSpan((512 + index) * 2), (ushort)(b * 257));
        }
        Set(MaskValues.Change, 255, 0, 0);
        Set(MaskValues.ChangeVegetationGain, 0, 170, 0);
        Set(MaskValues.NoData, 255, 255, 255);
        return map;
    }

    private static TiffEntry Short(ushort tag, int value) => new(tag, 3, 1, BitConverter.GetBytes((ushort)value));
    private static TiffEntry Long(ushort tag, long value) => new(tag, 4, 1, BitConverter.GetBytes((uint)value));

    private static void Assemble(string destination, List<(string Path, TiffDirectory Dir, int Width, int Height)> levels)
    {
        byte[] colors = ColorMap();
        var entrySets = new List<List<TiffEntry>>();
        for (int i = 0; i < levels.Count; i++)
        {
            var d = levels[i].Dir;
            var keep = i == 0
                ? d.Entries.Where(e => e.Tag is not (TiffDirectories.NewSubfileType or TiffDirectories.StripOffsets or TiffDirectories.StripByteCounts
                    or TiffDirectories.TileOffsets or TiffDirectories.TileByteCounts or TiffDirectories.Photometric or TiffDirectories.ColorMap))
                : levels[0].Dir.Entries.Where(e => OverviewTags.Contains(e.Tag));
            var set = keep.ToList();
            if (i > 0)
            {
                set.Add(Long(TiffDirectories.NewSubfileType, 1));
                set.RemoveAll(e => e.Tag is TiffDirectories.ImageWidth or TiffDirectories.ImageLength);
                set.Add(Long(TiffDirectories.ImageWidth, levels[i].Width));
                set.Add(Long(TiffDirectories.ImageLength, levels[i].Height));
            }
            set.Add(Short(TiffDirectories.Photometric, 3));
            set.Add(new TiffEntry(TiffDirectories.ColorMap, 3, 768, colors));
            int tiles = d.Numbers(TiffDirectories.TileOffsets).Length;
            set.Add(new TiffEntry(TiffDirectories.TileOffsets, 4, tiles, new byte[tiles * 4]));
            set.Add(new TiffEntry(TiffDirectories.TileByteCounts, 4, tiles, new byte[tiles * 4]));
            set.Sort((a, b) => a.Tag.CompareTo(b.Tag));
            entrySets.Add(set);
        }

        // Sizes first: every IFD with its out-of-line values, then the pixel data, smallest level first.
        var ifdOffsets = new long[levels.Count];
        long at = 8;
        for (int i = 0; i < levels.Count; i++)
        {
            ifdOffsets[i] = at;
            at += 2 + 12L * entrySets[i].Count + 4;
            foreach (var e in entrySets[i]) if (e.Value.Length > 4) at += e.Value.Length + (e.Value.Length & 1);
        }
        var dataOffsets = new long[levels.Count][];
        for (int i = levels.Count - 1; i >= 0; i--)
        {
            var counts = levels[i].Dir.Numbers(TiffDirectories.TileByteCounts);
            dataOffsets[i] = new long[counts.Length];
            for (int k = 0; k < counts.Length; k++) { dataOffsets[i][k] = at; at += counts[k]; }
        }
        if (at > uint.MaxValue)
            throw new RasterFormatException(destination, "would exceed 4 GiB as a Cloud-Optimized GeoTIFF; keep the streamed mask (BigTIFF COG is not supported).");

        using var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var bw = new BinaryWriter(output);
        bw.Write((byte)'I'); bw.Write((byte)'I'); bw.Write((ushort)42); bw.Write((uint)8);
        for (int i = 0; i < levels.Count; i++)
        {
            var set = entrySets[i];
            long extra = ifdOffsets[i] + 2 + 12L * set.Count + 4;
            bw.Write((ushort)set.Count);
            var pending = new List<byte[]>();
            foreach (var e in set)
            {
                byte[] value = e.Tag switch
                {
                    TiffDirectories.TileOffsets => dataOffsets[i].SelectMany(o => BitConverter.GetBytes((uint)o)).ToArray(),
                    TiffDirectories.TileByteCounts => levels[i].Dir.Numbers(TiffDirectories.TileByteCounts).SelectMany(c => BitConverter.GetBytes((uint)c)).ToArray(),
                    _ => e.Value,
                };
                bw.Write(e.Tag); bw.Write(e.Type); bw.Write((uint)e.Count);
                if (value.Length <= 4)
                {
                    var inline = new byte[4];
                    value.CopyTo(inline, 0);
                    bw.Write(inline);
                }
                else
                {
                    bw.Write((uint)extra);
                    extra += value.Length + (value.Length & 1);
                    pending.Add(value);
                }
            }
            bw.Write((uint)(i + 1 < levels.Count ? ifdOffsets[i + 1] : 0));
            foreach (var v in pending)
            {
                bw.Write(v);
                if ((v.Length & 1) == 1) bw.Write((byte)0);
            }
        }
        for (int i = levels.Count - 1; i >= 0; i--)
        {
            using var src = File.OpenRead(levels[i].Path);
            var offsets = levels[i].Dir.Numbers(TiffDirectories.TileOffsets);
            var counts = levels[i].Dir.Numbers(TiffDirectories.TileByteCounts);
            var buffer = new byte[counts.DefaultIfEmpty(0).Max()];
            for (int k = 0; k < offsets.Length; k++)
            {
                src.Position = offsets[k];
                src.ReadExactly(buffer, 0, (int)counts[k]);
                bw.Write(buffer, 0, (int)counts[k]);
            }
        }
        bw.Flush();
    }
}
