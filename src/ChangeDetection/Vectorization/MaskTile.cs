using ChangeDetection.Raster;

namespace ChangeDetection.Vectorization;

/// <summary>One tile of the tile grid a mask is processed in: its grid position and pixel window.</summary>
internal readonly record struct MaskTile(int Column, int Row, PixelWindow Window)
{
    /// <summary>The tiles covering a <paramref name="width"/> × <paramref name="height"/> image, row-major (edge tiles clipped).</summary>
    public static MaskTile[] Grid(int width, int height, int tileWidth, int tileHeight, out int across, out int down)
    {
        if (tileWidth <= 0 || tileHeight <= 0) throw new ArgumentOutOfRangeException(nameof(tileWidth), "The tile size must be positive.");
        across = (int)(((long)width + tileWidth - 1) / tileWidth);
        down = (int)(((long)height + tileHeight - 1) / tileHeight);
        var tiles = new MaskTile[across * down];
        for (int r = 0; r < down; r++)
        {
            for (int c = 0; c < across; c++)
            {
                int x = c * tileWidth, y = r * tileHeight;
                tiles[r * across + c] = new MaskTile(c, r, new PixelWindow(x, y, Math.Min(tileWidth, width - x), Math.Min(tileHeight, height - y)));
            }
        }
        return tiles;
    }
}
