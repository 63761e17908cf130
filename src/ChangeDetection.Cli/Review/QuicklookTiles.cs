using ChangeDetection.Export;
using ChangeDetection.Raster;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Cli.Review;

/// <summary>
/// Quicklook tiles of the run's images in pixel space: 256 × 256 PNGs, tile level <c>z</c> showing every
/// 2^(<see cref="MaxLevel"/> − z)-th image pixel (level <see cref="MaxLevel"/> is full resolution, level 0 the
/// whole scene in one tile). Coloured as the chips are (same bands, same scene stretch for both dates), so a
/// tone seen on the map is the tone of the chip. Pixels beyond the image are transparent.
/// </summary>
internal static class QuicklookTiles
{
    public const int Size = 256;

    /// <summary>The full-resolution level for a grid: the smallest z with the whole scene in one tile at level 0.</summary>
    public static int MaxLevel(int width, int height)
    {
        int z = 0;
        while ((long)Size << z < Math.Max(width, height)) z++;
        return z;
    }

    /// <summary>The PNG of tile (<paramref name="x"/>, <paramref name="y"/>) at level <paramref name="z"/> of one date, or null when it lies outside the image.</summary>
    public static byte[]? Render(ReviewRun run, bool after, int z, int x, int y)
    {
        var grid = run.Grid;
        int max = MaxLevel(grid.Width, grid.Height);
        if (z < 0 || z > max || x < 0 || y < 0) return null;
        int step = 1 << (max - z);
        long left = (long)x * Size * step, top = (long)y * Size * step;
        if (left >= grid.Width || top >= grid.Height) return null;
        var window = new PixelWindow((int)left, (int)top, (int)Math.Min((long)Size * step, grid.Width - left), (int)Math.Min((long)Size * step, grid.Height - top));
        var frame = new ChipFrame(window, 1, step);
        var (b, a) = ChipWriter.RenderWindow(run.Pair, frame, run.Limits);
        var pixels = after ? a : b;
        using var image = new Image<Rgba32>(Size, Size, new Rgba32(0, 0, 0, 0));
        for (int row = 0; row < frame.Height; row++)
            for (int col = 0; col < frame.Width; col++)
            {
                var p = pixels[row * frame.Width + col];
                image[col, row] = new Rgba32(p.R, p.G, p.B, 255);
            }
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }
}
