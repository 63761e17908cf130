using System.Buffers;
using System.Numerics;
using ChangeDetection.Geo;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Raster;

/// <summary>How the after image is brought onto the before image's grid when the grids differ.</summary>
public enum Resampling { Nearest, Bilinear }

/// <summary>Options for <see cref="ScenePair"/>.</summary>
public sealed record ScenePairOptions
{
    /// <summary>
    /// Explicit band numbers (1-based, as in the region config's <c>bands</c>), applied to both
    /// dates. Without it, bands are matched by their descriptions, else by the 4-band
    /// (blue, green, red, nir) or 3-band (red, green, blue) convention.
    /// </summary>
    public IReadOnlyDictionary<SpectralBand, int>? BandNumbers { get; init; }

    public Resampling Resampling { get; init; } = Resampling.Bilinear;

    /// <summary>
    /// Bytes of decoded blocks kept per date (<see cref="GeoTiffReader.Open(string, long)"/>), so that a tile's
    /// halo, which overlaps its neighbours' blocks, is not inflated again. 0: no cache.
    /// </summary>
    /// <remarks>
    /// The default, 24 MiB, holds the outer block columns (what the tiles beside read again) of the last few 1024-px tiles
    /// of 256² 4-band uint16 blocks whatever the scene's width; the tile rows above and below share only blocks' edge rows,
    /// kept apart. Measured at 8192² (2 workers): 48 MiB decoded 11 412 blocks, 24 MiB 11 518 (+0.9 %), 16 MiB 12 414; every
    /// megabyte of cache is a megabyte of pages touched for the first time, which costs more here than the blocks saved.
    /// </remarks>
    public long BlockCacheBytes { get; init; } = DefaultBlockCacheBytes;

    /// <summary>The default of <see cref="BlockCacheBytes"/>, bytes.</summary>
    public const long DefaultBlockCacheBytes = 24L << 20;

    /// <summary>
    /// Bands held in files of their own, one per date (e.g. Sentinel-2's 20 m bands next to the 10 m stack), added to the
    /// pair's bands: each is resampled onto the pair grid through the two grids' geotransforms (<see cref="Resampling"/>,
    /// bilinear by default: a 20 m band read at 10 m is then smooth, not 2 × 2 blocks whose edges would read as texture),
    /// the after file with the after image's shift. A band the images already hold is read from the images.
    /// Empty by default: the pair holds the images' bands only.
    /// </summary>
    public IReadOnlyList<BandFiles> ExtraBands { get; init; } = [];
}

/// <summary>
/// A before and an after image on one grid: the before image's grid, cut to the area both cover.
/// When the after grid differs (pixel size or origin), the after image is resampled onto the
/// before grid window by window; nothing is held whole. Samples come out as uint16 digital numbers
/// (uint8 imagery is widened) with a validity mask: nodata in either date, and pixels outside
/// either footprint, are never valid.
/// </summary>
public sealed class ScenePair : IDisposable
{
    private readonly GeoTiffReader _before;
    private readonly GeoTiffReader _after;
    private readonly int[] _beforeBands;
    private readonly int[] _afterBands;
    /// <summary>Where each of the images' bands goes in <see cref="Bands"/>.</summary>
    private readonly int[] _imageSlots;
    /// <summary>0 .. Bands.Count − 1: what <see cref="Read"/> asks <see cref="ReadBands"/> for.</summary>
    private readonly int[] _allBands;
    /// <summary>The bands read from files of their own: where each goes in <see cref="Bands"/>, and its two files.</summary>
    private readonly List<(int Slot, GeoTiffReader Before, GeoTiffReader After)> _extras = [];
    private readonly double _u0;
    private readonly double _v0;
    private readonly bool _sameScale;
    private int _afterDx;
    private int _afterDy;

