using ChangeDetection.Geo;

namespace ChangeDetection.Raster;

/// <summary>How the samples of several bands are stored: pixel-interleaved (RGBRGB…) or one plane per band.</summary>
public enum Interleave { Pixel, Band }

/// <summary>
/// Everything known about a raster file without reading its pixels: size (pixels), bands, sample
/// type, georeferencing, nodata, band names and the storage layout.
/// </summary>
public sealed record RasterInfo
{
    public required string Path { get; init; }
    /// <summary>Width in pixels.</summary>
    public required int Width { get; init; }
    /// <summary>Height in pixels.</summary>
    public required int Height { get; init; }
    public required int BandCount { get; init; }
    public required RasterDataType DataType { get; init; }
    /// <summary>Pixel-corner transform, as GDAL reports it (also for <c>AREA_OR_POINT=Point</c> files).</summary>
    public required GeoTransform Transform { get; init; }
    public required Crs Crs { get; init; }
    /// <summary>False when the file carries no georeferencing (the transform is then the identity).</summary>
    public required bool IsGeoreferenced { get; init; }
    /// <summary>The nodata value shared by all bands (GDAL_NODATA), or null.</summary>
    public double? NoData { get; init; }
    /// <summary>Band descriptions (GDAL_METADATA), one entry per band, null where unnamed.</summary>
    public required IReadOnlyList<string?> BandNames { get; init; }
    /// <summary>Compression in GDAL's spelling: NONE, DEFLATE, LZW, PACKBITS, JPEG, ZSTD, …</summary>
    public required string Compression { get; init; }
    public int Predictor { get; init; } = 1;
    public required bool Tiled { get; init; }
    public required bool BigTiff { get; init; }
    public required Interleave Interleave { get; init; }
    /// <summary>Block (tile or strip) width in pixels.</summary>
    public required int BlockWidth { get; init; }
    /// <summary>Block (tile or strip) height in pixels.</summary>
    public required int BlockHeight { get; init; }
    /// <summary>True when the file declares <c>AREA_OR_POINT=Point</c> (RasterPixelIsPoint).</summary>
    public bool PixelIsPoint { get; init; }

    public GeoGrid Grid => new(Width, Height, Transform, Crs);
    public PixelWindow Bounds => new(0, 0, Width, Height);
}
