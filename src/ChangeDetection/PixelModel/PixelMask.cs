using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.PixelModel;

/// <summary>What <see cref="PixelMask"/> wrote.</summary>
/// <param name="MaskPath">The mask GeoTIFF (uint8 on the pair grid: 1 change, 2 change where the vegetation index rose, 0 none, 255 no data in either date).</param>
/// <param name="ValidPixels">Pixels valid in both dates.</param>
/// <param name="ChangedPixels">Pixels marked change (1 or 2) after the morphology.</param>
public sealed record PixelMaskResult(string MaskPath, long ValidPixels, long ChangedPixels);

/// <summary>The morphology of a change mask: opening, then closing, radii in pixels (the detector's <c>--open</c>, <c>--close</c>).</summary>
/// <param name="OpenRadius">Opening radius (pixels, 0: none).</param>
/// <param name="CloseRadius">Closing radius (pixels, 0: none).</param>
public readonly record struct MaskMorphology(int OpenRadius, int CloseRadius)
{
    /// <summary>The detector's defaults: a 3 × 3 opening, then a 3 × 3 closing.</summary>
    public static MaskMorphology Default => Of(new ChangeDetectionOptions());

    /// <summary>The radii of <paramref name="options"/>.</summary>
    public static MaskMorphology Of(ChangeDetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new MaskMorphology(options.OpenRadius, options.CloseRadius);
    }

    /// <summary>Context the filters need around a pixel (pixels): 2r per filter.</summary>
    public int Halo => 2 * OpenRadius + 2 * CloseRadius;

    internal IEnumerable<MorphologyFilter> Filters()
    {
        if (OpenRadius > 0) yield return new MorphologyFilter(MorphologyOperation.Open, OpenRadius);
        if (CloseRadius > 0) yield return new MorphologyFilter(MorphologyOperation.Close, CloseRadius);
    }
}

/// <summary>
/// The change decision of a learned pixel model (issue 13, part 5: its probability replaces Otsu): every pixel's
/// calibrated probability of change, probability &gt; the model's threshold → change, then the detector's morphology
/// (<see cref="MaskMorphology"/>) and its greening split (<see cref="VegetationGain"/>, on the delivered digital
/// numbers), so the mask has the detector's classes. Nodata in either date is never change.
/// </summary>
/// <remarks>
/// <para>The threshold is the model's own (<see cref="PixelChangeModel.Threshold"/>): chosen when the model was trained,
/// as the threshold of best F1 on calibrated probabilities of pixels held out of the trees, at the training pairs'
/// class balance. F1 rewards calling change below even odds when change is rare, and the choice is made from the
/// model's training pixels, never from the scene scored: no constant is tuned to a pair.</para>
/// <para>Tile independence: each pixel's features and probability depend only on pixels within the schema's halo,
/// and the morphology reads its own halo, so the mask of a core is the same whatever the tile size. Probabilities are
/// computed in blocks of at most <see cref="MaxBlock"/>² pixels, which bounds the feature memory and does not change
/// any value.</para>
/// <para>Reads <see cref="Pair"/> as the model was trained: a pair of its own (not shifted by the detector's
/// co-registration). Thread-safe: tiles may be decided in parallel.</para>
/// </remarks>
public sealed class PixelTileMask : IChangeDecision
{
    /// <summary>
    /// Largest side of a probability block (pixels): a default 1024 px tile with the default morphology's 4 px halo on
    /// each side is one block. The features of a block are ~50–80 floats a pixel over the block and the schema's halo
    /// (128 px with the deep channels), so ~1 300² × 60 × 4 B ≈ 400 MB per worker at most; smaller blocks would cost
    /// more halo work (a 512 px block reads 2.25× its pixels, a 1024 px one 1.56×).
    /// </summary>
    public const int MaxBlock = 1040;

    /// <summary>Pixels handed to ML.NET at once: its rows copy the features, so they go in batches, not a block at a time.</summary>
    private const int RowBatch = 1 << 16;

    private readonly IReadOnlyList<PixelChangeModel> _models;
    private readonly Func<int, int, int> _modelOf;
    private readonly int[] _bandIndex;
    private readonly BandRoles _roles;

    /// <summary>One model for every pixel.</summary>
    public PixelTileMask(ScenePair pair, PixelChangeModel model, MaskMorphology morphology, PixelRadiometry? radiometry = null)
        : this(pair, [model ?? throw new ArgumentNullException(nameof(model))], (_, _) => 0, morphology, radiometry) { }

