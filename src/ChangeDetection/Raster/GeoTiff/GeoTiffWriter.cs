using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using BitMiracle.LibTiff.Classic;
using ChangeDetection.Geo;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>Options for <see cref="GeoTiffWriter"/>. Sizes in pixels.</summary>
public sealed record GeoTiffWriterOptions
{
    /// <summary>Width in pixels.</summary>
    public required int Width { get; init; }
    /// <summary>Height in pixels.</summary>
    public required int Height { get; init; }
    public int BandCount { get; init; } = 1;
    public required RasterDataType DataType { get; init; }
    public GeoTransform Transform { get; init; } = GeoTransform.Identity;
    /// <summary>The CRS; an EPSG code is written to the GeoKeys, a CRS without one as a citation only.</summary>
    public Crs? Crs { get; init; }
    public double? NoData { get; init; }
    /// <summary>Band descriptions (GDAL_METADATA), null entries where unnamed.</summary>
    public IReadOnlyList<string?>? BandNames { get; init; }
    /// <summary>Tile edge in pixels; a multiple of 16 as TIFF requires.</summary>
    public int TileSize { get; init; } = 256;
    /// <summary>zlib level 1–9; 6 is GDAL's default.</summary>
    public int DeflateLevel { get; init; } = 6;
    /// <summary>Force BigTIFF; by default it is chosen when the file may exceed 4 GiB.</summary>
    public bool? BigTiff { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (Width <= 0 || Height <= 0) throw new ArgumentException($"Raster size {Width}×{Height} must be positive.");
        if (BandCount is < 1 or > 65535) throw new ArgumentException($"Band count {BandCount} must be 1..65535.");
        if (TileSize < 16 || TileSize % 16 != 0 || TileSize > 8192) throw new ArgumentException($"Tile size {TileSize} must be a multiple of 16 between 16 and 8192.");
        if (DeflateLevel is < 1 or > 9) throw new ArgumentException($"DEFLATE level {DeflateLevel} must be 1..9.");
        if (BandNames is not null && BandNames.Count != BandCount) throw new ArgumentException($"{BandNames.Count} band names given for {BandCount} bands.");
    }
}

/// <summary>
/// Writes tiled, DEFLATE-compressed GeoTIFFs (one plane per band) that GDAL reads back with the
/// same geotransform, EPSG code, nodata and band descriptions. Streams: the caller hands over one
/// tile (or a tile-aligned window) at a time; nothing holds the whole raster.
/// </summary>
/// <remarks>
/// Tiles may be written from several threads: compression runs on the caller's thread and only
/// the append to the file is serialised. <see cref="Dispose"/> fills tiles never written with
/// nodata (or zero), so the file is always complete.
/// </remarks>
internal sealed class GeoTiffWriter : IDisposable
{
    /// <summary>Above this many bytes of pixels the file is written as BigTIFF: compression may not help.</summary>
    private const long ClassicTiffLimit = (4L << 30) - (256L << 20);

    private readonly Tiff _tif;
    private readonly object _gate = new();
    private readonly bool[] _written;
    private readonly int _across;
    private readonly int _down;
    private bool _disposed;

    public GeoTiffWriter(string path, GeoTiffWriterOptions options)
    {
        options.Validate();
        GeoTiffTags.EnsureRegistered();
        Path = path;
        Options = options;
        BigTiff = NeedsBigTiff(options);
        _across = (options.Width + options.TileSize - 1) / options.TileSize;
        _down = (options.Height + options.TileSize - 1) / options.TileSize;
        _written = new bool[(long)_across * _down * options.BandCount];

        string full = System.IO.Path.GetFullPath(path);
        string? dir = System.IO.Path.GetDirectoryName(full);
        try
        {
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RasterFormatException(path, $"cannot create the output folder: {e.Message}", e);
        }
        TiffErrorCollector.Clear();
        _tif = Tiff.Open(full, BigTiff ? "w8" : "w")
            ?? throw new RasterFormatException(path, $"cannot create the file for writing ({TiffErrorCollector.Take() ?? "permission or path problem"}).");
        WriteTags();
    }

    /// <summary>
    /// True when the file is written as BigTIFF: when forced, or when the uncompressed pixels alone
    /// come near 4 GiB (compression is not guaranteed to help, and classic TIFF offsets are 32-bit).
    /// </summary>
    public static bool NeedsBigTiff(GeoTiffWriterOptions options)
    {
        long rawBytes = (long)options.Width * options.Height * options.BandCount * options.DataType.SizeOf();
        return options.BigTiff ?? rawBytes > ClassicTiffLimit;
    }