    private ScenePair(GeoTiffReader before, GeoTiffReader after, ScenePairOptions options)
    {
        _before = before;
        _after = after;
        Options = options;
        var b = before.Info;
        var a = after.Info;
        string pair = $"{before.Path} (before) and {after.Path} (after)";

        foreach (var (info, role) in new[] { (b, "before"), (a, "after") })
        {
            if (!info.IsGeoreferenced)
                throw new ChangeDetectionException($"{info.Path} ({role}) has no georeferencing; two dates cannot be aligned without a grid. Assign one first (gdal_edit.py -a_srs EPSG:XXXX -a_ullr …).");
            if (!info.Transform.IsNorthUp)
                throw new ChangeDetectionException($"{info.Path} ({role}) is rotated; only north-up rasters are supported. Warp it first (gdalwarp).");
            if (info.DataType is not (RasterDataType.UInt8 or RasterDataType.UInt16 or RasterDataType.Int16))
                throw new ChangeDetectionException($"{info.Path} ({role}) holds {info.DataType.Name()} samples; change detection reads 8- or 16-bit digital numbers.");
        }
        if (!b.Crs.IsSameAs(a.Crs))
            throw new ChangeDetectionException($"{pair} are in different CRSs ({b.Crs} vs {a.Crs}); reproject the after image onto the before CRS first (gdalwarp -t_srs {b.Crs}).");

        var (imageBands, beforeBands, afterBands) = MatchBands(before, after, options.BandNumbers);
        _beforeBands = beforeBands;
        _afterBands = afterBands;
        var extra = options.ExtraBands.Where(e => !imageBands.Contains(e.Band)).GroupBy(e => e.Band).Select(g => g.First()).ToList();
        Bands = [.. Enum.GetValues<SpectralBand>().Where(s => imageBands.Contains(s) || extra.Any(e => e.Band == s))];
        _imageSlots = [.. imageBands.Select(s => Bands.ToList().IndexOf(s))];
        _allBands = [.. Enumerable.Range(0, Bands.Count)];

        // Columns/rows of the before grid whose pixel centres fall inside the after footprint.
        var (c0, c1) = Overlap(b.Transform.OriginX, b.Transform.PixelWidth, b.Width, a.Transform.OriginX, a.Transform.PixelWidth, a.Width);
        var (r0, r1) = Overlap(b.Transform.OriginY, b.Transform.PixelHeight, b.Height, a.Transform.OriginY, a.Transform.PixelHeight, a.Height);
        if (c1 <= c0 || r1 <= r0)
            throw new ChangeDetectionException($"{pair} do not overlap: the after footprint covers none of the before image's pixels.");
        BeforeWindow = new PixelWindow(c0, r0, c1 - c0, r1 - r0);
        var (ox, oy) = b.Transform.PixelToMap(c0, r0);
        Grid = new GeoGrid(BeforeWindow.Width, BeforeWindow.Height, b.Transform with { OriginX = ox, OriginY = oy }, b.Crs);

        double scaleX = b.Transform.PixelWidth / a.Transform.PixelWidth, scaleY = b.Transform.PixelHeight / a.Transform.PixelHeight;
        double u0 = (ox - a.Transform.OriginX) / a.Transform.PixelWidth, v0 = (oy - a.Transform.OriginY) / a.Transform.PixelHeight;
        _sameScale = Math.Abs(scaleX - 1) < 1e-9 && Math.Abs(scaleY - 1) < 1e-9;
        _u0 = u0;
        _v0 = v0;
        ShiftAfter(0, 0);
        // A band file holds one band where an image holds several, and a 20 m band a quarter of the pixels: an eighth of the
        // images' block cache covers as much ground.
        long bandFileCache = options.BlockCacheBytes / 8;
        try
        {
            foreach (var e in extra)
            {
                GeoTiffReader? eb = null, ea = null;
                try
                {
                    // Ownership passes to _extras (disposed by Dispose, or below when the pair cannot be made).
#pragma warning disable CA2000
                    eb = OpenBandFile(e.Before, e.Band, "before", b.Crs, bandFileCache);
                    ea = OpenBandFile(e.After, e.Band, "after", b.Crs, bandFileCache);
#pragma warning restore CA2000
                    _extras.Add((Bands.ToList().IndexOf(e.Band), eb, ea));
                    eb = ea = null; // owned by the pair now
                }
                finally
                {
                    eb?.Dispose();
                    ea?.Dispose();
                }
            }
        }
        catch
        {
            DisposeExtras();
            throw;
        }
    }

