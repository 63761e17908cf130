using BitMiracle.LibTiff.Classic;

namespace ChangeDetection.Tests.Raster;

/// <summary>Breaks one tile of a DEFLATE-tiled GeoTIFF in place, as bit rot on a disk would: size and modification time unchanged.</summary>
internal static class CorruptTiles
{
    /// <summary>Overwrites the compressed data of the last tile of the first band (the bottom-right corner) after its zlib header.</summary>
    public static void BreakLastTile(string path)
    {
        var modified = File.GetLastWriteTimeUtc(path);
        long offset, count;
        using (var tif = Tiff.Open(path, "r"))
        {
            long[] offsets = Longs(tif.GetField(TiffTag.TILEOFFSETS)[0]), counts = Longs(tif.GetField(TiffTag.TILEBYTECOUNTS)[0]);
            int perBand = tif.GetField(TiffTag.PLANARCONFIG)?[0].ToInt() == 2 ? tif.NumberOfTiles() / tif.GetField(TiffTag.SAMPLESPERPIXEL)[0].ToInt() : tif.NumberOfTiles();
            (offset, count) = (offsets[perBand - 1], counts[perBand - 1]);
        }
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            f.Position = offset + 2;
            f.Write(Enumerable.Repeat((byte)0xA5, (int)Math.Min(64, count - 2)).ToArray());
        }
        File.SetLastWriteTimeUtc(path, modified);
    }

    private static long[] Longs(FieldValue v) => v.TolongArray() ?? v.ToIntArray().Select(i => (long)i).ToArray();
}