    /// <summary>Shortcut: creates the file.</summary>
    public static GeoTiffWriter Create(string path, GeoTiffWriterOptions options) => new(path, options);

    public string Path { get; }
    public GeoTiffWriterOptions Options { get; }
    public bool BigTiff { get; }

    /// <summary>Tiles across and down.</summary>
    public (int Across, int Down) TileGrid => (_across, _down);

    private void WriteTags()
    {
        var o = Options;
        var t = _tif;
        t.SetField(TiffTag.IMAGEWIDTH, o.Width);
        t.SetField(TiffTag.IMAGELENGTH, o.Height);
        t.SetField(TiffTag.BITSPERSAMPLE, o.DataType.SizeOf() * 8);
        t.SetField(TiffTag.SAMPLESPERPIXEL, o.BandCount);
        t.SetField(TiffTag.SAMPLEFORMAT, o.DataType.IsFloatingPoint() ? SampleFormat.IEEEFP
            : o.DataType is RasterDataType.Int8 or RasterDataType.Int16 or RasterDataType.Int32 or RasterDataType.Int64 ? SampleFormat.INT : SampleFormat.UINT);
        t.SetField(TiffTag.COMPRESSION, BitMiracle.LibTiff.Classic.Compression.ADOBE_DEFLATE);
        t.SetField(TiffTag.PHOTOMETRIC, Photometric.MINISBLACK);
        t.SetField(TiffTag.PLANARCONFIG, PlanarConfig.SEPARATE);
        t.SetField(TiffTag.TILEWIDTH, o.TileSize);
        t.SetField(TiffTag.TILELENGTH, o.TileSize);
        if (o.BandCount > 1)
        {
            // Bands beyond the first are "unspecified" extra samples, as GDAL writes them.
            t.SetField(TiffTag.EXTRASAMPLES, o.BandCount - 1, new short[o.BandCount - 1]);
        }

        var gt = o.Transform;
        if (o.Crs is not null || gt != GeoTransform.Identity)
        {
            if (gt.IsNorthUp && gt.PixelHeight < 0)
            {
                t.SetField(GeoTiffTags.ModelPixelScale, 3, new[] { gt.PixelWidth, -gt.PixelHeight, 0.0 });
                t.SetField(GeoTiffTags.ModelTiepoint, 6, new[] { 0.0, 0.0, 0.0, gt.OriginX, gt.OriginY, 0.0 });
            }
            else
            {
                double[] m =
                [
                    gt.PixelWidth, gt.RowRotation, 0, gt.OriginX,
                    gt.ColumnRotation, gt.PixelHeight, 0, gt.OriginY,
                    0, 0, 0, 0,
                    0, 0, 0, 1,
                ];
                t.SetField(GeoTiffTags.ModelTransformation, 16, m);
            }
            WriteGeoKeys(o.Crs ?? Crs.Unknown);
        }

        if (o.NoData is double nd)
            t.SetField(GeoTiffTags.GdalNoData, NoDataText.Format(nd));
        if (o.BandNames is { } names && names.Any(n => !string.IsNullOrEmpty(n)))
        {
            var xml = new StringBuilder("<GDALMetadata>\n");
            for (int b = 0; b < names.Count; b++)
            {
                if (string.IsNullOrEmpty(names[b])) continue;
                xml.Append("  <Item name=\"DESCRIPTION\" sample=\"").Append(b).Append("\" role=\"description\">")
                   .Append(SecurityElement.Escape(names[b])).Append("</Item>\n");
            }
            xml.Append("</GDALMetadata>");
            t.SetField(GeoTiffTags.GdalMetadata, xml.ToString());
        }
    }

