using ChangeDetection.Raster;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Vectorization;

/// <summary>The pixel window that covers a pixel-space geometry (outline corners are integers).</summary>
internal static class PixelBounds
{
    public static PixelWindow Of(Geometry pixelGeometry)
    {
        var env = pixelGeometry.EnvelopeInternal;
        int x0 = (int)Math.Floor(env.MinX), y0 = (int)Math.Floor(env.MinY);
        return new PixelWindow(x0, y0, (int)Math.Ceiling(env.MaxX) - x0, (int)Math.Ceiling(env.MaxY) - y0);
    }
}
