using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.PixelModel;

/// <summary>
/// Labelled pixels of one pair drawn for training: row-major features (<see cref="FeatureCount"/> per
/// pixel, <see cref="FeatureNames"/> order), the label (true = changed), a weight, the pixel position on the
/// pair grid and whether the pixel is kept aside for calibration.
/// </summary>
/// <remarks>
/// The weight undoes the per-class cap: a class with <c>N</c> labelled pixels of which <c>k</c> were drawn
/// weighs <c>N / k</c> per pixel, so the pixels stand for the pair's true class balance, and a model
/// trained on them estimates the probability of change at the prior of the pairs it learnt from.
/// </remarks>
public sealed class PixelSamples
{
    internal PixelSamples(string name, IReadOnlyList<SpectralBand> bands, IReadOnlyList<string> featureNames,
        float[] features, bool[] labels, float[] weights, int[] x, int[] y, bool[] calibration)
    {
        Name = name;
        Bands = bands;
        FeatureNames = featureNames;
        Features = features;
        Labels = labels;
        Weights = weights;
        X = x;
        Y = y;
        Calibration = calibration;
    }

    /// <summary>Where the pixels come from (for messages).</summary>
    public string Name { get; }
    public IReadOnlyList<SpectralBand> Bands { get; }
    public IReadOnlyList<string> FeatureNames { get; }
    public int FeatureCount => FeatureNames.Count;
    public int Count => Labels.Length;
    public float[] Features { get; }
    public bool[] Labels { get; }
    public float[] Weights { get; }
    /// <summary>Column on the pair grid (pixels).</summary>
    public int[] X { get; }
    /// <summary>Row on the pair grid (pixels).</summary>
    public int[] Y { get; }
    /// <summary>True for the pixels kept out of the trees to fit the calibration and the threshold.</summary>
    public bool[] Calibration { get; }

    /// <summary>The pixels <paramref name="keep"/> accepts (by grid position), e.g. all but one spatial fold.</summary>
    public PixelSamples Where(Func<int, int, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return Select([.. Enumerable.Range(0, Count).Where(i => keep(X[i], Y[i]))]);
    }

    /// <summary>The pixels sorted by row, then column.</summary>
    internal PixelSamples InGridOrder() => Select([.. Enumerable.Range(0, Count).OrderBy(i => Y[i]).ThenBy(i => X[i])]);

    private PixelSamples Select(int[] idx)
    {
        int f = FeatureCount;
        var features = new float[idx.Length * f];
        for (int j = 0; j < idx.Length; j++) Array.Copy(Features, idx[j] * f, features, j * f, f);
        return new PixelSamples(Name, Bands, FeatureNames, features,
            [.. idx.Select(i => Labels[i])], [.. idx.Select(i => Weights[i])], [.. idx.Select(i => X[i])], [.. idx.Select(i => Y[i])], [.. idx.Select(i => Calibration[i])]);
    }
}

/// <summary>Options of <see cref="PixelSampling.Sample"/>.</summary>
public sealed record PixelSamplingOptions
{
    /// <summary>Most pixels drawn per class (changed, unchanged) and pair; about that many are drawn when a class has more.</summary>
    public int MaxPerClass { get; init; } = 20_000;

    /// <summary>Seed of the draw: the same pair, options and seed draw the same pixels.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Share of the drawn pixels kept out of the trees for the calibration and the threshold (0–0.5).</summary>
    public double CalibrationShare { get; init; } = 0.2;

    /// <summary>Tile edge in pixels: a speed knob only.</summary>
    public int TileSize { get; init; } = Detection.ChangeDetectionOptions.DefaultTileSize;
}

/// <summary>
/// Draws labelled pixels of a pair for training the pixel model: stratified per class, capped, with a
/// fixed seed. Which pixels are drawn depends only on the seed and the pixel's grid position (a hash), never
/// on the tile size or the reading order.
/// </summary>
internal static class PixelSampling
{
    /// <summary>Reference label of an unlabelled pixel.</summary>
    public const byte Unlabelled = 255;