    /// <summary>
    /// The model <paramref name="modelOf"/> picks by grid position (column, row) for each pixel: e.g. a spatial fold's
    /// model for the fold it never trained on. All models must share bands and feature schema.
    /// </summary>
    /// <exception cref="ChangeDetectionException">The pair lacks one of the models' bands.</exception>
    public PixelTileMask(ScenePair pair, IReadOnlyList<PixelChangeModel> models, Func<int, int, int> modelOf, MaskMorphology morphology, PixelRadiometry? radiometry = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(modelOf);
        if (models.Count == 0) throw new ArgumentException("No model given.", nameof(models));
        var first = models[0];
        if (models.Any(m => !m.Bands.SequenceEqual(first.Bands) || m.Schema != first.Schema))
            throw new ArgumentException("The models of one mask must share bands and feature schema.", nameof(models));
        ArgumentOutOfRangeException.ThrowIfNegative(morphology.OpenRadius, nameof(morphology));
        ArgumentOutOfRangeException.ThrowIfNegative(morphology.CloseRadius, nameof(morphology));
        _bandIndex = PixelRadiometry.BandIndices(pair, first.Bands);
        radiometry ??= PixelRadiometry.Of(pair, first.Bands, schema: first.Schema);
        if (!radiometry.Bands.SequenceEqual(first.Bands))
            throw new ArgumentException("The radiometry is for other bands than the model's.", nameof(radiometry));
        Pair = pair;
        _models = [.. models];
        _modelOf = modelOf;
        Morphology = morphology;
        Radiometry = radiometry;
        _roles = ChangeDetector.Roles(pair.Bands);
    }

    /// <summary>The pair the probabilities are computed on.</summary>
    public ScenePair Pair { get; }

    public MaskMorphology Morphology { get; }

    /// <summary>The normalisation of the pair the features use (fitted once per pair).</summary>
    public PixelRadiometry Radiometry { get; }

    /// <summary>The probability threshold of the first model (all of them for a single model).</summary>
    public double Threshold => _models[0].Threshold;

    public byte[] CoreMask(Tile tile)
    {
        var grid = new PixelWindow(0, 0, Pair.Grid.Width, Pair.Grid.Height);
        var core = tile.Core;
        // The decisions the morphology reads: the core and the filters' halo, clipped to the grid (whose edge is then the buffer's).
        var area = core.Expand(Morphology.Halo, grid);
        int n = (int)area.PixelCount;
        var raw = new byte[n];
        var flags = new byte[n];
        foreach (var block in Blocks(area))
            Decide(block, area, raw, flags);
        var filtered = new byte[n];
        foreach (var filter in Morphology.Filters())
        {
            filter.Apply(raw, area.Width, area.Height, filtered);
            (raw, filtered) = (filtered, raw);
        }
        VegetationGain.Apply(raw, flags, TileScoreStore.Greening);
        var inArea = core.Offset(-area.X, -area.Y);
        var result = new byte[core.PixelCount];
        for (int r = 0; r < core.Height; r++)
            raw.AsSpan((inArea.Y + r) * area.Width + inArea.X, core.Width).CopyTo(result.AsSpan(r * core.Width));
        return result;
    }

    /// <summary>Blocks of at most <see cref="MaxBlock"/> a side, of near-equal size, covering <paramref name="area"/>.</summary>
    private static IEnumerable<PixelWindow> Blocks(PixelWindow area)
    {
        int nx = (area.Width + MaxBlock - 1) / MaxBlock, ny = (area.Height + MaxBlock - 1) / MaxBlock;
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
            {
                int x0 = area.X + (int)((long)area.Width * i / nx), x1 = area.X + (int)((long)area.Width * (i + 1) / nx);
                int y0 = area.Y + (int)((long)area.Height * j / ny), y1 = area.Y + (int)((long)area.Height * (j + 1) / ny);
                yield return new PixelWindow(x0, y0, x1 - x0, y1 - y0);
            }
    }

