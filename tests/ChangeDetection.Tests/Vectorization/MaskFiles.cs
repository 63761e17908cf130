using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Vectorization;

/// <summary>Writes test masks as GeoTIFF with our writer.</summary>
internal static class MaskFiles
{
    public static string Write(string path, byte[] mask, int w, int h, GeoTransform gt, Crs crs, double? noData = null, int tileSize = 64)
    {
        using var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions
        {
            Width = w, Height = h, DataType = RasterDataType.UInt8, Transform = gt, Crs = crs, NoData = noData, TileSize = tileSize,
        });
        writer.WriteWindow(new PixelWindow(0, 0, w, h), mask.AsSpan());
        return path;
    }

    /// <summary>CGCS2000 3° Gauss–Krüger zone 39 (with zone prefix), 2 m pixels: every corner is exact in binary.</summary>
    public static GeoTransform Gk39TwoMetre => new(39_500_000, 2, 0, 3_400_000, 0, -2);
    public static Crs Gk39 => new(4527, "CGCS2000 / 3-degree Gauss-Kruger zone 39");
}
