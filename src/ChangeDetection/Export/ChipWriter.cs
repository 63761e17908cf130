using System.Buffers;
using ChangeDetection.Geo;
using ChangeDetection.IO;
using ChangeDetection.Raster;
using ChangeDetection.Tasks;
using NetTopologySuite.Geometries;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Export;

/// <summary>The two images chips are cut from (the same pair the change was detected on).</summary>
public sealed record ChipSource(string BeforeImage, string AfterImage, ScenePairOptions? PairOptions = null);

/// <summary>A folder of chips and the tasks whose chips go into it (<see cref="ChipWriter"/>).</summary>
internal readonly record struct ChipFolder(string Folder, IReadOnlyList<VerificationTask> Tasks);

/// <summary>How chips are framed.</summary>
public sealed record ChipOptions
{
    /// <summary>Margin around the patch's bounding box, as a fraction of its larger side.</summary>
    public double MarginFraction { get; init; } = 0.2;
    /// <summary>The smallest margin, in image pixels, so that a small patch still shows its surroundings.</summary>
    public int MinMarginPixels { get; init; } = 32;
    /// <summary>Small chips are enlarged by a whole factor (nearest neighbour, up to 8×) until their larger side reaches this many PNG pixels.</summary>
    public int MinSidePixels { get; init; } = 256;
    /// <summary>
    /// Large chips (a patch kilometres long) are reduced by a whole factor (every n-th image pixel) until their
    /// larger side is at most this many PNG pixels, so a chip never needs more memory than such a square.
    /// </summary>
    public int MaxSidePixels { get; init; } = 2048;
    /// <summary>Draw the JCBH, the date and a scale bar on each chip (see <see cref="ChipLabel"/>).</summary>
    public bool DrawLabels { get; init; } = true;
    /// <summary>
    /// The scene's stretch limits of the colour bands (<see cref="ChipWriter.SceneLimits(ChipSource)"/>) when already known;
    /// null: computed from the pair. Packages of several provinces of one scene compute them once.
    /// </summary>
    public IReadOnlyList<StretchLimits>? SceneLimits { get; init; }
}

/// <summary>A band's stretch limits in digital numbers: <see cref="Low"/> maps to 0 and <see cref="High"/> to 255.</summary>
public readonly record struct StretchLimits(int Low, int High);

/// <summary>
/// Where a chip was cut: the window on the pair grid, the whole enlargement factor (PNG pixels per
/// image pixel) and the whole reduction step (image pixels per PNG pixel); one of the two is 1.
/// </summary>
public readonly record struct ChipFrame(PixelWindow Window, int Scale, int Step = 1)
{
    /// <summary>Image pixels sampled across (every <see cref="Step"/>-th of the window).</summary>
    public int SampledWidth => (Window.Width + Step - 1) / Step;
    /// <summary>Image pixels sampled down.</summary>
    public int SampledHeight => (Window.Height + Step - 1) / Step;
    /// <summary>PNG width in pixels.</summary>
    public int Width => checked(SampledWidth * Scale);
    /// <summary>PNG height in pixels.</summary>
    public int Height => checked(SampledHeight * Scale);
}

/// <summary>
/// Writes <c>&lt;JCBH&gt;_before.png</c> and <c>&lt;JCBH&gt;_after.png</c> for each task: true colour
/// (red, green, blue bands; one band as grey when the pair has no RGB), each band stretched between its
/// 2nd and 98th percentile over a sample of the whole scene, both dates pooled: the same limits for every
/// chip and both dates, so a tone difference between the two chips is a difference on the ground (or in
/// radiometry), not of the stretch. The patch outline is drawn in yellow, and the JCBH, the date and a
/// scale bar in white on black (<see cref="ChipLabel"/>). Pixels without data in either date are dark
/// grey (nodata in a band shown; only those bands are read, see <see cref="ColourSlots"/>). PNGs are encoded by
/// <see cref="ChipPng"/> (libdeflate, else zlib-ng).
/// </summary>
public static partial class ChipWriter
{
    private static readonly Rgb24 Outline = new(255, 255, 0);