    /// <summary>Change (probability above the threshold), background or nodata, and the greening flag, of every pixel of <paramref name="block"/>, into <paramref name="area"/>-sized planes.</summary>
    private void Decide(PixelWindow block, PixelWindow area, byte[] raw, byte[] flags)
    {
        var first = _models[0];
        var read = block.Expand(first.Schema.Halo, new PixelWindow(0, 0, Pair.Grid.Width, Pair.Grid.Height));
        var (window, before, after) = PixelSampling.ReadWindowAndBands(Pair, read, Radiometry, _bandIndex);
        int n = window.PixelCount;
        var greening = new byte[n];
        VegetationGain.Flag(greening, TileScoreStore.Greening, before, after, n, _roles);
        var features = first.Schema.Compute(window);
        int f = first.FeatureNames.Count;
        var pixels = Enumerable.Range(0, _models.Count).Select(_ => new List<(int Read, int Area)>()).ToArray();
        for (int y = block.Y; y < block.Bottom; y++)
            for (int x = block.X; x < block.Right; x++)
            {
                int i = (y - read.Y) * read.Width + (x - read.X), a = (y - area.Y) * area.Width + (x - area.X);
                flags[a] = greening[i];
                if (window.Valid[i] == 0) { raw[a] = Kernels.Morphology.NoData; continue; }
                raw[a] = Kernels.Morphology.Background;
                pixels[_modelOf(x, y)].Add((i, a));
            }
        for (int m = 0; m < _models.Count; m++)
        {
            var list = pixels[m];
            for (int start = 0; start < list.Count; start += RowBatch)
            {
                int count = Math.Min(RowBatch, list.Count - start);
                var rows = new float[count * f];
                for (int j = 0; j < count; j++)
                    for (int k = 0; k < f; k++) rows[j * f + k] = features[k * n + list[start + j].Read];
                var p = _models[m].Probabilities(rows, count);
                for (int j = 0; j < count; j++)
                    if (p[j] > _models[m].Threshold) raw[list[start + j].Area] = Kernels.Morphology.Change;
            }
        }
    }
}

/// <summary>
/// The change mask of a pixel model as a file (<see cref="PixelTileMask"/>, tile by tile): what <c>cdx detect
/// --pixel-model</c> and <c>cdx eval</c>'s <c>pixel-model</c> and <c>pixel-lopo</c> lines write; <c>cdx run</c> with a
/// pixel model gives the same pixels through its tile passes.
/// </summary>
public static class PixelMask
{
    /// <summary>Scores <paramref name="pair"/> with <paramref name="model"/> and writes the mask.</summary>
    /// <exception cref="ChangeDetectionException">The pair lacks one of the model's bands.</exception>
    public static PixelMaskResult Write(ScenePair pair, PixelChangeModel model, string maskPath, int tileSize = ChangeDetectionOptions.DefaultTileSize,
        PixelRadiometry? radiometry = null, MaskMorphology? morphology = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Write(new PixelTileMask(pair, model, morphology ?? MaskMorphology.Default, radiometry), maskPath, tileSize);
    }

    /// <summary>Scores each pixel with the model <paramref name="modelOf"/> picks by grid position (see <see cref="PixelTileMask"/>).</summary>
    public static PixelMaskResult Write(ScenePair pair, IReadOnlyList<PixelChangeModel> models, Func<int, int, int> modelOf, string maskPath,
        int tileSize = ChangeDetectionOptions.DefaultTileSize, PixelRadiometry? radiometry = null, MaskMorphology? morphology = null) =>
        Write(new PixelTileMask(pair, models, modelOf, morphology ?? MaskMorphology.Default, radiometry), maskPath, tileSize);

    /// <summary>Writes the mask of <paramref name="decision"/>, tile by tile in order.</summary>
    public static PixelMaskResult Write(PixelTileMask decision, string maskPath, int tileSize = ChangeDetectionOptions.DefaultTileSize, int workers = 1)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (tileSize < 16 || tileSize % 16 != 0)
            throw new ArgumentOutOfRangeException(nameof(tileSize), tileSize, "The tile size must be a positive multiple of 16.");
        var grid = decision.Pair.Grid;
        var scheme = new TileScheme(grid, tileSize);
        long valid = 0, changed = 0;
        using var writer = GeoTiffWriter.Create(maskPath, ChangeDetector.MaskFileOptions(grid, tileSize));
        Parallel.ForEach(scheme.Tiles(), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers) }, tile =>
        {
            var mask = decision.CoreMask(tile);
            writer.WriteWindow<byte>(tile.Core, mask);
            var (v, c) = ChangeDetector.Count(mask);
            Interlocked.Add(ref valid, v);
            Interlocked.Add(ref changed, c);
        });
        return new PixelMaskResult(maskPath, valid, changed);
    }
}
