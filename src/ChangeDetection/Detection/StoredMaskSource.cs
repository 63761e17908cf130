using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Detection;

/// <summary>
/// The mask as the mask pass left it in a <see cref="ITileStore"/> (<see cref="TileStages.Mask"/>: each tile's core,
/// zlib-compressed), read window by window without the mask file: the patches can be traced while the file is still
/// being assembled from the same tiles (<see cref="TilePasses.WriteMask"/>), and both see the same pixels.
/// Concurrent reads are safe as long as the store's are.
/// </summary>
internal sealed class StoredMaskSource : IMaskSource
{
    private readonly ITileStore _store;
    private readonly TileScheme _tiles;

    /// <param name="store">The store holding every mask tile of <paramref name="tiles"/>.</param>
    /// <param name="tiles">The mask pass's tiles (their cores tile the grid).</param>
    public StoredMaskSource(ITileStore store, TileScheme tiles)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(tiles);
        (_store, _tiles) = (store, tiles);
    }

    public int Width => _tiles.Width;
    public int Height => _tiles.Height;
    /// <summary>The mask file's nodata (<see cref="Morphology.NoData"/>): the source gives what the file would.</summary>
    public byte? NoData => Morphology.NoData;
    /// <summary>One mask tile's core: each window is then one stored tile, decompressed once.</summary>
    public (int Width, int Height) PreferredTile => (_tiles.TileSize, _tiles.TileSize);

    /// <exception cref="InvalidOperationException">A mask tile the window needs is not in the store.</exception>
    public void Read(PixelWindow window, Span<byte> destination)
    {
        int size = _tiles.TileSize;
        for (int row = window.Y / size; row <= (window.Bottom - 1) / size; row++)
        {
            for (int column = window.X / size; column <= (window.Right - 1) / size; column++)
            {
                var tile = _tiles[column, row];
                var part = tile.Core.Intersect(window);
                if (part == tile.Core && part == window)
                {
                    // The usual case (PreferredTile): the tile inflates straight into the caller's buffer.
                    Inflate(tile, destination);
                    continue;
                }
                byte[] core = new byte[tile.Core.PixelCount];
                Inflate(tile, core);
                for (int y = part.Y; y < part.Bottom; y++)
                    core.AsSpan((y - tile.Core.Y) * tile.Core.Width + part.X - tile.Core.X, part.Width)
                        .CopyTo(destination.Slice((y - window.Y) * window.Width + part.X - window.X, part.Width));
            }
        }
    }

    /// <summary>Tile <paramref name="tile"/>'s core into <paramref name="destination"/> (its first core-size bytes).</summary>
    private void Inflate(Tile tile, Span<byte> destination)
    {
        if (!TileStages.TryGetMask(_store, tile.Index, destination[..checked((int)tile.Core.PixelCount)]))
            throw new InvalidOperationException($"Mask tile {tile.Index} is missing from the store.");
    }
}
