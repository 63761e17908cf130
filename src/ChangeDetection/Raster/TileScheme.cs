using ChangeDetection.Geo;

namespace ChangeDetection.Raster;

/// <summary>
/// One tile of a <see cref="TileScheme"/>: the <see cref="Core"/> pixels it is responsible for,
/// and the larger <see cref="Read"/> window (core plus halo, clipped to the grid) that every
/// neighbourhood operation on the core needs. Pixels.
/// </summary>
public readonly record struct Tile(int Index, int Column, int Row, PixelWindow Core, PixelWindow Read)
{
    /// <summary>Where the core sits inside the read window.</summary>
    public PixelWindow CoreInRead => Core.Offset(-Read.X, -Read.Y);
}

/// <summary>
/// Cuts a grid into square tiles of <see cref="TileSize"/> pixels, each read with a halo of
/// <see cref="Halo"/> pixels so that neighbourhood operations (morphology, texture) give the
/// same result at a seam as inside a tile: the tile size is a performance knob, never a result knob.
/// </summary>
internal sealed record TileScheme
{
    public TileScheme(int width, int height, int tileSize, int halo = 0)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Grid size {width}×{height} must be positive.");
        if (tileSize <= 0) throw new ArgumentOutOfRangeException(nameof(tileSize), $"Tile size {tileSize} must be positive.");
        if (halo < 0) throw new ArgumentOutOfRangeException(nameof(halo), $"Halo {halo} must not be negative.");
        Width = width;
        Height = height;
        TileSize = tileSize;
        Halo = halo;
    }

    public TileScheme(GeoGrid grid, int tileSize, int halo = 0) : this(grid.Width, grid.Height, tileSize, halo) { }

    /// <summary>Grid width in pixels.</summary>
    public int Width { get; }
    /// <summary>Grid height in pixels.</summary>
    public int Height { get; }
    /// <summary>Tile edge in pixels (edge tiles are smaller).</summary>
    public int TileSize { get; }
    /// <summary>Extra pixels read on every side of a tile's core.</summary>
    public int Halo { get; }

    public int Columns => (Width + TileSize - 1) / TileSize;
    public int Rows => (Height + TileSize - 1) / TileSize;
    public int Count => Columns * Rows;

    /// <summary>The tile at (column, row).</summary>
    public Tile this[int column, int row]
    {
        get
        {
            if ((uint)column >= (uint)Columns || (uint)row >= (uint)Rows)
                throw new ArgumentOutOfRangeException(nameof(column), $"Tile ({column},{row}) is outside the {Columns}×{Rows} scheme.");
            var bounds = new PixelWindow(0, 0, Width, Height);
            var core = new PixelWindow(column * TileSize, row * TileSize, TileSize, TileSize).Intersect(bounds);
            return new Tile(row * Columns + column, column, row, core, core.Expand(Halo, bounds));
        }
    }

    /// <summary>All tiles, row by row.</summary>
    public IEnumerable<Tile> Tiles()
    {
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++)
                yield return this[c, r];
    }
}
