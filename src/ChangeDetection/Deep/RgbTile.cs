namespace ChangeDetection.Deep;

/// <summary>
/// A tile of one date as three planar bands in 8-bit-equivalent brightness (0–255, float), row-major,
/// <c>Width × Height</c> pixels each. Values outside 0–255 are allowed (the network sees them as they are).
/// </summary>
internal sealed class RgbTile
{
    /// <summary>Wraps three planes of <c>width × height</c> values (0–255); the arrays are not copied.</summary>
    public RgbTile(int width, int height, float[] red, float[] green, float[] blue)
    {
        ArgumentNullException.ThrowIfNull(red);
        ArgumentNullException.ThrowIfNull(green);
        ArgumentNullException.ThrowIfNull(blue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        long n = (long)width * height;
        if (red.Length != n || green.Length != n || blue.Length != n)
            throw new ArgumentException($"each band must hold width × height = {n} values (got {red.Length}, {green.Length}, {blue.Length})");
        Width = width;
        Height = height;
        Red = red;
        Green = green;
        Blue = blue;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Red plane, 0–255, row-major.</summary>
    public float[] Red { get; }

    /// <summary>Green plane, 0–255, row-major.</summary>
    public float[] Green { get; }

    /// <summary>Blue plane, 0–255, row-major.</summary>
    public float[] Blue { get; }

    /// <summary>
    /// Stretches three uint16 DN planes to 0–255 with fixed per-band limits (<see cref="BandStretch"/>), computed once
    /// per scene so that every tile of a date is scaled alike. Nodata pixels are stretched like any DN (usually to 0):
    /// the caller masks the evidence there, and within a receptive field of them (see <see cref="DeepLayer.ReceptiveField"/>).
    /// </summary>
    public static RgbTile FromDigitalNumbers(int width, int height,
        ReadOnlySpan<ushort> red, ReadOnlySpan<ushort> green, ReadOnlySpan<ushort> blue,
        BandStretch redStretch, BandStretch greenStretch, BandStretch blueStretch)
    {
        ArgumentNullException.ThrowIfNull(redStretch);
        ArgumentNullException.ThrowIfNull(greenStretch);
        ArgumentNullException.ThrowIfNull(blueStretch);
        int n = checked(width * height);
        if (red.Length != n || green.Length != n || blue.Length != n)
            throw new ArgumentException($"each band must hold width × height = {n} values (got {red.Length}, {green.Length}, {blue.Length})");
        var r = new float[n];
        var g = new float[n];
        var b = new float[n];
        redStretch.Apply(red, r);
        greenStretch.Apply(green, g);
        blueStretch.Apply(blue, b);
        return new RgbTile(width, height, r, g, b);
    }
}
