using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using BitMiracle.LibTiff.Classic;
using ChangeDetection.Geo;
using Microsoft.Win32.SafeHandles;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>
/// Reads windows of GeoTIFF files the way GDAL writes them: striped or tiled, pixel- or
/// band-interleaved, uncompressed, DEFLATE, LZW or PackBits, predictors 2 and 3, BigTIFF and COGs
/// (the full-resolution image). A window read touches only the blocks (tiles or strips) that
/// overlap it, so memory does not depend on the file size.
/// </summary>
/// <remarks>
/// Thread-safe: any number of threads may call <see cref="Read{T}(PixelWindow, ReadOnlySpan{int}, Span{T})"/>
/// at once. Uncompressed and DEFLATE blocks are read with positional file reads and inflated with
/// <see cref="ZLibStream"/> (zlib-ng); the other codecs go through LibTiff.NET, with one handle per
/// concurrent reader taken from a pool, because a LibTiff handle is not thread-safe.
/// </remarks>
public sealed class GeoTiffReader : IDisposable
{
    /// <summary>A block larger than this is taken as a corrupt header, not allocated.</summary>
    internal const long MaxBlockBytes = 256L << 20;

    private readonly SafeFileHandle _file;
    private readonly long _fileLength;
    private readonly ConcurrentBag<Tiff> _handles = [];
    private readonly long[] _offsets;
    private readonly long[] _byteCounts;
    private readonly int _compression;
    private readonly int _sampleSize;
    private readonly int _samplesPerPixel;
    private readonly int _blocksAcross;
    private readonly int _blocksDown;
    private readonly bool _bigEndian;
    private readonly string? _unsupported;
    private int _disposed;
    private long _blocksDecoded;
    private long _blockPrefixesDecoded;
    private BlockCache? _cache;
    /// <summary>The first rows of blocks inflated alone, for the halos that reach into them (<see cref="DecodeBlock"/>); null while <see cref="_cache"/> holds the whole file.</summary>
    private BlockCache? _heads;
    /// <summary>The last rows of blocks decoded whole, for the halo of the window below (<see cref="DecodeBlock"/>); null while <see cref="_cache"/> holds the whole file.</summary>
    private BlockCache? _tails;
    /// <summary>
    /// Blocks a thread is decoding whole for <see cref="_cache"/> right now (<see cref="DecodeShared"/>); its monitor is pulsed
    /// when one is in the cache.
    /// </summary>
    private readonly HashSet<int> _decoding = [];

    /// <summary>
    /// The most rows of a block that a halo read takes from its first or last rows (<see cref="_heads"/>, <see cref="_tails"/>):
    /// the smoothing halo (at most 16 px, 4 by default: a wider read decodes the block whole, the same bytes); at most a
    /// quarter of the block, so that an edge is always a small part of the block it saves decoding. 16 rows of a 4-band
    /// row of 256² uint16 blocks across a 48 000-px scene fit the edge caches of the default 24 MiB block cache (6 MiB each).
    /// </summary>
    internal static int EdgeRows(int blockRows) => Math.Clamp(blockRows / 4, 1, 16);

    /// <summary>Opens <paramref name="path"/> and reads its header; pixels are read on demand.</summary>
    /// <exception cref="RasterFormatException">The file is missing, not a TIFF, or its header is broken.</exception>
    public static GeoTiffReader Open(string path) => new(path);

