using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Vectorization;

/// <summary>
/// Where a polygonizer reads mask pixels from, one window at a time (it never asks for the whole
/// mask at once). Values: 0 = no change, any other value = a change class, except <see cref="NoData"/>
/// (not change). Implementations must allow concurrent <see cref="Read"/> calls.
/// </summary>
public interface IMaskSource
{
    int Width { get; }
    int Height { get; }
    /// <summary>The value that means "no data" (treated as no change), or null.</summary>
    byte? NoData { get; }
    /// <summary>A good tile size for reading (multiples of the file's block size), or (0, 0) for no preference.</summary>
    (int Width, int Height) PreferredTile { get; }
    /// <summary>Reads <paramref name="window"/> row-major into <paramref name="destination"/>.</summary>
    void Read(PixelWindow window, Span<byte> destination);
}

/// <summary>A mask held in memory (tests, benchmarks, masks computed in-process).</summary>
internal sealed class ArrayMaskSource : IMaskSource
{
    private readonly byte[] _data;

    public ArrayMaskSource(byte[] data, int width, int height, byte? noData = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (width <= 0 || height <= 0 || data.Length < (long)width * height)
            throw new ArgumentException($"A {width}×{height} mask needs {(long)width * height} values, got {data.Length}.", nameof(data));
        _data = data;
        Width = width;
        Height = height;
        NoData = noData;
    }

    public int Width { get; }
    public int Height { get; }
    public byte? NoData { get; }
    public (int Width, int Height) PreferredTile => (0, 0);

    public void Read(PixelWindow window, Span<byte> destination)
    {
        for (int r = 0; r < window.Height; r++)
            _data.AsSpan((window.Y + r) * Width + window.X, window.Width).CopyTo(destination.Slice(r * window.Width, window.Width));
    }
}

/// <summary>A single-band uint8 GeoTIFF mask read window by window.</summary>
public sealed class GeoTiffMaskSource : IMaskSource
{
    private readonly GeoTiffReader _reader;
    private static readonly int[] Band0 = [0];

    /// <exception cref="RasterFormatException">The raster is not a mask (not one band of uint8).</exception>
    public GeoTiffMaskSource(GeoTiffReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var info = reader.Info;
        if (info.BandCount != 1 || info.DataType != RasterDataType.UInt8)
            throw new RasterFormatException(info.Path,
                $"not a change mask: expected 1 band of uint8 (0 = no change, 1.. = change class), found {info.BandCount} band(s) of {info.DataType.Name()}.");
        _reader = reader;
        if (info.NoData is double nd && nd >= 0 && nd <= 255 && nd == Math.Floor(nd)) NoData = (byte)nd;
    }

    public int Width => _reader.Info.Width;
    public int Height => _reader.Info.Height;
    public byte? NoData { get; }

    public (int Width, int Height) PreferredTile
    {
        get
        {
            var info = _reader.Info;
            // Tiles aligned to the file's blocks decode every block exactly once; aim for ~1024 pixels.
            // Strips span the width, so striped files are read in full-width bands of rows.
            int bw = Math.Max(1, info.BlockWidth), bh = Math.Max(1, info.BlockHeight);
            int w = bw >= info.Width ? info.Width : Math.Max(bw, 1024 / bw * bw);
            int h = Math.Max(bh, 1024 / bh * bh);
            if (w == info.Width && (long)w * h > 64L << 20) h = bh;
            return (w, h);
        }
    }

    public void Read(PixelWindow window, Span<byte> destination) => _reader.Read<byte>(window, Band0, destination);
}
