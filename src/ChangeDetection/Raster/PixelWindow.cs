namespace ChangeDetection.Raster;

/// <summary>
/// A rectangle of pixels: top-left corner (<see cref="X"/>, <see cref="Y"/>) and size, all in pixels.
/// Pure value; the geometry of windows is done with these functions and nothing else.
/// </summary>
public readonly record struct PixelWindow(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
    public bool IsEmpty => Width <= 0 || Height <= 0;
    public long PixelCount => IsEmpty ? 0 : (long)Width * Height;

    /// <summary>The overlap of two windows (empty when they do not overlap).</summary>
    public PixelWindow Intersect(PixelWindow other)
    {
        int x0 = Math.Max(X, other.X), y0 = Math.Max(Y, other.Y);
        int x1 = Math.Min(Right, other.Right), y1 = Math.Min(Bottom, other.Bottom);
        return x1 > x0 && y1 > y0 ? new PixelWindow(x0, y0, x1 - x0, y1 - y0) : default;
    }

    /// <summary>True when <paramref name="other"/> lies entirely inside this window.</summary>
    public bool Contains(PixelWindow other) =>
        other.X >= X && other.Y >= Y && other.Right <= Right && other.Bottom <= Bottom;

    /// <summary>This window grown by <paramref name="halo"/> pixels on every side, then clipped to <paramref name="bounds"/>.</summary>
    public PixelWindow Expand(int halo, PixelWindow bounds) =>
        new PixelWindow(X - halo, Y - halo, Width + 2 * halo, Height + 2 * halo).Intersect(bounds);

    /// <summary>The same window moved by (dx, dy) pixels.</summary>
    public PixelWindow Offset(int dx, int dy) => this with { X = X + dx, Y = Y + dy };

    public override string ToString() => $"{Width}×{Height}+{X}+{Y}";
}