    /// <summary>Opens one band file and checks that it can be resampled onto the pair grid (georeferenced, north-up, the pair's CRS, 8/16-bit, overlapping).</summary>
    private GeoTiffReader OpenBandFile(string path, SpectralBand band, string role, Crs crs, long cacheBytes)
    {
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path} ({band.Name()}, {role}): band file not found.");
        var reader = GeoTiffReader.Open(path, cacheBytes);
        try
        {
            var info = reader.Info;
            string what = $"{path} ({band.Name()}, {role})";
            if (!info.IsGeoreferenced || !info.Transform.IsNorthUp)
                throw new ChangeDetectionException($"{what} has no north-up georeferencing; a band file is placed on the pair grid by its geotransform.");
            if (!info.Crs.IsSameAs(crs))
                throw new ChangeDetectionException($"{what} is in {info.Crs}, the pair in {crs}; reproject it first (gdalwarp -t_srs {crs}).");
            if (info.DataType is not (RasterDataType.UInt8 or RasterDataType.UInt16 or RasterDataType.Int16))
                throw new ChangeDetectionException($"{what} holds {info.DataType.Name()} samples; change detection reads 8- or 16-bit digital numbers.");
            var g = Grid.Transform;
            var (c0, c1) = Overlap(g.OriginX, g.PixelWidth, Grid.Width, info.Transform.OriginX, info.Transform.PixelWidth, info.Width);
            var (r0, r1) = Overlap(g.OriginY, g.PixelHeight, Grid.Height, info.Transform.OriginY, info.Transform.PixelHeight, info.Height);
            if (c1 <= c0 || r1 <= r0)
                throw new ChangeDetectionException($"{what} does not overlap the pair grid.");
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The shift (before-grid pixels) applied to the after image when it is read: the after sample
    /// of pixel (x, y) is taken at (x + <see cref="AfterShiftX"/>, y + <see cref="AfterShiftY"/>),
    /// i.e. where co-registration found the after image's content (see <see cref="Registration.ShiftEstimate"/>).
    /// </summary>
    public double AfterShiftX { get; private set; }

    /// <inheritdoc cref="AfterShiftX"/>
    public double AfterShiftY { get; private set; }

    /// <summary>
    /// Reads the after image shifted by (<paramref name="dx"/>, <paramref name="dy"/>) before-grid pixels
    /// from now on (bilinear resampling unless the shift lands on whole pixels of the same grid). Call it
    /// before the tile passes start, never during them: reads on other threads see either shift.
    /// </summary>
    public void ShiftAfter(double dx, double dy)
    {
        if (!double.IsFinite(dx) || !double.IsFinite(dy))
            throw new ArgumentOutOfRangeException(nameof(dx), $"The after shift ({dx}, {dy}) must be finite.");
        var b = _before.Info.Transform;
        var a = _after.Info.Transform;
        double u = _u0 + dx * b.PixelWidth / a.PixelWidth, v = _v0 + dy * b.PixelHeight / a.PixelHeight;
        bool integral = Math.Abs(u - Math.Round(u)) < 1e-6 && Math.Abs(v - Math.Round(v)) < 1e-6;
        AfterShiftX = dx;
        AfterShiftY = dy;
        AfterResampled = !(_sameScale && integral);
        _afterDx = (int)Math.Round(u);
        _afterDy = (int)Math.Round(v);
    }

    /// <summary>Opens both files and aligns them.</summary>
    /// <exception cref="ChangeDetectionException">Unreadable file, no georeferencing, different CRSs, no overlap, or no common bands.</exception>
    public static ScenePair Open(string beforePath, string afterPath, ScenePairOptions? options = null)
    {
        options ??= new ScenePairOptions();
        var before = GeoTiffReader.Open(beforePath, options.BlockCacheBytes);
        GeoTiffReader? after = null;
        try
        {
            after = GeoTiffReader.Open(afterPath, options.BlockCacheBytes);
            return new ScenePair(before, after, options);
        }
        catch
        {
            before.Dispose();
            after?.Dispose();
            throw;
        }
    }

    public ScenePairOptions Options { get; }

    /// <summary>The common grid: the before grid cut to the overlap. All windows passed to <see cref="Read"/> are on it.</summary>
    public GeoGrid Grid { get; }

    /// <summary>Where <see cref="Grid"/> lies in the before image, in its pixels.</summary>
    public PixelWindow BeforeWindow { get; }

    /// <summary>True when the after image is resampled (its grid differs from the before grid).</summary>
    public bool AfterResampled { get; private set; }

    /// <summary>
    /// The bands both dates share (those of both images, and the <see cref="ScenePairOptions.ExtraBands"/>), in canonical
    /// order; <see cref="Read"/> returns them in this order.
    /// </summary>
    public IReadOnlyList<SpectralBand> Bands { get; }

    public RasterInfo BeforeInfo => _before.Info;

    /// <summary>
    /// Holds the blocks both dates decode from now on until called with false, then lets the first read of each move it into
    /// the block cache (<see cref="GeoTiffReader.HoldDecodedBlocks"/>): the statistics pass's sample, kept for the histogram pass.
    /// </summary>
    internal void HoldDecodedBlocks(bool hold)
    {
        foreach (var reader in Readers()) reader.HoldDecodedBlocks(hold);
    }

    /// <summary>Lets go of the held blocks no read took (<see cref="HoldDecodedBlocks"/>), e.g. once the histogram pass is over.</summary>
    internal void ReleaseHeldBlocks()
    {
        foreach (var reader in Readers()) reader.ReleaseHeldBlocks();
    }

    /// <summary>Empties both dates' block caches (<see cref="ScenePairOptions.BlockCacheBytes"/>), e.g. once the tile passes are over.</summary>
    public void ClearBlockCaches()
    {
        foreach (var reader in Readers()) reader.ClearBlockCache();
    }

    /// <summary>Every file's reader: both dates', then the extra bands' files.</summary>
    private IEnumerable<GeoTiffReader> Readers()
    {
        yield return _before;
        yield return _after;
        foreach (var (_, b, a) in _extras)
        {
            yield return b;
            yield return a;
        }
    }

    /// <summary>Blocks of every file decoded so far (not those copied from the block cache).</summary>
    public long BlocksDecoded => _before.BlocksDecoded + _after.BlocksDecoded + _extras.Sum(e => e.Before.BlocksDecoded + e.After.BlocksDecoded);

    /// <summary>Of <see cref="BlocksDecoded"/>, the blocks of which only the first rows were inflated (<see cref="GeoTiffReader.BlockPrefixesDecoded"/>).</summary>
    public long BlockPrefixesDecoded => _before.BlockPrefixesDecoded + _after.BlockPrefixesDecoded + _extras.Sum(e => e.Before.BlockPrefixesDecoded + e.After.BlockPrefixesDecoded);
    public RasterInfo AfterInfo => _after.Info;

    /// <summary>
    /// Reads a window of the common grid: <paramref name="before"/> and <paramref name="after"/>
    /// band-sequential (<see cref="Bands"/> order, row-major, window-sized), and
    /// <paramref name="valid"/> 1 where both dates hold data, 0 elsewhere. Thread-safe.
    /// </summary>
    public void Read(PixelWindow window, Span<ushort> before, Span<ushort> after, Span<byte> valid) =>
        ReadBands(window, _allBands, before, after, valid);

    /// <summary>
    /// Reads some of the bands of a window: <paramref name="bands"/> (distinct indices into <see cref="Bands"/>) into
    /// <paramref name="before"/> and <paramref name="after"/>, band-sequential in the order given, row-major, window-sized;
    /// <paramref name="valid"/> 1 where both dates hold data in every band read, 0 elsewhere (nodata in a band not read does
    /// not count: it is that band's nodata, and the others hold data there). Reads no block of the bands not asked for
    /// (on a band-interleaved file). Thread-safe.
    /// </summary>
    public void ReadBands(PixelWindow window, ReadOnlySpan<int> bands, Span<ushort> before, Span<ushort> after, Span<byte> valid)
    {
        if (!Grid.Bounds.Contains(window) || window.IsEmpty)
            throw new ArgumentOutOfRangeException(nameof(window), $"Window {window} is outside the {Grid.Width}×{Grid.Height} pair grid.");
        for (int j = 0; j < bands.Length; j++)
        {
            if ((uint)bands[j] >= (uint)Bands.Count)
                throw new ArgumentOutOfRangeException(nameof(bands), $"Band index {bands[j]} is outside 0..{Bands.Count - 1} of the pair.");
            if (bands[..j].Contains(bands[j]))
                throw new ArgumentException($"Band index {bands[j]} is asked for twice.", nameof(bands));
        }
        int n = window.Width * window.Height;
        valid[..n].Fill(1);
        // The images' bands among those asked for, in the order asked (their output slots j); the rest are band files.
        var beforeBands = new List<int>(bands.Length);
        var afterBands = new List<int>(bands.Length);
        var slots = new List<int>(bands.Length);
        for (int j = 0; j < bands.Length; j++)
        {
            int k = Array.IndexOf(_imageSlots, bands[j]);
            if (k < 0) continue;
            beforeBands.Add(_beforeBands[k]);
            afterBands.Add(_afterBands[k]);
            slots.Add(j);
        }
        int m = slots.Count;
        if (m > 0)
        {
            // Slots 0..m-1 in order: read straight into place; else through a pooled buffer.
            bool inPlace = slots[^1] == m - 1;
            ushort[]? ib = inPlace ? null : ArrayPool<ushort>.Shared.Rent(n * m);
            ushort[]? ia = inPlace ? null : ArrayPool<ushort>.Shared.Rent(n * m);
            try
            {
                ReadImages(window, [.. beforeBands], [.. afterBands], inPlace ? before[..(n * m)] : ib.AsSpan(0, n * m), inPlace ? after[..(n * m)] : ia.AsSpan(0, n * m), valid);
                if (!inPlace)
                    for (int k = 0; k < m; k++)
                    {
                        ib.AsSpan(k * n, n).CopyTo(before.Slice(slots[k] * n, n));
                        ia.AsSpan(k * n, n).CopyTo(after.Slice(slots[k] * n, n));
                    }
            }
            finally
            {
                if (ib is not null) ArrayPool<ushort>.Shared.Return(ib);
                if (ia is not null) ArrayPool<ushort>.Shared.Return(ia);
            }
        }
        int[] first = [0];
        for (int j = 0; j < bands.Length; j++)
            foreach (var (slot, b, a) in _extras)
            {
                if (slot != bands[j]) continue;
                ReadResampled(b, first, 0, 0, window, before.Slice(j * n, n), valid);
                ReadResampled(a, first, AfterShiftX, AfterShiftY, window, after.Slice(j * n, n), valid);
            }
    }

    /// <summary>Bands <paramref name="beforeBands"/> and <paramref name="afterBands"/> (the same bands in each file's numbering) of a window, validity already filled with 1.</summary>
    private void ReadImages(PixelWindow window, int[] beforeBands, int[] afterBands, Span<ushort> before, Span<ushort> after, Span<byte> valid)
    {
        ReadUInt16(_before, window.Offset(BeforeWindow.X, BeforeWindow.Y), beforeBands, before, valid);
        if (!AfterResampled)
        {
            ReadUInt16(_after, window.Offset(_afterDx, _afterDy), afterBands, after, valid);
            return;
        }
        ReadResampled(_after, afterBands, AfterShiftX, AfterShiftY, window, after, valid);
    }

    /// <summary>
    /// Bands <paramref name="bandsOf"/> of <paramref name="reader"/> resampled onto a window of the pair grid, the source
    /// sampled at (x + <paramref name="sx"/>, y + <paramref name="sy"/>) pair-grid pixels; a pixel whose source neighbours
    /// with weight are nodata is marked invalid.
    /// </summary>
    private void ReadResampled(GeoTiffReader reader, int[] bandsOf, double sx, double sy, PixelWindow window, Span<ushort> after, Span<byte> valid)
    {
        var b = Grid.Transform;
        var a = reader.Info.Transform;
        int aw = reader.Info.Width, ah = reader.Info.Height;
        bool bilinear = Options.Resampling == Resampling.Bilinear;

        // North-up grids: a column maps to one after column position, a row to one after row.
        var cols = new (int I0, int I1, float W)[window.Width];
        var rows = new (int I0, int I1, float W)[window.Height];
        for (int c = 0; c < cols.Length; c++)
            cols[c] = Weights((b.OriginX + (window.X + c + 0.5 + sx) * b.PixelWidth - a.OriginX) / a.PixelWidth, aw, bilinear);
        for (int r = 0; r < rows.Length; r++)
            rows[r] = Weights((b.OriginY + (window.Y + r + 0.5 + sy) * b.PixelHeight - a.OriginY) / a.PixelHeight, ah, bilinear);
        int sx0 = cols.Min(c => Math.Min(c.I0, c.I1)), sx1 = cols.Max(c => Math.Max(c.I0, c.I1)) + 1;
        int sy0 = rows.Min(r => Math.Min(r.I0, r.I1)), sy1 = rows.Max(r => Math.Max(r.I0, r.I1)) + 1;
        var source = new PixelWindow(sx0, sy0, sx1 - sx0, sy1 - sy0);

        int bands = bandsOf.Length, sn = source.Width * source.Height, n = window.Width * window.Height;
        ushort[] src = ArrayPool<ushort>.Shared.Rent(sn * bands);
        byte[] srcValid = ArrayPool<byte>.Shared.Rent(sn);
        try
        {
            srcValid.AsSpan(0, sn).Fill(1);
            ReadUInt16(reader, source, bandsOf, src, srcValid);
            for (int r = 0; r < window.Height; r++)
            {
                var (y0, y1, wy) = rows[r];
                int o0 = (y0 - sy0) * source.Width, o1 = (y1 - sy0) * source.Width;
                for (int c = 0; c < window.Width; c++)
                {
                    var (x0, x1, wx) = cols[c];
                    int i00 = o0 + x0 - sx0, i01 = o0 + x1 - sx0, i10 = o1 + x0 - sx0, i11 = o1 + x1 - sx0;
                    int p = r * window.Width + c;
                    // A neighbour with zero weight may be nodata without spoiling the pixel.
                    bool ok = srcValid[i00] != 0
                              && (wx == 0 || srcValid[i01] != 0)
                              && (wy == 0 || srcValid[i10] != 0)
                              && (wx == 0 || wy == 0 || srcValid[i11] != 0);
                    if (!ok)
                    {
                        valid[p] = 0;
                        for (int k = 0; k < bands; k++) after[k * n + p] = 0;
                        continue;
                    }
                    for (int k = 0; k < bands; k++)
                    {
                        int bo = k * sn;
                        float top = src[bo + i00] + (src[bo + i01] - src[bo + i00]) * wx;
                        float bottom = src[bo + i10] + (src[bo + i11] - src[bo + i10]) * wx;
                        after[k * n + p] = (ushort)Math.Clamp(MathF.Round(top + (bottom - top) * wy), 0, 65535);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(src);
            ArrayPool<byte>.Shared.Return(srcValid);
        }
    }

    /// <summary>
    /// The two source indices around position <paramref name="u"/> (in source pixels, corners at
    /// integers) and the weight of the second; pixel centres sit at i + 0.5, and positions beyond
    /// the first or last centre take the edge pixel.
    /// </summary>
    internal static (int I0, int I1, float W) Weights(double u, int size, bool bilinear)
    {
        if (!bilinear)
        {
            int i = Math.Clamp((int)Math.Floor(u), 0, size - 1);
            return (i, i, 0);
        }
        double f = u - 0.5;
        int i0 = (int)Math.Floor(f);
        float w = (float)(f - i0);
        if (i0 < 0) return (0, 0, 0);
        if (i0 >= size - 1) return (size - 1, size - 1, 0);
        return (i0, i0 + 1, w);
    }

    /// <summary>First and last+1 index of grid cells (origin o, step s, n cells) whose centres lie inside [ao, ao + as·an).</summary>
    internal static (int First, int End) Overlap(double o, double s, int n, double ao, double aStep, int an)
    {
        double lo = Math.Min(ao, ao + aStep * an), hi = Math.Max(ao, ao + aStep * an);
        int first = n, end = 0;
        for (int i = 0; i < n; i++)
        {
            double centre = o + (i + 0.5) * s;
            if (centre < lo || centre >= hi) continue;
            first = Math.Min(first, i);
            end = i + 1;
        }
        return (first, end);
    }

    private static void ReadUInt16(GeoTiffReader reader, PixelWindow window, int[] bands, Span<ushort> dest, Span<byte> valid)
    {
        switch (reader.Info.DataType)
        {
            case RasterDataType.UInt16:
                reader.Read(window, bands, dest);
                MarkNoData(dest, bands.Length, window, reader.Info.NoData, valid);
                break;
            case RasterDataType.UInt8:
                Widen<byte>(reader, window, bands, dest, valid, v => v);
                break;
            default:
                Widen<short>(reader, window, bands, dest, valid, v => (ushort)Math.Max((short)0, v));
                break;
        }
    }

    private static void Widen<T>(GeoTiffReader reader, PixelWindow window, int[] bands, Span<ushort> dest, Span<byte> valid, Func<T, ushort> convert)
        where T : unmanaged, INumberBase<T>
    {
        int total = window.Width * window.Height * bands.Length;
        T[] raw = ArrayPool<T>.Shared.Rent(total);
        try
        {
            reader.Read(window, bands, raw.AsSpan(0, total));
            int n = window.Width * window.Height;
            bool hasNoData = reader.Info.NoData is double;
            T nodata = hasNoData ? T.CreateSaturating(reader.Info.NoData!.Value) : default;
            for (int i = 0; i < total; i++)
            {
                if (hasNoData && raw[i] == nodata) valid[i % n] = 0;
                dest[i] = convert(raw[i]);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(raw);
        }
    }

    private static void MarkNoData(Span<ushort> data, int bands, PixelWindow window, double? nodata, Span<byte> valid)
    {
        if (nodata is not double nd || nd < 0 || nd > 65535 || nd != Math.Floor(nd)) return;
        ushort v = (ushort)nd;
        int n = window.Width * window.Height;
        for (int k = 0; k < bands; k++)
        {
            var band = data.Slice(k * n, n);
            for (int i = 0; i < n; i++)
                if (band[i] == v) valid[i] = 0;
        }
    }

    private static (IReadOnlyList<SpectralBand>, int[], int[]) MatchBands(GeoTiffReader before, GeoTiffReader after, IReadOnlyDictionary<SpectralBand, int>? numbers)
    {
        Dictionary<SpectralBand, int>? b, a;
        if (numbers is not null)
        {
            foreach (var (band, number) in numbers)
            {
                foreach (var r in new[] { before, after })
                    if (number < 1 || number > r.Info.BandCount)
                        throw new ChangeDetectionException($"{r.Path}: band mapping {band.Name()}={number} is outside bands 1..{r.Info.BandCount}.");
            }
            b = numbers.ToDictionary(kv => kv.Key, kv => kv.Value - 1);
            a = b;
        }
        else
        {
            b = SpectralBands.Identify(before.Info.BandNames);
            a = SpectralBands.Identify(after.Info.BandNames);
            if (b is null || a is null)
            {
                var unnamed = b is null ? before : after;
                throw new ChangeDetectionException($"{unnamed.Path}: cannot tell which band is which ({unnamed.Info.BandCount} bands without descriptions). Give the band numbers explicitly, e.g. \"bands\": {{\"blue\": 1, \"green\": 2, \"red\": 3, \"nir\": 4}}.");
            }
        }
        var common = Enum.GetValues<SpectralBand>().Where(s => b.ContainsKey(s) && a.ContainsKey(s)).ToList();
        if (common.Count == 0)
            throw new ChangeDetectionException($"{before.Path} and {after.Path} share no spectral band (before: {string.Join(",", b.Keys.Select(k => k.Name()))}; after: {string.Join(",", a.Keys.Select(k => k.Name()))}).");
        return (common, common.Select(s => b[s]).ToArray(), common.Select(s => a[s]).ToArray());
    }

    private void DisposeExtras()
    {
        foreach (var (_, b, a) in _extras)
        {
            b.Dispose();
            a.Dispose();
        }
        _extras.Clear();
    }

    public void Dispose()
    {
        _before.Dispose();
        _after.Dispose();
        DisposeExtras();
    }
}
