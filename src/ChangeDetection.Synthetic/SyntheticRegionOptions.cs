namespace ChangeDetection.Synthetic;

/// <summary>Options of <see cref="SyntheticRegion.Generate"/>.</summary>
public sealed record SyntheticRegionOptions
{
    /// <summary>Width and height of both rasters in pixels.</summary>
    public int Size { get; init; } = 4096;

    /// <summary>Everything (scene, pixels, noise) is a pure function of the seed: same seed, same bytes.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Ground sampling distance in metres. Objects keep their sizes in metres.</summary>
    public double PixelSize { get; init; } = 1.0;

    /// <summary>
    /// Edge of the square tiles generated at once, a multiple of the file's 256-pixel tiles. A
    /// performance knob only: the output is byte-identical for every value.
    /// </summary>
    public int TileSize { get; init; } = 256;

    /// <summary>Threads generating tiles. A performance knob only: the output is byte-identical for every value.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    public const int MinSize = 256;
    public const int MaxSize = 32768;
    public const int FileTileSize = 256;

    /// <summary>Throws <see cref="ChangeDetectionException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (Size is < MinSize or > MaxSize)
            throw new ChangeDetectionException($"--size {Size} is out of range: use {MinSize}..{MaxSize} pixels.");
        if (!double.IsFinite(PixelSize) || PixelSize < 0.1 || PixelSize > 100)
            throw new ChangeDetectionException($"--pixel {PixelSize} is out of range: use 0.1..100 metres.");
        if (TileSize < FileTileSize || TileSize % FileTileSize != 0 || TileSize > 8192)
            throw new ChangeDetectionException($"Tile size {TileSize} must be a multiple of {FileTileSize} up to 8192.");
        if (Workers is < 1 or > 256)
            throw new ChangeDetectionException($"Worker count {Workers} must be 1..256.");
    }
}
