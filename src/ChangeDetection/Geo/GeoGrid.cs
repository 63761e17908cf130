namespace ChangeDetection.Geo;

/// <summary>
/// A raster grid: size in pixels, the affine transform to map coordinates and the CRS.
/// Everything the pipeline computes in pixel space is tied to map space only through this.
/// </summary>
public readonly record struct GeoGrid(int Width, int Height, GeoTransform Transform, Crs Crs)
{
    /// <summary>Pixel count.</summary>
    public long PixelCount => (long)Width * Height;
}
