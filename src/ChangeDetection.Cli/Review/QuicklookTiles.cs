using System.Collections.Concurrent;
using ChangeDetection.Export;
using ChangeDetection.Raster;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Cli.Review;

/// <summary>
/// Quicklook tiles of the run's images in pixel space: 256 × 256 PNGs, tile level <c>z</c> showing every
/// 2^(<see cref="MaxLevel"/> − z)-th image pixel (level <see cref="MaxLevel"/> is full resolution, level 0 the
/// whole scene in one tile). Coloured as the chips are (same bands, same scene stretch for both dates), so a
/// tone seen on the map is the tone of the chip. Pixels beyond the image are transparent. A read gives both
/// dates, so both tiles are kept (the last <see cref="MaxCached"/> windows): switching date, or coming back to a
/// place, reads nothing again.
/// </summary>
internal sealed class QuicklookTiles(ReviewRun run)
{
    public const int Size = 256;
    /// <summary>Windows whose two tiles are kept in memory (about 100 kB per PNG).</summary>
    public const int MaxCached = 192;

    private readonly ConcurrentDictionary<(int Z, int X, int Y), Lazy<(byte[] Before, byte[] After)?>> _cache = new();

    /// <summary>The PNG of tile (<paramref name="x"/>, <paramref name="y"/>) at level <paramref name="z"/> of one date, or null when it lies outside the image.</summary>
    public byte[]? Get(bool after, int z, int x, int y)
    {
        // Crude bound: forget everything once full (a reviewer moves on; what is on screen is re-read once).
        if (_cache.Count >= MaxCached) _cache.Clear();
        // Lazy: the browser asks for the same tile of the other date at once; one read serves both.
        var tiles = _cache.GetOrAdd((z, x, y), k => new Lazy<(byte[], byte[])?>(() => Render(run, k.Z, k.X, k.Y))).Value;
        return tiles is { } t ? (after ? t.After : t.Before) : null;
    }

    /// <summary>The full-resolution level for a grid: the smallest z with the whole scene in one tile at level 0.</summary>
    public static int MaxLevel(int width, int height)
    {
        int z = 0;
        while ((long)Size << z < Math.Max(width, height)) z++;
        return z;
    }

    /// <summary>The PNGs of tile (<paramref name="x"/>, <paramref name="y"/>) at level <paramref name="z"/> of both dates, or null when it lies outside the image.</summary>
    private static (byte[] Before, byte[] After)? Render(ReviewRun run, int z, int x, int y)
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
        return (Png(b, frame), Png(a, frame));
    }

    /// <summary>A 256 × 256 PNG with <paramref name="pixels"/> at the top left, transparent beyond.</summary>
    private static byte[] Png(Rgb24[] pixels, ChipFrame frame)
    {
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