    private static readonly Rgb24 NoData = new(40, 40, 40);

    /// <summary>The frame of a chip for a geometry in the grid's CRS, or null when the geometry lies outside the grid.</summary>
    public static ChipFrame? FrameOf(Geometry geometry, GeoGrid grid, ChipOptions options)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(options);
        var e = geometry.EnvelopeInternal;
        var (c0, r0) = grid.Transform.MapToPixel(e.MinX, e.MaxY);
        var (c1, r1) = grid.Transform.MapToPixel(e.MaxX, e.MinY);
        // In long, clamped near the grid: a geometry far off (or huge) must not overflow int.
        long x0 = Pixel(Math.Floor(Math.Min(c0, c1) + 1e-9), grid.Width), x1 = Pixel(Math.Ceiling(Math.Max(c0, c1) - 1e-9), grid.Width);
        long y0 = Pixel(Math.Floor(Math.Min(r0, r1) + 1e-9), grid.Height), y1 = Pixel(Math.Ceiling(Math.Max(r0, r1) - 1e-9), grid.Height);
        long side = Math.Max(Math.Max(x1 - x0, y1 - y0), 1);
        long margin = Math.Max(options.MinMarginPixels, (long)Math.Ceiling(options.MarginFraction * side));
        long left = Math.Max(x0 - margin, 0), top = Math.Max(y0 - margin, 0);
        long right = Math.Min(x1 + margin, grid.Width), bottom = Math.Min(y1 + margin, grid.Height);
        if (right <= left || bottom <= top) return null;
        var window = new PixelWindow((int)left, (int)top, (int)(right - left), (int)(bottom - top));
        int larger = Math.Max(window.Width, window.Height);
        int max = Math.Max(1, options.MaxSidePixels);
        if (larger > max) return new ChipFrame(window, 1, (larger + max - 1) / max);
        int scale = Math.Clamp((options.MinSidePixels + larger - 1) / larger, 1, 8);
        return new ChipFrame(window, scale);
    }

    /// <summary>
    /// Writes the chips of <paramref name="tasks"/> into <paramref name="folder"/> (created if needed)
    /// and returns the file names written. Tasks outside the pair's footprint get no chip.
    /// </summary>
    /// <remarks><paramref name="progress"/> is told after each task's chips (stage <c>chips</c>, tasks done of <paramref name="tasks"/>), on the
    /// thread that wrote them; <paramref name="cancellationToken"/> stops the chips between tasks: no task starts after it, those in flight finish.</remarks>
    /// <exception cref="ChangeDetectionException">The images cannot be read, or their CRS is not <paramref name="crs"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the folder holds some of the chips.</exception>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<VerificationTask> tasks, Crs crs, ChipSource source, ChipOptions? options = null,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crs);
        ArgumentNullException.ThrowIfNull(source);
        return Write([new ChipFolder(folder, tasks)], crs, source, options ?? new ChipOptions(), Environment.ProcessorCount, progress, cancellationToken)[0];
    }

    /// <summary>
    /// The chips of several folders' tasks (a package's provinces) in one parallel loop over one pair: the folders' chips
    /// share the pair's block cache and keep both cores busy to the last chip, where a loop per folder would decode a block
    /// again in each folder and wait for its slowest chip before the next folder starts. Returns the file names written
    /// per folder (in task order), as <see cref="Write(string, IReadOnlyList{VerificationTask}, Crs, ChipSource, ChipOptions?, IProgress{StageProgress}?, CancellationToken)"/>
    /// does for one; <paramref name="progress"/> counts the tasks of every folder. The bytes of a chip do not depend on
    /// the folders, the order or <paramref name="workers"/>.
    /// </summary>
    internal static IReadOnlyList<string>[] Write(IReadOnlyList<ChipFolder> folders, Crs crs, ChipSource source, ChipOptions options, int workers,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var ordered = folders.Select(f => TaskList.Ordered(f.Tasks)).ToArray();
        using var pair = ScenePair.Open(source.BeforeImage, source.AfterImage, source.PairOptions);
        if (!pair.Grid.Crs.IsSameAs(crs))
            throw new ChangeDetectionException($"{source.BeforeImage}: the imagery is in {pair.Grid.Crs} but the tasks are in {crs}; chips need both in one CRS.");
        int[] rgb = BandsForColour(pair.Bands);
        var tables = (options.SceneLimits ?? SceneLimits(pair, rgb)).Select(StretchTable).ToArray();
        foreach (var f in folders) Directory.CreateDirectory(f.Folder);
        // Every folder's tasks in one list (folder, then task order): the chip of entry i is task Tasks[i] of folder Owner[i].
        var entries = ordered.SelectMany((list, g) => list.Select(t => (Owner: g, Task: t))).ToArray();
        // Chips are independent (a pair's reads are thread-safe, each chip is its own file): render and
        // encode them in parallel, and list them in task order whatever order they finish in. They are taken
        // in the order of the image blocks their windows start in (BlockOrder), so that neighbouring chips
        // follow each other and find their blocks in the pair's block cache instead of inflating them again.
        var frames = entries.Select(e => FrameOf(e.Task.Geometry, pair.Grid, options)).ToArray();
        var names = new string[entries.Length][];
        int done = 0;
        Parallel.ForEach(BlockOrder(frames, pair), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = cancellationToken }, i =>
        {
            var (owner, t) = entries[i];
            names[i] = WriteChips(folders[owner].Folder, t, frames[i]!.Value, pair, rgb, tables, options);
            progress?.Report(new StageProgress("chips", Interlocked.Increment(ref done), entries.Length));
        });
        var result = new IReadOnlyList<string>[folders.Count];
        for (int g = 0, start = 0; g < folders.Count; start += ordered[g].Count, g++)
            result[g] = names.Skip(start).Take(ordered[g].Count).SelectMany(n => n ?? []).ToList();
        return result;
    }

    /// <summary>The two chips of one task: rendered into pooled canvases, labelled, encoded (<see cref="ChipPng"/>).</summary>
    private static string[] WriteChips(string folder, VerificationTask t, ChipFrame frame, ScenePair pair, int[] rgb, byte[][] tables, ChipOptions options)
    {
        int size = checked(frame.Width * frame.Height);
        var before = ArrayPool<Rgb24>.Shared.Rent(size);
        var after = ArrayPool<Rgb24>.Shared.Rent(size);
        try
        {
            Render(pair, frame, rgb, tables, t.Geometry, before, after);
            var bar = ScaleBar.Choose(MetresPerPixel(pair.Grid, frame), frame.Width);
            var taskNames = new string[2];
            int k = 0;
            foreach (var (suffix, pixels, date) in new[] { ("before", before, t.QSX), ("after", after, t.HSX) })
            {
                if (options.DrawLabels)
                    ChipLabel.Draw(pixels, frame.Width, frame.Height, [t.JCBH.ToUpperInvariant(), $"{suffix.ToUpperInvariant()} {date:yyyy-MM-dd}"], bar);
                string name = $"{t.JCBH}_{suffix}.png";
                AtomicFile.Write(Path.Combine(folder, name), tmp => ChipPng.Write(tmp, pixels.AsSpan(0, size), frame.Width, frame.Height));
                taskNames[k++] = name;
            }
            return taskNames;
        }
        finally
        {
            ArrayPool<Rgb24>.Shared.Return(before);
            ArrayPool<Rgb24>.Shared.Return(after);
        }
    }

    /// <summary>
    /// The indices of <paramref name="frames"/> with a frame, in the Z order (Morton code) of the image block each
    /// window starts in, ties in task order: chips close on the ground follow each other whatever the scene's size.
    /// </summary>
    internal static IEnumerable<int> BlockOrder(IReadOnlyList<ChipFrame?> frames, ScenePair pair)
    {
        int bw = Math.Max(1, pair.BeforeInfo.BlockWidth), bh = Math.Max(1, pair.BeforeInfo.BlockHeight);
        return Enumerable.Range(0, frames.Count)
            .Where(i => frames[i] is not null)
            .OrderBy(i => Morton((uint)(frames[i]!.Value.Window.X / bw), (uint)(frames[i]!.Value.Window.Y / bh)))
            .ThenBy(i => i)
            .ToArray();
    }

    /// <summary>The bits of <paramref name="x"/> and <paramref name="y"/> interleaved (x in the even bits).</summary>
    private static ulong Morton(uint x, uint y)
    {
        static ulong Spread(uint v)
        {
            ulong r = v;
            r = (r | r << 16) & 0x0000FFFF0000FFFFUL;
            r = (r | r << 8) & 0x00FF00FF00FF00FFUL;
            r = (r | r << 4) & 0x0F0F0F0F0F0F0F0FUL;
            r = (r | r << 2) & 0x3333333333333333UL;
            r = (r | r << 1) & 0x5555555555555555UL;
            return r;
        }
        return Spread(x) | Spread(y) << 1;
    }

    /// <summary>
    /// The pair of <paramref name="source"/> without block caches, for the scene sample: its windows never share a block,
    /// and an uncached read inflates a block only down to the last row it needs (a window centred in its block: ~56 %).
    /// Chips keep the cache: neighbouring chips share blocks (580 chips on a 4096² scene of 256² band-interleaved
    /// blocks decoded 1 288 blocks with it, 4 648 without).
    /// </summary>
    private static ScenePair OpenUncached(ChipSource source) =>
        ScenePair.Open(source.BeforeImage, source.AfterImage, (source.PairOptions ?? new ScenePairOptions()) with { BlockCacheBytes = 0 });

    /// <summary>A pixel coordinate as a long, kept within a grid's width of the grid (NaN: the grid's origin).</summary>
    private static long Pixel(double value, int extent) =>
        double.IsNaN(value) ? 0 : (long)Math.Clamp(value, -(double)extent, 2.0 * extent);

    /// <summary>Indices into <see cref="ScenePair.Bands"/> of red, green and blue, or the first band three times.</summary>
    private static int[] BandsForColour(IReadOnlyList<SpectralBand> bands)
    {
        int r = IndexOf(bands, SpectralBand.Red), g = IndexOf(bands, SpectralBand.Green), b = IndexOf(bands, SpectralBand.Blue);
        return r >= 0 && g >= 0 && b >= 0 ? [r, g, b] : [0, 0, 0];
    }

    /// <summary>
    /// The distinct bands a chip shows (<paramref name="rgb"/> without repeats: the pair bands read), and where each of
    /// red, green and blue lies among them. Reading only these leaves the other bands' blocks undecoded (a quarter of a
    /// 4-band image's inflation). A pixel is then dark grey when a shown band is nodata in either date; nodata in a band
    /// not shown (e.g. NIR) no longer greys it: a nodata value is a band's own (GDAL sets it per band), and the bands
    /// shown hold data there. Chips of images without nodata, or whose nodata pixels are nodata in every band (the
    /// fill outside a footprint), are unchanged byte for byte.
    /// </summary>
    internal static (int[] Read, int[] Shown) ColourSlots(int[] rgb)
    {
        var read = rgb.Distinct().ToArray();
        return (read, rgb.Select(r => Array.IndexOf(read, r)).ToArray());
    }

    private static int IndexOf(IReadOnlyList<SpectralBand> bands, SpectralBand band)
    {
        for (int i = 0; i < bands.Count; i++) if (bands[i] == band) return i;
        return -1;
    }

    /// <summary>Image pixels read at once when a chip is reduced: bounds the memory of a chip of a huge patch.</summary>
    private const long ReadChunkPixels = 1 << 20;

    /// <summary>Windows per side of the scene sample (a grid of evenly spaced windows).</summary>
    private const int SampleGrid = 16;
    /// <summary>The largest side of one sample window, in image pixels: 16² windows of 32² px = 262 144 pixels per date.</summary>
    private const int SampleWindow = 32;

    /// <summary>
    /// Stretch limits of the colour bands (<paramref name="rgb"/>): the 2nd and 98th percentile of the pixels valid in
    /// those bands (<see cref="ColourSlots"/>) of both dates pooled, over a 16 × 16 grid of windows (up to 32 × 32 px each, one per cell, placed by
    /// <see cref="StretchSampleWindows(int, int, int, int, int, int)"/>) spread evenly over the scene. Windows rather than whole rows keep the read
    /// to one block per window and band on a province-size scene; a small scene is read whole. The same pair gives
    /// the same limits on every call.
    /// </summary>
    public static StretchLimits[] SceneLimits(ScenePair pair, int[] rgb)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(rgb);
        // The bands shown only, as the chips read them (ColourSlots): their validity is the chips'.
        var (read, shown) = ColourSlots(rgb);
        int bands = read.Length;
        var histograms = rgb.Select(_ => new long[65536]).ToArray();
        var counts = new long[rgb.Length];
        var windows = StretchSampleWindows(pair);
        // Each window decodes a few blocks of both files: read them on every core, count under a lock
        // (integer counts: the limits do not depend on the order).
        var gate = new Lock();
        Parallel.ForEach(windows, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, window =>
        {
            int m = (int)window.PixelCount;
            var b = new ushort[m * bands];
            var a = new ushort[m * bands];
            var v = new byte[m];
            pair.ReadBands(window, read, b, a, v);
            lock (gate)
            {
                for (int k = 0; k < rgb.Length; k++)
                {
                    int off = shown[k] * m;
                    for (int i = 0; i < m; i++)
                    {
                        if (v[i] == 0) continue;
                        histograms[k][b[off + i]]++;
                        histograms[k][a[off + i]]++;
                        counts[k] += 2;
                    }
                }
            }
        });
        var limits = new StretchLimits[rgb.Length];
        for (int k = 0; k < rgb.Length; k++)
        {
            int lo = Percentile(histograms[k], counts[k], 0.02), hi = Percentile(histograms[k], counts[k], 0.98);
            limits[k] = new StretchLimits(lo, Math.Max(hi, lo + 1));
        }
        return limits;
    }

    /// <summary>The scene limits of <paramref name="source"/>'s colour bands, as the chips compute them.</summary>
    public static StretchLimits[] SceneLimits(ChipSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var pair = OpenUncached(source);
        return SceneLimits(pair, BandsForColour(pair.Bands));
    }

    /// <summary>The stretch sample's windows on <paramref name="pair"/>'s grid, aligned to the before image's blocks (<see cref="StretchSampleWindows(int, int, int, int, int, int)"/>).</summary>
    internal static PixelWindow[] StretchSampleWindows(ScenePair pair) =>
        StretchSampleWindows(pair.Grid.Width, pair.Grid.Height, pair.BeforeInfo.BlockWidth, pair.BeforeInfo.BlockHeight, pair.BeforeWindow.X, pair.BeforeWindow.Y);

    /// <summary>
    /// The stretch sample: one window per cell of a 16 × 16 grid over a <paramref name="width"/> × <paramref name="height"/>
    /// scene (fewer cells on a scene under 16 px a side), at most <see cref="SampleWindow"/> pixels a side, each placed by
    /// <see cref="Place"/> on the image's blocks (<paramref name="blockWidth"/> × <paramref name="blockHeight"/>, whose
    /// lattice starts at pixel −<paramref name="blockX"/>, −<paramref name="blockY"/> of the pair grid).
    /// </summary>
    internal static PixelWindow[] StretchSampleWindows(int width, int height, int blockWidth, int blockHeight, int blockX = 0, int blockY = 0)
    {
        int nx = Math.Min(SampleGrid, width), ny = Math.Min(SampleGrid, height);
        return (from x in Cells(width, nx)
                from y in Cells(height, ny)
                let w = Math.Min(SampleWindow, x.End - x.Start)
                let h = Math.Min(SampleWindow, y.End - y.Start)
                select new PixelWindow(Place(x, w, blockWidth, blockX), Place(y, h, blockHeight, blockY), w, h)).ToArray();
    }

    /// <summary>
    /// Where a sample window of <paramref name="length"/> pixels starts in <paramref name="cell"/>: at the block edge nearest
    /// to the cell's centred position when the window then still lies in the cell, else centred. A window centred in its
    /// cell straddled four blocks on the usual 8192² scene of 256² blocks (cells of 512 px, windows at 240..272), and the
    /// 256 windows inflated about as much as the whole scene; starting on a block edge, a window lies in one block per band
    /// and date, of which an uncached read inflates only the rows down to the window's last (32 of 256). A cell no longer
    /// than the window (a scene up to 512 px a side: read whole) keeps its window, and so does a scene whose cells hold no
    /// block edge with room for the window.
    /// </summary>
    private static int Place((int Start, int End) cell, int length, int block, int blockOrigin)
    {
        int centred = cell.Start + (cell.End - cell.Start - length) / 2;
        if (block <= 0) return centred;
        // The image's block edges below and above the centred start, in pair-grid pixels (k · block − blockOrigin); the nearer first.
        long below = (long)(centred + blockOrigin) / block * block - blockOrigin, above = below + block;
        var (first, second) = centred - below <= above - centred ? (below, above) : (above, below);
        foreach (long edge in new[] { first, second })
            if (edge >= cell.Start && edge + length <= cell.End)
                return (int)edge;
        return centred;
    }

    /// <summary>The extent split into <paramref name="n"/> near-equal cells, as [start, end) pairs.</summary>
    private static IEnumerable<(int Start, int End)> Cells(int extent, int n)
    {
        for (int i = 0; i < n; i++)
            yield return ((int)((long)extent * i / n), (int)((long)extent * (i + 1) / n));
    }

    /// <summary>
    /// Ground size of one PNG pixel in metres, along the chip's width: the image pixel's x step times the
    /// reduction step over the enlargement. Geographic grids (degrees) use the metres of a degree of
    /// longitude at the chip's centre latitude on the CGCS2000 (≈ GRS 80) ellipsoid's equatorial radius.
    /// </summary>
    internal static double MetresPerPixel(GeoGrid grid, ChipFrame frame)
    {
        var t = grid.Transform;
        double dx = t.PixelWidth, dy = t.ColumnRotation;
        if (grid.Crs.IsGeographic)
        {
            var (_, lat) = t.PixelToMap(frame.Window.X + frame.Window.Width / 2.0, frame.Window.Y + frame.Window.Height / 2.0);
            double perDegree = Math.PI / 180 * 6_378_137;
            dx *= perDegree * Math.Cos(lat * Math.PI / 180);
            dy *= perDegree;
        }
        return Math.Sqrt(dx * dx + dy * dy) * frame.Step / frame.Scale;
    }

    /// <summary>Both dates of <paramref name="frame"/> coloured into <paramref name="before"/> and <paramref name="after"/> (at least Width × Height each), the outline drawn over them.</summary>
    private static void Render(ScenePair pair, ChipFrame frame, int[] rgb, byte[][] tables, Geometry geometry, Span<Rgb24> before, Span<Rgb24> after)
    {
        // Only the bands shown are read (each once: a grey chip shows one band three times); see ColourSlots.
        var (read, shown) = ColourSlots(rgb);
        int bands = read.Length;
        int n = checked(frame.SampledWidth * frame.SampledHeight);
        ushort[] b = ArrayPool<ushort>.Shared.Rent(checked(n * bands)), a = ArrayPool<ushort>.Shared.Rent(checked(n * bands));
        byte[] valid = ArrayPool<byte>.Shared.Rent(n);
        try
        {
            if (frame.Step == 1) pair.ReadBands(frame.Window, read, b.AsSpan(0, n * bands), a.AsSpan(0, n * bands), valid.AsSpan(0, n));
            else ReadReduced(pair, frame, read, b, a, valid);
            var outline = OutlineMask(geometry, pair.Grid.Transform, frame);
            Colour(b, valid, n, shown, tables, frame, outline, before);
            Colour(a, valid, n, shown, tables, frame, outline, after);
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(b);
            ArrayPool<ushort>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(valid);
        }
    }

    /// <summary>As <see cref="Render(ScenePair, ChipFrame, int[], byte[][], Geometry, Span{Rgb24}, Span{Rgb24})"/>, into new arrays of the chip's size.</summary>
    private static (Rgb24[] Before, Rgb24[] After) Render(ScenePair pair, ChipFrame frame, int[] rgb, byte[][] tables, Geometry geometry)
    {
        var before = new Rgb24[checked(frame.Width * frame.Height)];
        var after = new Rgb24[before.Length];
        Render(pair, frame, rgb, tables, geometry, before, after);
        return (before, after);
    }

    /// <summary>
    /// Every <see cref="ChipFrame.Step"/>-th pixel of the window (the first of each step × step cell), read in
    /// bands of whole cells of at most about <see cref="ReadChunkPixels"/> image pixels.
    /// </summary>
    private static void ReadReduced(ScenePair pair, ChipFrame frame, int[] read, ushort[] before, ushort[] after, byte[] valid)
    {
        var w = frame.Window;
        int step = frame.Step, sw = frame.SampledWidth, sh = frame.SampledHeight, bands = read.Length;
        long n = (long)sw * sh;
        int cellRows = (int)Math.Max(1, ReadChunkPixels / ((long)w.Width * step));
        var b = new ushort[checked((long)w.Width * step * cellRows * bands)];
        var a = new ushort[b.Length];
        var v = new byte[checked((long)w.Width * step * cellRows)];
        for (int sy0 = 0; sy0 < sh; sy0 += cellRows)
        {
            int rows = Math.Min(cellRows, sh - sy0);
            int top = w.Y + sy0 * step, height = Math.Min(rows * step, w.Y + w.Height - top);
            var chunk = new PixelWindow(w.X, top, w.Width, height);
            long m = chunk.PixelCount;
            pair.ReadBands(chunk, read, b.AsSpan(0, (int)(m * bands)), a.AsSpan(0, (int)(m * bands)), v.AsSpan(0, (int)m));
            for (int r = 0; r < rows; r++)
            {
                for (int sx = 0; sx < sw; sx++)
                {
                    long src = (long)r * step * w.Width + (long)sx * step, dst = (long)(sy0 + r) * sw + sx;
                    valid[dst] = v[src];
                    for (int k = 0; k < bands; k++)
                    {
                        before[k * n + dst] = b[k * m + src];
                        after[k * n + dst] = a[k * m + src];
                    }
                }
            }
        }
    }

    /// <summary>
    /// One date's pixels on the chip canvas: each sampled image pixel through the stretch tables (dark grey without data),
    /// enlarged by <see cref="ChipFrame.Scale"/> (a canvas row is coloured once per image row, then copied), the outline over it.
    /// </summary>
    private static void Colour(ushort[] data, byte[] valid, int n, int[] rgb, byte[][] lut, ChipFrame frame, bool[] outline, Span<Rgb24> pixels)
    {
        int s = frame.Scale, w = frame.Width, sw = frame.SampledWidth;
        ReadOnlySpan<ushort> red = data.AsSpan(rgb[0] * n, n), green = data.AsSpan(rgb[1] * n, n), blue = data.AsSpan(rgb[2] * n, n);
        byte[] lr = lut[0], lg = lut[1], lb = lut[2];
        for (int sy = 0; sy < frame.SampledHeight; sy++)
        {
            var row = pixels.Slice(sy * s * w, w);
            int p0 = sy * sw;
            for (int sx = 0; sx < sw; sx++)
            {
                int p = p0 + sx;
                var c = valid[p] == 0 ? NoData : new Rgb24(lr[red[p]], lg[green[p]], lb[blue[p]]);
                if (s == 1) row[sx] = c;
                else row.Slice(sx * s, s).Fill(c);
            }
            for (int k = 1; k < s; k++) row.CopyTo(pixels.Slice((sy * s + k) * w, w));
        }
        ReadOnlySpan<bool> mask = outline;
        for (int i = mask.IndexOf(true); i >= 0;)
        {
            pixels[i] = Outline;
            int next = mask[(i + 1)..].IndexOf(true);
            i = next < 0 ? -1 : i + 1 + next;
        }
    }

    /// <summary>A 65 536-entry table mapping digital numbers linearly from [low, high] to 0–255.</summary>
    internal static byte[] StretchTable(StretchLimits limits)
    {
        var table = new byte[65536];
        double range = limits.High - limits.Low;
        for (int v = 0; v < table.Length; v++)
            table[v] = (byte)Math.Clamp(Math.Round((v - limits.Low) * 255.0 / range), 0, 255);
        return table;
    }

    private static int Percentile(long[] histogram, long count, double q)
    {
        if (count == 0) return 0;
        long target = (long)Math.Ceiling(q * count), seen = 0;
        for (int v = 0; v < histogram.Length; v++)
        {
            seen += histogram[v];
            if (seen >= Math.Max(target, 1)) return v;
        }
        return histogram.Length - 1;
    }

    /// <summary>
    /// The outline rasterised on the chip canvas (one canvas pixel wide, two when enlarged): each ring
    /// edge is walked in steps of half a canvas pixel from map coordinates to canvas coordinates.
    /// ImageSharp.Drawing is not used: no version compatible with ImageSharp 2.1 restores here.
    /// </summary>
    internal static bool[] OutlineMask(Geometry geometry, GeoTransform transform, ChipFrame frame)
    {
        var mask = new bool[checked(frame.Width * frame.Height)];
        int thickness = frame.Scale > 1 ? 2 : 1;
        for (int gi = 0; gi < geometry.NumGeometries; gi++)
        {
            if (geometry.GetGeometryN(gi) is not Polygon polygon) continue;
            foreach (var ring in new[] { polygon.ExteriorRing }.Concat(polygon.InteriorRings))
            {
                var cs = ring.Coordinates;
                for (int i = 1; i < cs.Length; i++)
                {
                    var (ax, ay) = Canvas(transform, frame, cs[i - 1]);
                    var (bx, by) = Canvas(transform, frame, cs[i]);
                    int steps = (int)Math.Ceiling(Math.Max(Math.Abs(bx - ax), Math.Abs(by - ay)) * 2) + 1;
                    for (int k = 0; k <= steps; k++)
                    {
                        double f = (double)k / steps;
                        Plot(mask, frame, ax + (bx - ax) * f, ay + (by - ay) * f, thickness);
                    }
                }
            }
        }
        return mask;
    }

    private static (double X, double Y) Canvas(GeoTransform transform, ChipFrame frame, Coordinate c)
    {
        var (col, row) = transform.MapToPixel(c.X, c.Y);
        return ((col - frame.Window.X) * frame.Scale / frame.Step, (row - frame.Window.Y) * frame.Scale / frame.Step);
    }

    private static void Plot(bool[] mask, ChipFrame frame, double x, double y, int thickness)
    {
        // One pixel: the one containing the point. Two: the pixels on both sides of the nearest corner,
        // so that the line sits centred on the patch edge.
        int x0 = thickness == 1 ? (int)Math.Floor(x) : (int)Math.Round(x) - 1;
        int y0 = thickness == 1 ? (int)Math.Floor(y) : (int)Math.Round(y) - 1;
        for (int dy = 0; dy < thickness; dy++)
            for (int dx = 0; dx < thickness; dx++)
            {
                int px = Math.Clamp(x0 + dx, 0, frame.Width - 1), py = Math.Clamp(y0 + dy, 0, frame.Height - 1);
                mask[py * frame.Width + px] = true;
            }
    }
}
