using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.PixelModel;

/// <summary>What <see cref="PixelMask"/> wrote.</summary>
/// <param name="MaskPath">The mask GeoTIFF (uint8 on the pair grid: 1 change, 2 change where the vegetation index rose, 0 none, 255 no data in either date).</param>
/// <param name="ValidPixels">Pixels valid in both dates.</param>
/// <param name="ChangedPixels">Pixels marked change (1 or 2) after the morphology.</param>
public sealed record PixelMaskResult(string MaskPath, long ValidPixels, long ChangedPixels)
{
    /// <summary>The probability threshold used (of the first model when several decide), see <see cref="PixelTileMask.Threshold"/>.</summary>
    public double Threshold { get; init; }
}

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
/// calibrated probability of change, probability &gt; the threshold (the scene's or the model's, below) → change, then
/// the detector's morphology (<see cref="MaskMorphology"/>) and its greening split (<see cref="VegetationGain"/>, on the delivered digital
/// numbers), so the mask has the detector's classes. Nodata in either date is never change.
/// </summary>
/// <remarks>
/// <para>The threshold follows the model's <see cref="PixelChangeModel.ThresholdRule"/>: under
/// <see cref="PixelThresholdRule.Scene"/> (the default of a newly trained model) the plug-in threshold of expected F1 on
/// the probabilities of this pair (<see cref="ProbabilityHistogram.PlugInThreshold"/>, one pass over the whole grid before
/// the first tile is decided; no labels, no constant tuned to a pair); under <see cref="PixelThresholdRule.Model"/> the
/// model's own, chosen when it was trained as the threshold of best F1 on calibrated probabilities of pixels held out of
/// the trees, at the training pairs' class balance.</para>
/// <para>Tile independence: each pixel's features and probability depend only on pixels within the schema's halo,
/// the scene threshold is computed over the whole grid in fixed blocks, and the morphology reads its own halo, so the
/// mask of a core is the same whatever the tile size. Probabilities are
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

    /// <summary>
    /// Largest grid (pixels) whose probabilities the scene-threshold pass keeps for the mask pass (4 B a pixel: 64 MB at
    /// most, e.g. an 8 192² scene at half that); a larger grid has them computed again in the mask pass rather than held,
    /// so memory stays bounded by the tile size and not the scene size.
    /// </summary>
    internal const long MaxCachedPixels = 1L << 24;

    private readonly IReadOnlyList<PixelChangeModel> _models;
    private readonly Func<int, int, int> _modelOf;
    private readonly Lazy<(double[] Thresholds, float[]? Probabilities)> _scene;
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
        _scene = new Lazy<(double[], float[]?)>(SceneThresholds, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// Blocks computed at once in the scene-threshold pass (<see cref="PixelThresholdRule.Scene"/>), as the mask pass's
    /// workers: each holds one block's features. The threshold does not depend on it.
    /// </summary>
    public int SceneWorkers { get; init; } = 1;

    /// <summary>
    /// Every model's threshold as recorded by an earlier pass of the same run (e.g. in its ledger), or null: given, the
    /// scene-threshold pass is not run again and every tile's probabilities are computed in its own tile.
    /// </summary>
    public IReadOnlyList<double>? RecordedThresholds { get; init; }

    /// <summary>The pair the probabilities are computed on.</summary>
    public ScenePair Pair { get; }

    public MaskMorphology Morphology { get; }

    /// <summary>The normalisation of the pair the features use (fitted once per pair).</summary>
    public PixelRadiometry Radiometry { get; }

    /// <summary>
    /// The probability threshold of the first model (all of them for a single model) on this pair: the model's own, or
    /// under <see cref="PixelThresholdRule.Scene"/> the one its probabilities on this pair give (computed on first use,
    /// over the whole pair).
    /// </summary>
    public double Threshold => ThresholdOf(0);

    /// <summary>The probability threshold of model <paramref name="index"/> on this pair (see <see cref="Threshold"/>).</summary>
    public double ThresholdOf(int index) => _models[index].ThresholdRule == PixelThresholdRule.Model ? _models[index].Threshold : _scene.Value.Thresholds[index];

    /// <summary>
    /// Each model's threshold on the pair: for a <see cref="PixelThresholdRule.Scene"/> model the plug-in threshold of
    /// expected F1 over the probabilities of the pixels it decides (its own threshold when they hold no probability
    /// mass). One pass over the grid in fixed blocks, so the result does not depend on the tiles asked for later; the
    /// probabilities are kept for the mask pass when the grid is small (<see cref="MaxCachedPixels"/>).
    /// </summary>
    private (double[] Thresholds, float[]? Probabilities) SceneThresholds()
    {
        if (RecordedThresholds is { } recorded)
        {
            if (recorded.Count != _models.Count)
                throw new InvalidOperationException($"{recorded.Count} recorded pixel thresholds for {_models.Count} models.");
            return ([.. recorded], null);
        }
        int w = Pair.Grid.Width, h = Pair.Grid.Height;
        var histograms = _models.Select(_ => new ProbabilityHistogram()).ToArray();
        float[]? all = null;
        if (_models.Any(m => m.ThresholdRule == PixelThresholdRule.Scene))
        {
            if ((long)w * h <= MaxCachedPixels) all = new float[(long)w * h];
            var gate = new object();
            // Each worker fills histograms of its own, merged at its end: counts, fixed-point sums, minima and maxima
            // add up to the same histogram in any order.
            Parallel.ForEach(Blocks(new PixelWindow(0, 0, w, h)), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, SceneWorkers) },
                () => _models.Select(_ => new ProbabilityHistogram()).ToArray(),
                (block, _, local) =>
                {
                    var (p, _) = BlockProbabilities(block);
                    for (int y = block.Y; y < block.Bottom; y++)
                        for (int x = block.X; x < block.Right; x++)
                        {
                            float q = p[(y - block.Y) * block.Width + (x - block.X)];
                            local[_modelOf(x, y)].Add(q);
                            if (all is not null) all[(long)y * w + x] = q;
                        }
                    return local;
                },
                local =>
                {
                    lock (gate)
                        for (int i = 0; i < local.Length; i++) histograms[i].Merge(local[i]);
                });
        }
        var thresholds = _models.Select((m, i) => m.ThresholdRule == PixelThresholdRule.Scene && histograms[i].PlugInThreshold() is { } t
            ? t.Threshold : m.Threshold).ToArray();
        return (thresholds, all);
    }

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
        var thresholds = _models.Select((_, i) => ThresholdOf(i)).ToArray();
        var cached = _models.Any(m => m.ThresholdRule == PixelThresholdRule.Scene) ? _scene.Value.Probabilities : null;
        var (p, greening) = cached is null ? BlockProbabilities(block) : (null, Greening(block));
        int w = Pair.Grid.Width;
        for (int y = block.Y; y < block.Bottom; y++)
            for (int x = block.X; x < block.Right; x++)
            {
                int b = (y - block.Y) * block.Width + (x - block.X), a = (y - area.Y) * area.Width + (x - area.X);
                flags[a] = greening[b];
                float q = cached is null ? p![b] : cached[(long)y * w + x];
                raw[a] = float.IsNaN(q) ? Kernels.Morphology.NoData
                    : q > thresholds[_modelOf(x, y)] ? Kernels.Morphology.Change : Kernels.Morphology.Background;
            }
    }

    /// <summary>The greening flag of every pixel of <paramref name="block"/> (block-sized), from the delivered digital numbers.</summary>
    private byte[] Greening(PixelWindow block)
    {
        int n = (int)block.PixelCount, nb = Pair.Bands.Count;
        var before = new ushort[n * nb];
        var after = new ushort[n * nb];
        Pair.Read(block, before, after, new byte[n]);
        var greening = new byte[n];
        VegetationGain.Flag(greening, TileScoreStore.Greening, before, after, n, _roles);
        return greening;
    }

    /// <summary>
    /// The calibrated probability of change of every pixel of <paramref name="block"/> (block-sized, row-major; NaN where
    /// either date has no data) and its greening flag, each pixel by the model <c>modelOf</c> picks for it.
    /// </summary>
    internal (float[] Probability, byte[] Greening) BlockProbabilities(PixelWindow block)
    {
        var first = _models[0];
        var read = block.Expand(first.Schema.Halo, new PixelWindow(0, 0, Pair.Grid.Width, Pair.Grid.Height));
        var (window, before, after) = PixelSampling.ReadWindowAndBands(Pair, read, Radiometry, _bandIndex);
        int n = window.PixelCount;
        var greeningRead = new byte[n];
        VegetationGain.Flag(greeningRead, TileScoreStore.Greening, before, after, n, _roles);
        var features = first.Schema.Compute(window);
        int f = first.FeatureNames.Count;
        var probability = new float[block.PixelCount];
        var greening = new byte[block.PixelCount];
        var pixels = Enumerable.Range(0, _models.Count).Select(_ => new List<(int Read, int Block)>()).ToArray();
        for (int y = block.Y; y < block.Bottom; y++)
            for (int x = block.X; x < block.Right; x++)
            {
                int i = (y - read.Y) * read.Width + (x - read.X), b = (y - block.Y) * block.Width + (x - block.X);
                greening[b] = greeningRead[i];
                if (window.Valid[i] == 0) { probability[b] = float.NaN; continue; }
                pixels[_modelOf(x, y)].Add((i, b));
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
                for (int j = 0; j < count; j++) probability[list[start + j].Block] = p[j];
            }
        }
        return (probability, greening);
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
        return new PixelMaskResult(maskPath, valid, changed) { Threshold = decision.Threshold };
    }
}