    private void WriteGeoKeys(Crs crs)
    {
        // GeoKeyDirectory: header (version 1.1.0, key count) then sorted (id, location, count, value).
        var keys = new List<(ushort Id, ushort Loc, ushort Count, ushort Value)>();
        string ascii = "";
        bool geographic = crs.IsGeographic || crs.Epsg is int e && IsGeographicEpsg(e);
        keys.Add((GeoKeys.ModelType, 0, 1, crs.IsKnown ? (geographic ? GeoKeys.ModelTypeGeographic : GeoKeys.ModelTypeProjected) : (ushort)0));
        keys.Add((GeoKeys.RasterType, 0, 1, GeoKeys.RasterPixelIsArea));
        if (!string.IsNullOrEmpty(crs.Citation))
        {
            ascii = crs.Citation.Replace('|', '/') + "|";
            keys.Add((GeoKeys.Citation, 34737, (ushort)ascii.Length, 0));
        }
        if (crs.Epsg is int code)
            keys.Add((geographic ? GeoKeys.GeographicType : GeoKeys.ProjectedType, 0, 1, (ushort)code));
        if (!crs.IsKnown) keys.RemoveAt(0);
        keys.Sort((a, b) => a.Id.CompareTo(b.Id));

        var dir = new List<short> { 1, 1, 0, (short)keys.Count };
        foreach (var k in keys)
        {
            dir.Add(unchecked((short)k.Id));
            dir.Add(unchecked((short)k.Loc));
            dir.Add(unchecked((short)k.Count));
            dir.Add(unchecked((short)k.Value));
        }
        _tif.SetField(GeoTiffTags.GeoKeyDirectory, dir.Count, dir.ToArray());
        if (ascii.Length > 0) _tif.SetField(GeoTiffTags.GeoAsciiParams, ascii);
    }

    /// <summary>EPSG geographic 2D codes used in practice (CGCS2000, WGS 84, Beijing 1954, Xi'an 1980, ETRS89, NAD83).</summary>
    private static bool IsGeographicEpsg(int code) => code is 4490 or 4326 or 4214 or 4610 or 4258 or 4269 or 4167;

    /// <summary>
    /// Writes one tile of all bands: <paramref name="data"/> is band-sequential, each band the
    /// tile's clipped size (tiles on the right and bottom edges are smaller), row-major.
    /// </summary>
    public void WriteTile<T>(int tileColumn, int tileRow, ReadOnlySpan<T> data) where T : unmanaged
    {
        var window = TileWindow(tileColumn, tileRow);
        int ts = Options.TileSize, es = Options.DataType.SizeOf();
        long bandSamples = window.PixelCount;
        if (data.Length < bandSamples * Options.BandCount)
            throw new ArgumentException($"Tile ({tileColumn},{tileRow}) needs {bandSamples * Options.BandCount} samples, got {data.Length}.", nameof(data));
        for (int b = 0; b < Options.BandCount; b++)
            WriteTileBand(tileColumn, tileRow, b, data.Slice((int)(b * bandSamples), (int)bandSamples), window, ts, es);
    }