    /// <summary>
    /// Draws the labelled pixels of <paramref name="pair"/> (truth uint8 on the before grid: 1 changed, 0 unchanged,
    /// 255 unlabelled; other values count as changed, as <see cref="Evaluation.MaskEvaluation"/>) valid in both dates.
    /// </summary>
    /// <exception cref="ChangeDetectionException">The truth is not one uint8 band covering the pair grid.</exception>
    public static PixelSamples Sample(ScenePair pair, string truthPath, PixelRadiometry radiometry, PixelFeatureSchema? schema = null, PixelSamplingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(radiometry);
        schema ??= PixelFeatureSchema.Default;
        options ??= new PixelSamplingOptions();
        if (options.MaxPerClass < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxPerClass, "MaxPerClass must be positive.");
        if (options.CalibrationShare is < 0 or > 0.5) throw new ArgumentOutOfRangeException(nameof(options), options.CalibrationShare, "CalibrationShare must be between 0 and 0.5.");
        using var truth = OpenTruth(pair, truthPath);
        var names = schema.Names(radiometry.Bands);
        int f = names.Count;
        var bandIndex = PixelRadiometry.BandIndices(pair, radiometry.Bands);

        // Stage 1: how many labelled pixels of each class, to set each class's draw probability.
        long changed = 0, unchanged = 0;
        foreach (var tile in new TileScheme(pair.Grid, options.TileSize).Tiles())
        {
            var (_, labels, valid) = ReadLabels(pair, truth, tile.Core);
            for (int i = 0; i < labels.Length; i++)
            {
                if (valid[i] == 0 || labels[i] == Unlabelled) continue;
                if (labels[i] == 0) unchanged++; else changed++;
            }
        }
        double pChanged = changed == 0 ? 0 : Math.Min(1, (double)options.MaxPerClass / changed);
        double pUnchanged = unchanged == 0 ? 0 : Math.Min(1, (double)options.MaxPerClass / unchanged);

        // Stage 2: features of the drawn pixels, tile by tile with the features' halo.
        var features = new List<float>();
        var labelList = new List<bool>();
        var xs = new List<int>();
        var ys = new List<int>();
        var calibration = new List<bool>();
        foreach (var tile in new TileScheme(pair.Grid, options.TileSize, schema.Halo).Tiles())
        {
            var core = tile.CoreInRead;
            var (_, labels, _) = ReadLabels(pair, truth, tile.Core);
            List<(int Core, int Read)>? drawn = null;
            for (int r = 0; r < core.Height; r++)
                for (int c = 0; c < core.Width; c++)
                {
                    byte label = labels[r * core.Width + c];
                    if (label == Unlabelled) continue;
                    int gx = tile.Core.X + c, gy = tile.Core.Y + r;
                    double p = label == 0 ? pUnchanged : pChanged;
                    if (Uniform(options.Seed, gx, gy, 0) >= p) continue;
                    (drawn ??= []).Add((r * core.Width + c, (core.Y + r) * tile.Read.Width + core.X + c));
                }
            if (drawn is null) continue;
            var window = ReadWindow(pair, tile.Read, radiometry, bandIndex);
            var all = schema.Compute(window);
            int n = window.PixelCount;
            foreach (var (ci, ri) in drawn)
            {
                if (window.Valid[ri] == 0) continue;
                for (int k = 0; k < f; k++) features.Add(all[k * n + ri]);
                int gx = tile.Core.X + ci % core.Width, gy = tile.Core.Y + ci / core.Width;
                labelList.Add(labels[ci] != 0);
                xs.Add(gx);
                ys.Add(gy);
                calibration.Add(Uniform(options.Seed, gx, gy, 1) < options.CalibrationShare);
            }
        }
        long drawnChanged = labelList.Count(l => l), drawnUnchanged = labelList.Count - drawnChanged;
        float wChanged = drawnChanged == 0 ? 0 : (float)((double)changed / drawnChanged);
        float wUnchanged = drawnUnchanged == 0 ? 0 : (float)((double)unchanged / drawnUnchanged);
        var drawnSet = new PixelSamples(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(truthPath))) ?? truthPath, radiometry.Bands, names,
            [.. features], [.. labelList], [.. labelList.Select(l => l ? wChanged : wUnchanged)], [.. xs], [.. ys], [.. calibration]);
        // Row-major grid order, whatever the tiles: the trees see the same pixels in the same order.
        return drawnSet.InGridOrder();
    }

    /// <summary>Reads a window of the pair in <paramref name="radiometry"/>'s band order.</summary>
    internal static PixelWindowSamples ReadWindow(ScenePair pair, PixelWindow window, PixelRadiometry radiometry, int[] bandIndex) =>
        ReadWindowAndBands(pair, window, radiometry, bandIndex).Window;

    /// <summary>Reads a window of the pair in <paramref name="radiometry"/>'s band order, and returns the pair's bands as read too (band-sequential DN).</summary>
    internal static (PixelWindowSamples Window, ushort[] Before, ushort[] After) ReadWindowAndBands(ScenePair pair, PixelWindow window, PixelRadiometry radiometry, int[] bandIndex)
    {
        int n = (int)window.PixelCount, pb = pair.Bands.Count, nb = bandIndex.Length;
        var before = new ushort[n * pb];
        var after = new ushort[n * pb];
        var valid = new byte[n];
        pair.Read(window, before, after, valid);
        if (nb == pb && bandIndex.Select((b, i) => b == i).All(x => x))
            return (new PixelWindowSamples(window, before, after, valid, radiometry), before, after);
        var b2 = new ushort[n * nb];
        var a2 = new ushort[n * nb];
        for (int k = 0; k < nb; k++)
        {
            Array.Copy(before, bandIndex[k] * n, b2, k * n, n);
            Array.Copy(after, bandIndex[k] * n, a2, k * n, n);
        }
        return (new PixelWindowSamples(window, b2, a2, valid, radiometry), before, after);
    }

    /// <summary>Opens the truth raster and checks that it is one uint8 band covering the pair grid (on the before grid).</summary>
    internal static GeoTiffReader OpenTruth(ScenePair pair, string truthPath)
    {
        if (!File.Exists(truthPath)) throw new ChangeDetectionException($"{truthPath}: reference raster not found.");
        var truth = GeoTiffReader.Open(truthPath);
        var info = truth.Info;
        if (info.DataType != RasterDataType.UInt8 || info.BandCount != 1)
        {
            truth.Dispose();
            throw new ChangeDetectionException($"{truthPath}: expected one uint8 band of 0/1/255 labels, found {info.BandCount} band(s) of {info.DataType.Name()}.");
        }
        var needed = new PixelWindow(pair.BeforeWindow.X, pair.BeforeWindow.Y, pair.Grid.Width, pair.Grid.Height);
        if (!info.Bounds.Contains(needed))
        {
            truth.Dispose();
            throw new ChangeDetectionException($"{truthPath}: {info.Width}×{info.Height} does not cover the pair grid ({needed} of the before image {pair.BeforeInfo.Path}); the reference must be on the before image's grid.");
        }
        return truth;
    }

    /// <summary>Labels and validity of a window of the pair grid (labels of invalid pixels read as unlabelled).</summary>
    private static (PixelWindow Window, byte[] Labels, byte[] Valid) ReadLabels(ScenePair pair, GeoTiffReader truth, PixelWindow window)
    {
        int n = (int)window.PixelCount, nb = pair.Bands.Count;
        var labels = new byte[n];
        truth.Read(window.Offset(pair.BeforeWindow.X, pair.BeforeWindow.Y), [0], labels.AsSpan());
        var valid = new byte[n];
        pair.Read(window, new ushort[n * nb], new ushort[n * nb], valid);
        for (int i = 0; i < n; i++) if (valid[i] == 0) labels[i] = Unlabelled;
        return (window, labels, valid);
    }

    /// <summary>A uniform number in [0, 1) from the seed, a grid position and a stream number (SplitMix64).</summary>
    internal static double Uniform(int seed, int x, int y, int stream)
    {
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)x << 32 | (uint)y) ^ (ulong)stream * 0xD1B54A32D192ED03UL);
        z = unchecked(z + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
