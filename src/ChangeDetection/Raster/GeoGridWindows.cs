using ChangeDetection.Geo;

namespace ChangeDetection.Raster;

/// <summary>
/// Pixel windows of a <see cref="GeoGrid"/>. Declared here rather than on the grid so that Geo (grid,
/// transform, CRS) depends on nothing and Raster depends on Geo, never the other way round.
/// </summary>
public static class GeoGridWindows
{
    extension(GeoGrid grid)
    {
        /// <summary>The whole grid as a pixel window (pixels).</summary>
        public PixelWindow Bounds => new(0, 0, grid.Width, grid.Height);
    }
}