    /// <summary>
    /// As <see cref="Open(string)"/>, keeping up to <paramref name="blockCacheBytes"/> bytes of decoded blocks
    /// (least recently used out), so that overlapping window reads (tiles with a halo) decode each block once.
    /// </summary>
    public static GeoTiffReader Open(string path, long blockCacheBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blockCacheBytes);
        var reader = new GeoTiffReader(path);
        if (blockCacheBytes > 0) reader._cache = new BlockCache(blockCacheBytes);
        // A cache that holds the whole file never evicts, so every block is decoded once whatever the reads. A smaller one
        // loses a tile row's blocks before the tile row below reads its halo from them: then the halos are served from the
        // blocks' edge rows (a quarter of the cache each, 6 MiB of the default: a scene-wide row of 256² blocks' last 16 rows
        // is 2 MiB in a 16 384-px 4-band file), which keeps the memory flat in the scene size where caching whole block rows
        // would not. An edge cache touches only the memory of the edges it holds.
        if (blockCacheBytes > 0 && reader.FileBlockBytes > blockCacheBytes)
        {
            reader._heads = new BlockCache(blockCacheBytes / 4);
            reader._tails = new BlockCache(blockCacheBytes / 4);
        }
        return reader;
    }

    /// <summary>Reads only the header of <paramref name="path"/>.</summary>
    public static RasterInfo Describe(string path)
    {
        using var reader = new GeoTiffReader(path);
        return reader.Info;
    }

    private GeoTiffReader(string path)
    {
        GeoTiffTags.EnsureRegistered();
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new RasterFormatException(path, "is a directory, not a GeoTIFF file.");
        if (!File.Exists(full)) throw new RasterFormatException(path, "file not found.");

        try
        {
            _file = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RasterFormatException(path, $"cannot open the file: {e.Message}", e);
        }

        try
        {
            _fileLength = RandomAccess.GetLength(_file);
            Span<byte> header = stackalloc byte[8];
            int got = RandomAccess.Read(_file, header, 0);
            bool little = got >= 4 && header[0] == 'I' && header[1] == 'I';
            bool big = got >= 4 && header[0] == 'M' && header[1] == 'M';
            int magic = !(little || big) ? 0 : little ? header[2] | header[3] << 8 : header[2] << 8 | header[3];
            if (magic is not (42 or 43))
                throw new RasterFormatException(path, "is not a TIFF file (the first bytes are not a TIFF header). Check that the file is a GeoTIFF and was copied completely.");
            _bigEndian = big;
            bool bigTiff = magic == 43;
            TiffHeaderLimits.Check(path, _file, _fileLength, big, bigTiff);

            Tiff tif = OpenHandle(path, full);
            try
            {
                Info = ReadInfo(tif, path, bigTiff, out _offsets, out _byteCounts, out _compression, out _sampleSize, out _samplesPerPixel);
                _blocksAcross = (Info.Width + Info.BlockWidth - 1) / Info.BlockWidth;
                _blocksDown = (Info.Height + Info.BlockHeight - 1) / Info.BlockHeight;
                int planes = Info.Interleave == Interleave.Band ? Info.BandCount : 1;
                long expectedBlocks = (long)_blocksAcross * _blocksDown * planes;
                if (_offsets.Length < expectedBlocks || _byteCounts.Length < expectedBlocks)
                    throw new RasterFormatException(path, $"declares {expectedBlocks} {(Info.Tiled ? "tiles" : "strips")} but lists only {Math.Min(_offsets.Length, _byteCounts.Length)} block offsets; the file is corrupt.");
                _unsupported = _compression switch
                {
                    1 or 5 or 8 or 32773 or 32946 => null,
                    _ => $"uses {Info.Compression} compression, which this reader does not decode. Convert it first: gdal_translate -co COMPRESS=DEFLATE -co TILED=YES \"{path}\" out.tif",
                };
                _handles.Add(tif);
            }
            catch
            {
                tif.Dispose();
                throw;
            }
        }
        catch
        {
            _file.Dispose();
            throw;
        }
        Path = path;
    }

    /// <summary>
    /// Holds the blocks decoded from now on apart from the cache's order until called with false (<see cref="BlockCache.Holding"/>):
    /// for blocks read now and read again only after many others (the statistics sample, then the histogram pass).
    /// </summary>
    internal void HoldDecodedBlocks(bool hold)
    {
        if (_cache is not null) _cache.Holding = hold;
    }

    /// <summary>Lets go of the held blocks no read took (<see cref="HoldDecodedBlocks"/>).</summary>
    internal void ReleaseHeldBlocks() => _cache?.ReleaseHeld();

    /// <summary>Empties the block cache (<see cref="Open(string, long)"/>): when the reads that share blocks are over, its memory is not held on.</summary>
    public void ClearBlockCache()
    {
        _cache?.Clear();
        _heads?.Clear();
        _tails?.Clear();
    }

    /// <summary>Bytes of the file's blocks decoded (every plane): what a block cache must hold to never evict.</summary>
    private long FileBlockBytes
    {
        get
        {
            int planes = Info.Interleave == Interleave.Band ? Info.BandCount : 1;
            int samples = Info.Interleave == Interleave.Band ? 1 : _samplesPerPixel;
            return (long)_blocksAcross * _blocksDown * planes * Info.BlockWidth * Info.BlockHeight * samples * _sampleSize;
        }
    }

    /// <summary>The path as given to <see cref="Open(string)"/>.</summary>
    public string Path { get; }

    /// <summary>Size, type, georeferencing and layout of the file.</summary>
    public RasterInfo Info { get; }

    /// <summary>Blocks (tiles or strip planes) decoded so far: shows that a window read touches only what it overlaps.</summary>
    public long BlocksDecoded => Interlocked.Read(ref _blocksDecoded);

    /// <summary>
    /// Of <see cref="BlocksDecoded"/>, the blocks of which only the first rows were inflated, for a halo that reaches a few rows
    /// into them (a cache that cannot hold the file, <see cref="Open(string, long)"/>), or for a window that ends in the block's upper part (no cache).
    /// </summary>
    public long BlockPrefixesDecoded => Interlocked.Read(ref _blockPrefixesDecoded);

    private static Tiff OpenHandle(string path, string full)
    {
        TiffErrorCollector.Clear();
        Tiff? tif;
        try
        {
            tif = Tiff.Open(full, "r");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new RasterFormatException(path, $"the TIFF structure is broken ({e.Message}).", e);
        }
        string? errors = TiffErrorCollector.Take();
        if (tif is null)
            throw new RasterFormatException(path, $"the TIFF header or first directory cannot be read{(errors is null ? "" : $" ({errors})")}; the file is corrupt or truncated.");
        return tif;
    }

    private static RasterInfo ReadInfo(Tiff tif, string path, bool bigTiff, out long[] offsets, out long[] counts,
        out int compression, out int sampleSize, out int spp)
    {
        int width = tif.GetField(TiffTag.IMAGEWIDTH)?[0].ToInt() ?? 0;
        int height = tif.GetField(TiffTag.IMAGELENGTH)?[0].ToInt() ?? 0;
        if (width <= 0 || height <= 0)
            throw new RasterFormatException(path, $"declares an image of {width}×{height} pixels; the header is corrupt.");
        spp = tif.GetFieldDefaulted(TiffTag.SAMPLESPERPIXEL)?[0].ToInt() ?? 1;
        int bits = tif.GetFieldDefaulted(TiffTag.BITSPERSAMPLE)?[0].ToInt() ?? 1;
        int format = tif.GetFieldDefaulted(TiffTag.SAMPLEFORMAT)?[0].ToInt() ?? 1;
        compression = tif.GetFieldDefaulted(TiffTag.COMPRESSION)?[0].ToInt() ?? 1;
        int predictor = tif.GetField(TiffTag.PREDICTOR)?[0].ToInt() ?? 1;
        int planar = tif.GetFieldDefaulted(TiffTag.PLANARCONFIG)?[0].ToInt() ?? 1;
        if (spp is <= 0 or > 65535)
            throw new RasterFormatException(path, $"declares {spp} samples per pixel; the header is corrupt.");

        RasterDataType type = (format, bits) switch
        {
            (1, 8) => RasterDataType.UInt8,
            (2, 8) => RasterDataType.Int8,
            (1, 16) => RasterDataType.UInt16,
            (2, 16) => RasterDataType.Int16,
            (1, 32) => RasterDataType.UInt32,
            (2, 32) => RasterDataType.Int32,
            (1, 64) => RasterDataType.UInt64,
            (2, 64) => RasterDataType.Int64,
            (3, 32) => RasterDataType.Float32,
            (3, 64) => RasterDataType.Float64,
            _ => throw new RasterFormatException(path, $"has {bits}-bit samples of format {format}, which is not a supported raster type (8/16/32/64-bit integers, 32/64-bit floats)."),
        };
        sampleSize = type.SizeOf();

        bool tiled = tif.IsTiled();
        int bw, bh;
        if (tiled)
        {
            bw = tif.GetField(TiffTag.TILEWIDTH)?[0].ToInt() ?? 0;
            bh = tif.GetField(TiffTag.TILELENGTH)?[0].ToInt() ?? 0;
            if (bw <= 0 || bh <= 0)
                throw new RasterFormatException(path, $"declares tiles of {bw}×{bh} pixels; the header is corrupt.");
        }
        else
        {
            bw = width;
            long rps = tif.GetFieldDefaulted(TiffTag.ROWSPERSTRIP)?[0].ToLong() ?? height;
            bh = (int)Math.Clamp(rps <= 0 ? height : rps, 1, height);
        }
        long blockBytes = (long)bw * bh * sampleSize * (planar == 2 ? 1 : spp);
        if (blockBytes > MaxBlockBytes)
            throw new RasterFormatException(path, $"declares {(tiled ? "tiles" : "strips")} of {bw}×{bh} pixels × {(planar == 2 ? 1 : spp)} samples ({blockBytes / (1 << 20)} MiB each); refusing to allocate that much for one block. The header is corrupt, or the file must be re-tiled (gdal_translate -co TILED=YES).");

        offsets = ToLongs(tif.GetField(tiled ? TiffTag.TILEOFFSETS : TiffTag.STRIPOFFSETS));
        counts = ToLongs(tif.GetField(tiled ? TiffTag.TILEBYTECOUNTS : TiffTag.STRIPBYTECOUNTS));

        // Georeferencing.
        ushort[]? keyDir = tif.GetField(GeoTiffTags.GeoKeyDirectory)?.ElementAtOrDefault(1).ToUShortArray();
        double[]? keyDoubles = tif.GetField(GeoTiffTags.GeoDoubleParams)?.ElementAtOrDefault(1).ToDoubleArray();
        string? keyAscii = Ascii(tif.GetField(GeoTiffTags.GeoAsciiParams));
        var keys = keyDir is null ? [] : GeoKeys.Parse(keyDir, keyDoubles ?? [], keyAscii);
        bool pixelIsPoint = GeoKeys.Int(keys, GeoKeys.RasterType) == GeoKeys.RasterPixelIsPoint;
        double[]? scale = tif.GetField(GeoTiffTags.ModelPixelScale)?.ElementAtOrDefault(1).ToDoubleArray();
        double[]? ties = tif.GetField(GeoTiffTags.ModelTiepoint)?.ElementAtOrDefault(1).ToDoubleArray();
        double[]? matrix = tif.GetField(GeoTiffTags.ModelTransformation)?.ElementAtOrDefault(1).ToDoubleArray();
        GeoTransform? gt = GeoKeys.ToTransform(scale, ties, matrix, pixelIsPoint);
        Crs crs = GeoKeys.ToCrs(keys);

        string? gdalMetadata = Ascii(tif.GetField(GeoTiffTags.GdalMetadata));
        double? nodata = NoDataText.Parse(Ascii(tif.GetField(GeoTiffTags.GdalNoData)));

        return new RasterInfo
        {
            Path = path,
            Width = width,
            Height = height,
            BandCount = spp,
            DataType = type,
            Transform = gt ?? GeoTransform.Identity,
            Crs = crs,
            IsGeoreferenced = gt is not null,
            NoData = nodata,
            BandNames = GeoKeys.BandDescriptions(gdalMetadata, spp),
            Compression = CompressionName(compression),
            Predictor = predictor,
            Tiled = tiled,
            BigTiff = bigTiff,
            Interleave = planar == 2 && spp > 1 ? Interleave.Band : Interleave.Pixel,
            BlockWidth = bw,
            BlockHeight = bh,
            PixelIsPoint = pixelIsPoint,
        };
    }

    private static string? Ascii(FieldValue[]? field)
    {
        if (field is null || field.Length == 0) return null;
        object? v = field[^1].Value;
        return v switch
        {
            string s => s.TrimEnd('\0'),
            byte[] b => Encoding.UTF8.GetString(b).TrimEnd('\0'),
            _ => field[^1].ToString()?.TrimEnd('\0'),
        };
    }

    private static long[] ToLongs(FieldValue[]? field)
    {
        if (field is null || field.Length == 0) return [];
        return field[0].Value switch
        {
            ulong[] u => Array.ConvertAll(u, x => x > long.MaxValue ? long.MaxValue : (long)x),
            long[] l => l,
            uint[] u => Array.ConvertAll(u, x => (long)x),
            int[] i => Array.ConvertAll(i, x => (long)(uint)x),
            ushort[] s => Array.ConvertAll(s, x => (long)x),
            _ => field[0].TolongArray() ?? [],
        };
    }

    internal static string CompressionName(int code) => code switch
    {
        1 => "NONE",
        5 => "LZW",
        6 or 7 => "JPEG",
        8 or 32946 => "DEFLATE",
        32773 => "PACKBITS",
        34887 => "LERC",
        34925 => "LZMA",
        50000 => "ZSTD",
        50001 => "WEBP",
        50002 or 52546 => "JXL",
        2 or 3 or 4 => "CCITT",
        _ => $"code {code}",
    };

    /// <summary>Reads a window of all bands into <paramref name="destination"/>, band after band (band-sequential, row-major).</summary>
    public void Read<T>(PixelWindow window, Span<T> destination) where T : unmanaged
    {
        Span<int> all = Info.BandCount <= 64 ? stackalloc int[Info.BandCount] : new int[Info.BandCount];
        for (int i = 0; i < all.Length; i++) all[i] = i;
        Read(window, all, destination);
    }

    /// <summary>
    /// Reads a window of the given bands (0-based) into <paramref name="destination"/>: band after
    /// band in the order given, each <c>window.Width × window.Height</c> samples, row-major.
    /// <typeparamref name="T"/> must be the file's sample type (see <see cref="RasterInfo.DataType"/>).
    /// </summary>
    /// <exception cref="RasterFormatException">A block of the file is truncated or corrupt.</exception>
    public void Read<T>(PixelWindow window, ReadOnlySpan<int> bands, Span<T> destination) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (RasterDataTypes.Of<T>() != Info.DataType)
            throw new ArgumentException($"{Path} holds {Info.DataType.Name()} samples; read it into a buffer of that type, not {typeof(T).Name}.", nameof(destination));
        if (window.IsEmpty || !Info.Bounds.Contains(window))
            throw new ArgumentOutOfRangeException(nameof(window), $"Window {window} is empty or outside the {Info.Width}×{Info.Height} image {Path}.");
        foreach (int b in bands)
            if ((uint)b >= (uint)Info.BandCount)
                throw new ArgumentOutOfRangeException(nameof(bands), $"Band index {b} is outside 0..{Info.BandCount - 1} of {Path}.");
        long need = window.PixelCount * bands.Length;
        if (destination.Length < need)
            throw new ArgumentException($"The destination holds {destination.Length} samples; the window needs {need}.", nameof(destination));
        if (_unsupported is not null) throw new RasterFormatException(Path, _unsupported);

        Span<byte> dest = MemoryMarshal.AsBytes(destination);
        int bw = Info.BlockWidth, bh = Info.BlockHeight;
        bool bandPlanes = Info.Interleave == Interleave.Band;
        int samplesInBlock = bandPlanes ? 1 : _samplesPerPixel;
        int rowBytes = bw * samplesInBlock * _sampleSize;
        byte[] block = ArrayPool<byte>.Shared.Rent(checked(rowBytes * bh));
        try
        {
            for (int by = window.Y / bh; by <= (window.Bottom - 1) / bh; by++)
            {
                int firstColumn = window.X / bw, lastColumn = (window.Right - 1) / bw;
                for (int bx = firstColumn; bx <= lastColumn; bx++)
                {
                    // A window's neighbours to the left and right (tiles with a halo narrower than a block) overlap it only
                    // in its two outer block columns on each side: when the cache cannot hold the file, the columns within
                    // are not kept, so the cache's memory holds the blocks that are read again, not those of the window's middle.
                    bool keep = _heads is null || bx < firstColumn + 2 || bx > lastColumn - 2;
                    var blockWindow = new PixelWindow(bx * bw, by * bh, bw, bh);
                    var part = blockWindow.Intersect(window);
                    int rows = Math.Min(bh, Info.Height - by * bh);
                    int needed = part.Bottom - blockWindow.Y;
                    // The window goes on a few rows into the block row below: it is a tile read with a halo, and the tile
                    // below will read this block's last rows as its own halo.
                    int below = window.Bottom - blockWindow.Bottom;
                    // The read below is a tile's with the same halo: it wants as many of this block's last rows as this read
                    // takes of the block row below (all the edge rows when this read ends on the block's edge).
                    int tailWanted = below >= 0 && below <= EdgeRows(bh) ? (below > 0 ? below : EdgeRows(bh)) : 0;
                    // The window comes from the block row above: if it needs only this block's first rows, it is a tile's
                    // bottom halo, whose tile below decodes the block whole later. (A small window inside the block, a
                    // patch's, decodes it whole for the cache: the patches beside it read the same block.)
                    bool fromAbove = window.Y < blockWindow.Y;
                    if (bandPlanes)
                    {
                        for (int k = 0; k < bands.Length; k++)
                        {
                            DecodeBlock(BlockIndex(bx, by, bands[k]), rows, rowBytes, block, part.Y - blockWindow.Y, needed, tailWanted, fromAbove, keep);
                            CopyOut(block, rowBytes, 1, 0, blockWindow, part, window, dest, k);
                        }
                    }
                    else
                    {
                        DecodeBlock(BlockIndex(bx, by, 0), rows, rowBytes, block, part.Y - blockWindow.Y, needed, tailWanted, fromAbove, keep);
                        for (int k = 0; k < bands.Length; k++)
                            CopyOut(block, rowBytes, samplesInBlock, bands[k], blockWindow, part, window, dest, k);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Reads one whole band; for small rasters and tests (memory grows with the image).</summary>
    public T[] ReadBand<T>(int band) where T : unmanaged
    {
        var result = new T[Info.Bounds.PixelCount];
        Read(Info.Bounds, [band], result.AsSpan());
        return result;
    }

    private int BlockIndex(int bx, int by, int plane) => (plane * _blocksDown + by) * _blocksAcross + bx;

    private void CopyOut(byte[] block, int rowBytes, int samplesInBlock, int sample, PixelWindow blockWindow,
        PixelWindow part, PixelWindow window, Span<byte> dest, int destBand)
    {
        int es = _sampleSize;
        long bandOffset = (long)destBand * window.Width * window.Height * es;
        for (int row = part.Y; row < part.Bottom; row++)
        {
            var src = block.AsSpan((row - blockWindow.Y) * rowBytes);
            var dst = dest.Slice((int)(bandOffset + ((long)(row - window.Y) * window.Width + (part.X - window.X)) * es), part.Width * es);
            int firstSample = (part.X - blockWindow.X) * samplesInBlock + sample;
            if (samplesInBlock == 1)
            {
                src.Slice(firstSample * es, part.Width * es).CopyTo(dst);
                continue;
            }
            switch (es)
            {
                case 1: Gather(src, dst, firstSample, samplesInBlock); break;
                case 2: Gather(MemoryMarshal.Cast<byte, ushort>(src), MemoryMarshal.Cast<byte, ushort>(dst), firstSample, samplesInBlock); break;
                case 4: Gather(MemoryMarshal.Cast<byte, uint>(src), MemoryMarshal.Cast<byte, uint>(dst), firstSample, samplesInBlock); break;
                default: Gather(MemoryMarshal.Cast<byte, ulong>(src), MemoryMarshal.Cast<byte, ulong>(dst), firstSample, samplesInBlock); break;
            }
        }
    }

    private static void Gather<TS>(ReadOnlySpan<TS> src, Span<TS> dst, int first, int stride) where TS : unmanaged
    {
        for (int i = 0, s = first; i < dst.Length; i++, s += stride) dst[i] = src[s];
    }

    /// <summary>
    /// Block <paramref name="index"/> (its first <paramref name="rows"/> rows) into <paramref name="buffer"/>: from the cache,
    /// else decoded. Only rows <paramref name="fromRow"/> .. <paramref name="toRow"/> − 1 are needed: a cached block copies
    /// just those; without a cache only the first <paramref name="toRow"/> rows are decoded (a DEFLATE stream is inflated
    /// from the top, and a window that ends in the block's upper part, a chip or a sample window, need not inflate the rest).
    /// With a cache the whole block is decoded, since it is kept for reads of its other rows, except when the cache cannot
    /// hold the file and only the block's first or last few rows are needed by a window that reaches into it from above or
    /// below (a tile's halo): see <see cref="DecodeEdge"/>.
    /// <paramref name="tailWanted"/>: the read goes on just below this block, so the next read down will want this many of
    /// its last rows (0: none).
    /// <paramref name="fromAbove"/>: the read starts in the block row above.
    /// <paramref name="keep"/>: a block decoded whole goes into the cache (else only its last rows, when wanted).
    /// </summary>
    private void DecodeBlock(int index, int rows, int rowBytes, byte[] buffer, int fromRow, int toRow, int tailWanted, bool fromAbove, bool keep)
    {
        var into = buffer.AsSpan(0, rows * rowBytes);
        if (_cache is null)
        {
            int decoded = CanDecodePrefix ? Math.Clamp(toRow, 1, rows) : rows;
            if (decoded < rows) Interlocked.Increment(ref _blockPrefixesDecoded);
            Decode(index, rows, decoded, rowBytes, buffer);
            return;
        }
        if (_cache.TryCopy(index, into.Length, fromRow * rowBytes, into[(fromRow * rowBytes)..(toRow * rowBytes)])) return;
        if (DecodeEdge(index, rows, rowBytes, buffer, fromRow, toRow, fromAbove)) return;
        DecodeShared(index, rows, rowBytes, buffer, keep);
        if (_tails is not null && tailWanted > 0)
        {
            // Only the rows the read below wants: the edge cache then holds (and its memory touches) no more than that.
            int tail = Math.Min(rows, tailWanted);
            _tails.Add(index, into[((rows - tail) * rowBytes)..]);
        }
    }

    /// <summary>
    /// Decodes block <paramref name="index"/> whole into <paramref name="buffer"/> (and into the cache when <paramref name="keep"/>),
    /// unless another thread is decoding it for the cache at this moment: then this one waits for it and copies the block from
    /// the cache (whole: its last rows may be wanted for the edge cache). Two tiles side by side run at once on two workers and both read the block columns where
    /// their halos overlap, as neighbouring chips read their shared blocks: each decoded the same blocks at the same time
    /// (at 8192², 250–370 of the histogram pass's ~8 200 inflations, varying with the timing; ~80 of the chips' 1 630), where
    /// one waits now for the other's ~0.4 ms. The bytes copied are those of a decode here, so every read is the same.
    /// </summary>
    private void DecodeShared(int index, int rows, int rowBytes, byte[] buffer, bool keep)
    {
        var into = buffer.AsSpan(0, rows * rowBytes);
        while (true)
        {
            lock (_decoding)
            {
                if (!_decoding.Contains(index))
                {
                    // Only a decode that goes into the cache is announced: a waiter takes the block from there.
                    if (keep) _decoding.Add(index);
                    break;
                }
                while (_decoding.Contains(index)) Monitor.Wait(_decoding);
            }
            // The other decode is in the cache now, unless it was evicted already: then decode it here after all.
            if (_cache!.TryCopy(index, into)) return;
        }
        if (!keep)
        {
            Decode(index, rows, rows, rowBytes, buffer);
            return;
        }
        try
        {
            // The cache missed before the claim; a decode that finished between the two is in it now.
            if (_cache!.TryCopy(index, into)) return;
            Decode(index, rows, rows, rowBytes, buffer);
            _cache.Add(index, into);
        }
        finally
        {
            lock (_decoding)
            {
                _decoding.Remove(index);
                Monitor.PulseAll(_decoding);
            }
        }
    }

    /// <summary>
    /// Serves a read of only the first or last rows of a block without decoding it whole, when the block cache cannot hold
    /// the file. Tiles run a row of tiles at a time, so by the time the tile below a block reads it again the block has
    /// left the cache: the tile below needs only the block's last rows (its top halo), kept in <see cref="_tails"/> when the
    /// block was decoded; the tile above needs only its first rows (its bottom halo), inflated alone (a DEFLATE stream is
    /// inflated from its start: a few rows cost a few rows' work) and kept in <see cref="_heads"/> for the tiles beside it,
    /// whose halos reach the same rows. The bytes are those a whole decode gives, so every read is the same.
    /// </summary>
    private bool DecodeEdge(int index, int rows, int rowBytes, byte[] buffer, int fromRow, int toRow, bool fromAbove)
    {
        if (_heads is null || _tails is null) return false;
        int edge = Math.Min(rows, EdgeRows(Info.BlockHeight));
        var need = buffer.AsSpan(fromRow * rowBytes, (toRow - fromRow) * rowBytes);
        if (_tails.TryCopyFromEnd(index, (rows - fromRow) * rowBytes, need)) return true;
        if (_heads.TryCopyWithin(index, fromRow * rowBytes, need)) return true;
        if (!fromAbove || toRow > edge || toRow >= rows || !CanDecodePrefix) return false;
        Interlocked.Increment(ref _blockPrefixesDecoded);
        Decode(index, rows, toRow, rowBytes, buffer);
        _heads.Add(index, buffer.AsSpan(0, toRow * rowBytes));
        return true;
    }

    /// <summary>Whether <see cref="Decode"/> can decode only a block's first rows (uncompressed and little-endian DEFLATE blocks).</summary>
    private bool CanDecodePrefix => _compression is 1 or 8 or 32946 && !_bigEndian;

    /// <summary>Decodes the first <paramref name="decoded"/> of the block's <paramref name="rows"/> rows (all of them but for uncompressed and DEFLATE blocks).</summary>
    private void Decode(int index, int rows, int decoded, int rowBytes, byte[] buffer)
    {
        int expected = decoded * rowBytes;
        Interlocked.Increment(ref _blocksDecoded);
        long offset = _offsets[index], count = _byteCounts[index];
        string what = Info.Tiled ? $"tile {index}" : $"strip {index}";
        if (count == 0 || offset == 0)
        {
            // Sparse block (GDAL's SPARSE_OK): it holds nodata, or zero without nodata.
            Info.DataType.FillWith(buffer.AsSpan(0, expected), Info.NoData);
            return;
        }
        if (offset < 0 || count < 0 || offset > _fileLength || count > _fileLength - offset)
            throw new RasterFormatException(Path, $"{what} lies at bytes {offset}..{offset + count} but the file has only {_fileLength} bytes: the file is truncated. Copy or download it again.");

        if (_compression == 1 && !_bigEndian)
        {
            if (count < expected)
                throw new RasterFormatException(Path, $"{what} holds {count} bytes but {expected} are needed: the file is corrupt.");
            ReadExactly(offset, buffer.AsSpan(0, expected), what);
            return;
        }
        if (_compression is 8 or 32946 && !_bigEndian)
        {
            // A whole block may go to libdeflate, which inflates the whole stream: the buffer holds a whole block
            // (an edge tile's stream holds all its rows, more than the rows inside the image).
            InflateBlock(offset, (int)count, buffer.AsSpan(0, expected), decoded == rows ? buffer : null, what);
            ApplyPredictor(buffer.AsSpan(0, expected), decoded, rowBytes);
            return;
        }
        DecodeWithLibTiff(index, rows * rowBytes, buffer, what);
    }

    private void ReadExactly(long offset, Span<byte> into, string what)
    {
        int done = 0;
        while (done < into.Length)
        {
            int n = RandomAccess.Read(_file, into[done..], offset + done);
            if (n <= 0)
                throw new RasterFormatException(Path, $"{what} ends early at byte {offset + done}: the file is truncated.");
            done += n;
        }
    }

    /// <summary>
    /// Inflates the block at <paramref name="offset"/> into <paramref name="into"/>; with <paramref name="whole"/> (a
    /// buffer that holds the whole stream's output, <paramref name="into"/> its start) through <see cref="LibDeflate"/>
    /// when it can, else, or when it refuses the stream, with <see cref="ZLibStream"/>, which stops after
    /// <paramref name="into"/>.Length bytes and says what is wrong with a corrupt stream.
    /// </summary>
    private void InflateBlock(long offset, int count, Span<byte> into, byte[]? whole, string what)
    {
        byte[] compressed = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            ReadExactly(offset, compressed.AsSpan(0, count), what);
            if (whole is not null && LibDeflate.TryInflate(compressed.AsSpan(0, count), whole) >= into.Length) return;
            int got;
            try
            {
                using var input = new MemoryStream(compressed, 0, count, writable: false);
                using var z = new ZLibStream(input, CompressionMode.Decompress);
                got = z.ReadAtLeast(into, into.Length, throwOnEndOfStream: false);
            }
            catch (InvalidDataException e)
            {
                throw new RasterFormatException(Path, $"{what} is corrupt: its DEFLATE data cannot be decompressed ({e.Message}). Re-export or download the file again.", e);
            }
            if (got < into.Length)
                throw new RasterFormatException(Path, $"{what} is corrupt: it decompresses to {got} bytes instead of {into.Length}.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed);
        }
    }

    private void ApplyPredictor(Span<byte> block, int rows, int rowBytes)
    {
        int stride = Info.Interleave == Interleave.Band ? 1 : _samplesPerPixel;
        switch (Info.Predictor)
        {
            case 2:
                for (int r = 0; r < rows; r++)
                    Predictors.UndoHorizontal(block.Slice(r * rowBytes, rowBytes), _sampleSize, stride);
                break;
            case 3:
                byte[] scratch = ArrayPool<byte>.Shared.Rent(rowBytes);
                try
                {
                    for (int r = 0; r < rows; r++)
                        Predictors.UndoFloatingPoint(block.Slice(r * rowBytes, rowBytes), _sampleSize, stride, scratch);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                }
                break;
        }
    }

    private void DecodeWithLibTiff(int index, int expected, byte[] buffer, string what)
    {
        if (!_handles.TryTake(out Tiff? tif))
            tif = OpenHandle(Path, System.IO.Path.GetFullPath(Path));
        bool healthy = false;
        try
        {
            TiffErrorCollector.Clear();
            int n;
            try
            {
                n = Info.Tiled ? tif.ReadEncodedTile(index, buffer, 0, expected) : tif.ReadEncodedStrip(index, buffer, 0, expected);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new RasterFormatException(Path, $"{what} is corrupt: {Info.Compression} decoding failed ({e.Message}).", e);
            }
            string? errors = TiffErrorCollector.Take();
            if (n < 0 || errors is not null)
                throw new RasterFormatException(Path, $"{what} is corrupt: {Info.Compression} decoding failed{(errors is null ? "" : $" ({errors})")}.");
            if (n < expected)
                throw new RasterFormatException(Path, $"{what} is corrupt: it decodes to {n} bytes instead of {expected}.");
            healthy = true;
        }
        finally
        {
            // A handle that hit an error may hold half-decoded state: drop it.
            if (healthy) _handles.Add(tif);
            else tif.Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        while (_handles.TryTake(out var t)) t.Dispose();
        _file.Dispose();
    }
}