    /// <summary>
    /// Writes a window whose corners lie on the tile grid (or on the raster's right/bottom edge),
    /// e.g. a full-width strip of tile rows. Band-sequential, row-major, window-sized.
    /// </summary>
    public void WriteWindow<T>(PixelWindow window, ReadOnlySpan<T> data) where T : unmanaged
    {
        int ts = Options.TileSize;
        var bounds = new PixelWindow(0, 0, Options.Width, Options.Height);
        if (!bounds.Contains(window) || window.IsEmpty || window.X % ts != 0 || window.Y % ts != 0
            || (window.Right % ts != 0 && window.Right != Options.Width) || (window.Bottom % ts != 0 && window.Bottom != Options.Height))
            throw new ArgumentException($"Window {window} is not aligned to the {ts}-pixel tile grid of {Path}.", nameof(window));
        if (data.Length < window.PixelCount * Options.BandCount)
            throw new ArgumentException($"Window {window} needs {window.PixelCount * Options.BandCount} samples, got {data.Length}.", nameof(data));
        int es = Options.DataType.SizeOf();
        T[] tile = ArrayPool<T>.Shared.Rent(ts * ts);
        try
        {
            for (int ty = window.Y / ts; ty * ts < window.Bottom; ty++)
            {
                for (int tx = window.X / ts; tx * ts < window.Right; tx++)
                {
                    var tw = TileWindow(tx, ty);
                    for (int b = 0; b < Options.BandCount; b++)
                    {
                        var band = data.Slice((int)(b * window.PixelCount), (int)window.PixelCount);
                        for (int r = 0; r < tw.Height; r++)
                            band.Slice((tw.Y - window.Y + r) * window.Width + (tw.X - window.X), tw.Width).CopyTo(tile.AsSpan(r * tw.Width, tw.Width));
                        WriteTileBand(tx, ty, b, tile.AsSpan(0, (int)tw.PixelCount), tw, ts, es);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(tile);
        }
    }

    /// <summary>The pixel window of a tile, clipped to the raster.</summary>
    public PixelWindow TileWindow(int tileColumn, int tileRow)
    {
        if ((uint)tileColumn >= (uint)_across || (uint)tileRow >= (uint)_down)
            throw new ArgumentOutOfRangeException(nameof(tileColumn), $"Tile ({tileColumn},{tileRow}) is outside the {_across}×{_down} tile grid.");
        int ts = Options.TileSize;
        return new PixelWindow(tileColumn * ts, tileRow * ts, ts, ts).Intersect(new PixelWindow(0, 0, Options.Width, Options.Height));
    }

    private void WriteTileBand<T>(int tx, int ty, int band, ReadOnlySpan<T> samples, PixelWindow window, int ts, int es) where T : unmanaged
    {
        if (RasterDataTypes.Of<T>() != Options.DataType)
            throw new ArgumentException($"{Path} is {Options.DataType.Name()}; got {typeof(T).Name} samples.");
        WriteTileBandBytes(tx, ty, band, MemoryMarshal.AsBytes(samples), window, ts, es);
    }

    /// <summary>Each thread's stream for a tile's compressed bytes (<see cref="WriteTileBandBytes"/>), kept up to <see cref="MaxKeptStreamBytes"/>.</summary>
    [ThreadStatic] private static MemoryStream? t_compressed;

    /// <summary>The most bytes a thread's tile stream keeps between tiles (a 512² uint16 tile's, compressed or not).</summary>
    private const int MaxKeptStreamBytes = 1 << 20;

    private void WriteTileBandBytes(int tx, int ty, int band, ReadOnlySpan<byte> src, PixelWindow window, int ts, int es)
    {
        // A TIFF tile is always full size: pad the clipped edge tiles (with nodata, as GDAL does).
        byte[] full = ArrayPool<byte>.Shared.Rent(ts * ts * es);
        try
        {
            var tileBytes = full.AsSpan(0, ts * ts * es);
            if (window.Width != ts || window.Height != ts) Options.DataType.FillWith(tileBytes, Options.NoData);
            for (int r = 0; r < window.Height; r++)
                src.Slice(r * window.Width * es, window.Width * es).CopyTo(tileBytes.Slice(r * ts * es));

            // The thread's stream, reused tile after tile: a new one a tile was a fresh half-tile array (128 KiB for a 512²
            // byte tile, on the large-object heap), and its fresh pages cost more than the deflate of a mask tile.
            var compressed = t_compressed ??= new MemoryStream(ts * ts * es / 2 + 64);
            compressed.SetLength(0);
            using (var z = new ZLibStream(compressed, Level(Options.DeflateLevel), leaveOpen: true))
                z.Write(tileBytes);
            if (compressed.Capacity > MaxKeptStreamBytes) t_compressed = null;
            int index = (band * _down + ty) * _across + tx;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                TiffErrorCollector.Clear();
                int n = _tif.WriteRawTile(index, compressed.GetBuffer(), (int)compressed.Length);
                if (n < 0) throw new RasterFormatException(Path, $"writing tile {index} failed ({TiffErrorCollector.Take() ?? "disk full?"}).");
                _written[index] = true;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(full);
        }
    }

    private static CompressionLevel Level(int zlibLevel) => zlibLevel switch
    {
        <= 2 => CompressionLevel.Fastest,
        >= 8 => CompressionLevel.SmallestSize,
        _ => CompressionLevel.Optimal,
    };

    /// <summary>Fills tiles never written (with nodata, else zero), writes the directory and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
        }
        try
        {
            int ts = Options.TileSize, es = Options.DataType.SizeOf();
            int perBand = _across * _down;
            byte[]? fill = null;
            for (int i = 0; i < _written.Length; i++)
            {
                if (_written[i]) continue;
                if (fill is null)
                {
                    fill = new byte[ts * ts * es];
                    Options.DataType.FillWith(fill, Options.NoData);
                }
                int band = i / perBand, tx = i % perBand % _across, ty = i % perBand / _across;
                var w = TileWindow(tx, ty);
                WriteTileBandBytes(tx, ty, band, fill.AsSpan(0, (int)w.PixelCount * es), w, ts, es);
            }
        }
        finally
        {
            lock (_gate)
            {
                _disposed = true;
                _tif.Dispose();
            }
        }
    }
}
