using ChangeDetection.Deep;
using ChangeDetection.Raster;

namespace ChangeDetection.PixelModel;

/// <summary>
/// What <see cref="DeepChannels"/> needs of a whole scene, computed once per pair (<see cref="DeepChannels.SceneStatistics"/>)
/// and carried by <see cref="PixelRadiometry.Deep"/>, so no window's values depend on the window's content statistics.
/// </summary>
/// <param name="Before">The before date's 2–98 % stretch of red, green and blue (in that order).</param>
/// <param name="After">The after date's stretch of red, green and blue.</param>
/// <param name="Normalization">Channel means and standard deviations of both dates' activations over the scene's sample windows.</param>
public sealed record DeepSceneStatistics(IReadOnlyList<BandStretch> Before, IReadOnlyList<BandStretch> After, DeepNormalization Normalization);

/// <summary>
/// Per-pixel distances of pretrained ResNet-18 features between the dates (group <c>deep-resnet18</c>): for each layer of
/// <see cref="Layers"/> (default strides 2, 4 and 8) the Euclidean and the cosine distance of the two dates' normalised
/// activation vectors, bilinearly interpolated to pixels (<see cref="DeepFeatureExtractor"/>). Only for band sets with
/// red, green and blue: for others the group has no channels (or, when <see cref="Required"/>, refuses the bands).
/// </summary>
/// <remarks>
/// <para>Tile independence: each date's red, green and blue are stretched to 0–255 with the scene's fixed 2–98 % limits
/// and the activations normalised with the scene's channel statistics (<see cref="DeepSceneStatistics"/>, in
/// <see cref="PixelRadiometry.Deep"/>); the window is padded by reflection on the left and top so that the network's
/// input starts on the 16-pixel lattice of the pair grid (the feature cells of every tiling line up), and on the right
/// and bottom to a multiple of 16 pixels, as the extractor would. A pixel at least <see cref="Halo"/> pixels inside the
/// window (or at the grid edge) then gets the values the whole scene gives it.</para>
/// <para>Invalid pixels get NaN, as in the other groups; the distances of valid pixels near nodata see the nodata DN
/// stretched like any other.</para>
/// <para>Each thread loads its own extractor (one ONNX Runtime thread per inference) on first use and keeps it until
/// <see cref="Dispose"/>.</para>
/// </remarks>
internal sealed class DeepChannels : IPixelChannels, IDisposable
{
    /// <summary>The bands the network sees, in the order of <see cref="DeepSceneStatistics.Before"/>.</summary>
    public static readonly IReadOnlyList<SpectralBand> RgbBands = [SpectralBand.Red, SpectralBand.Green, SpectralBand.Blue];

    /// <summary>Percentiles of each date's fixed stretch.</summary>
    public const double LowPercent = 2, HighPercent = 98;

    /// <summary>Side of the scene sample windows (pixels) and how many per side of the lattice (at most 16 windows).</summary>
    private const int StatisticsWindow = 256, StatisticsWindowsPerSide = 4;

    private readonly DeepFeatureOptions _options;
    private readonly ThreadLocal<DeepFeatureExtractor> _extractor;

    /// <param name="required">Refuse band sets without red, green and blue instead of computing no channels for them.</param>
    /// <param name="options">The extractor's model path and layers (<see cref="DeepLayer.Default"/>); one inference thread each.</param>
    /// <param name="exceptSwir">No channels for band sets that reach SWIR1 either (<see cref="ExceptSwir"/>).</param>
    public DeepChannels(bool required = false, DeepFeatureOptions? options = null, bool exceptSwir = false)
    {
        ExceptSwir = exceptSwir;
        _options = (options ?? new DeepFeatureOptions()) with { IntraOpNumThreads = 1 };
        ArgumentNullException.ThrowIfNull(_options.Layers);
        Required = required;
        Layers = [.. _options.Layers];
        _extractor = new ThreadLocal<DeepFeatureExtractor>(() => new DeepFeatureExtractor(_options), trackAllValues: true);
    }

    /// <summary>True: a band set without red, green and blue is an error rather than no channels.</summary>
    public bool Required { get; }

    /// <summary>
    /// True: band sets that reach SWIR1 (multispectral medium-resolution sensors: Landsat, Sentinel-2 stacks) get no
    /// channels, like band sets without red, green and blue. The network was trained on natural-colour photographs;
    /// on the 30 m Landsat pair its distances are smooth over many pixels and let the trees learn places rather than
    /// change: Nanjing's 2×2 spatial folds scored 0.766 with them and 0.809 without (with the IR-MAD channels, the
    /// detector's morphology), and they had already lowered it from 0.739 to 0.702 when they joined (README).
    /// </summary>
    public bool ExceptSwir { get; }

    /// <summary>The layers whose distances are channels.</summary>
    public IReadOnlyList<DeepLayer> Layers { get; }

    /// <summary>The group, its layers and its stretch: a model trained with other ones is refused.</summary>
    public string Id => $"deep-resnet18-1:{string.Join(",", Layers.Select(l => l.Name))}:p{LowPercent}-{HighPercent}{(ExceptSwir ? ":no-swir" : "")}";

    /// <summary>The extractor's receptive halo rounded up to the 16-pixel lattice (64 px for the default layers).</summary>
    public int Halo => (DeepFeatureExtractor.HaloOf(Layers) + DeepFeatureExtractor.PadMultiple - 1) / DeepFeatureExtractor.PadMultiple * DeepFeatureExtractor.PadMultiple;

    /// <summary>True when <paramref name="bands"/> hold red, green and blue.</summary>
    public static bool Applies(IReadOnlyList<SpectralBand> bands) => RgbBands.All(bands.Contains);

    /// <summary>True when this group computes channels for <paramref name="bands"/>: red, green and blue, and no SWIR1 when <see cref="ExceptSwir"/>.</summary>
    public bool AppliesTo(IReadOnlyList<SpectralBand> bands) => Applies(bands) && !(ExceptSwir && bands.Contains(SpectralBand.Swir1));

    public IReadOnlyList<string> Names(IReadOnlyList<SpectralBand> bands)
    {
        ArgumentNullException.ThrowIfNull(bands);
        if (!Applies(bands))
        {
            if (Required)
                throw new ChangeDetectionException(
                    $"The deep feature channels need red, green and blue bands; the bands are {string.Join(",", bands.Select(b => b.Name()))} (missing {string.Join(",", RgbBands.Where(b => !bands.Contains(b)).Select(b => b.Name()))}). Use a feature schema without the deep group for this sensor.");
            return [];
        }
        if (!AppliesTo(bands)) return [];
        return [.. Layers.SelectMany(l => new[] { $"deep_{l.Name}_euclid", $"deep_{l.Name}_cosine" })];
    }

    public void Compute(PixelWindowSamples window, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(window);
        var rad = window.Radiometry;
        int count = Names(rad.Bands).Count;
        if (count == 0) return;
        int n = window.PixelCount, w = window.Width, h = window.Height;
        if (features.Length < count * n)
            throw new ArgumentException($"The feature buffer holds {features.Length} values; {count} channels of {n} pixels need {count * n}.", nameof(features));
        var stats = rad.Deep ?? throw new InvalidOperationException(
            "The deep feature channels need the scene's stretch and activation statistics: build the radiometry with PixelRadiometry.Of(pair, bands, options, schema) for a schema holding this group.");
        if (!stats.Normalization.Layers.SequenceEqual(Layers))
            throw new InvalidOperationException("The scene's deep statistics were computed for other layers than this group's.");
        int[] rgb = [.. RgbBands.Select(b => IndexOf(rad.Bands, b))];
        var (before, after, padLeft, padTop) = Tiles(window.Window, window.Before, window.After, rgb, stats);
        var evidence = _extractor.Value!.Compute(before, after, stats.Normalization);
        var valid = window.Valid;
        for (int c = 0; c < count; c++)
        {
            var plane = evidence.Channels[c];
            var dst = features.Slice(c * n, n);
            for (int y = 0; y < h; y++)
            {
                plane.AsSpan((y + padTop) * before.Width + padLeft, w).CopyTo(dst.Slice(y * w, w));
                for (int x = 0; x < w; x++)
                    if (valid[y * w + x] == 0) dst[y * w + x] = float.NaN;
            }
        }
    }

    /// <summary>
    /// The scene statistics of a pair (bands in the pair's order): each date's red, green and blue stretch from the
    /// DN histograms of the pixels valid in both dates over a lattice of up to 16 windows of 256², then the channel
    /// statistics of both dates' activations over the same windows. The lattice depends on the grid alone.
    /// </summary>
    /// <exception cref="ChangeDetectionException">The pair lacks red, green or blue, or no sampled pixel is valid.</exception>
    public DeepSceneStatistics SceneStatistics(ScenePair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        int[] rgb = PixelRadiometry.BandIndices(pair, RgbBands);
        int pb = pair.Bands.Count;
        var windows = SampleWindows(pair.Grid);
        var hb = Enumerable.Range(0, 3).Select(_ => new long[65536]).ToArray();
        var ha = Enumerable.Range(0, 3).Select(_ => new long[65536]).ToArray();
        foreach (var win in windows)
        {
            var (before, after, valid) = Read(pair, win);
            int n = (int)win.PixelCount;
            for (int k = 0; k < 3; k++)
                for (int i = 0; i < n; i++)
                {
                    if (valid[i] == 0) continue;
                    hb[k][before[rgb[k] * n + i]]++;
                    ha[k][after[rgb[k] * n + i]]++;
                }
        }
        BandStretch[] Stretches(long[][] hist, string date)
        {
            try { return [.. hist.Select(x => BandStretch.FromHistogram(x, LowPercent, HighPercent))]; }
            catch (ChangeDetectionException e)
            {
                throw new ChangeDetectionException($"{pair.BeforeInfo.Path} / {pair.AfterInfo.Path}: no pixel valid in both dates in the deep features' sample windows ({date}): {e.Message}", e);
            }
        }
        var sb = Stretches(hb, "before");
        var sa = Stretches(ha, "after");
        var builder = new DeepNormalizationBuilder(Layers);
        var stretchOnly = new DeepSceneStatistics(sb, sa, new DeepNormalization(Layers,
            [.. Layers.Select(l => new float[l.Channels])], [.. Layers.Select(l => Enumerable.Repeat(1f, l.Channels).ToArray())]));
        var extractor = _extractor.Value!;
        foreach (var win in windows)
        {
            var (before, after, _) = Read(pair, win);
            var (tb, ta, _, _) = Tiles(win, before, after, rgb, stretchOnly);
            builder.Add(extractor.Activations(tb));
            builder.Add(extractor.Activations(ta));
        }
        return new DeepSceneStatistics(sb, sa, builder.Build());
    }

    private static (ushort[] Before, ushort[] After, byte[] Valid) Read(ScenePair pair, PixelWindow win)
    {
        int n = (int)win.PixelCount, pb = pair.Bands.Count;
        var before = new ushort[n * pb];
        var after = new ushort[n * pb];
        var valid = new byte[n];
        pair.Read(win, before, after, valid);
        return (before, after, valid);
    }

    /// <summary>Up to 16 windows of at most 256² on a regular lattice over the grid (as the detector's sample windows).</summary>
    internal static IReadOnlyList<PixelWindow> SampleWindows(Geo.GeoGrid grid)
    {
        int w = Math.Min(StatisticsWindow, grid.Width), h = Math.Min(StatisticsWindow, grid.Height);
        var result = new List<PixelWindow>();
        for (int j = 0; j < StatisticsWindowsPerSide; j++)
            for (int i = 0; i < StatisticsWindowsPerSide; i++)
            {
                var win = new PixelWindow((int)((grid.Width - w) * ((i + 0.5) / StatisticsWindowsPerSide)),
                    (int)((grid.Height - h) * ((j + 0.5) / StatisticsWindowsPerSide)), w, h);
                if (!result.Contains(win)) result.Add(win);
            }
        return result;
    }

    /// <summary>
    /// Both dates of a window as network input: stretched to 0–255, padded by reflection on the left and top to the
    /// 16-pixel lattice of the grid and on the right and bottom to a multiple of 16 pixels (at least 32).
    /// </summary>
    private static (RgbTile Before, RgbTile After, int PadLeft, int PadTop) Tiles(PixelWindow window, ushort[] before, ushort[] after, int[] rgb, DeepSceneStatistics stats)
    {
        const int m = DeepFeatureExtractor.PadMultiple;
        int w = window.Width, h = window.Height, n = w * h;
        int padLeft = window.X % m, padTop = window.Y % m;
        int pw = Math.Max(DeepFeatureExtractor.MinTileSize, (padLeft + w + m - 1) / m * m);
        int ph = Math.Max(DeepFeatureExtractor.MinTileSize, (padTop + h + m - 1) / m * m);
        var sx = new int[pw];
        var sy = new int[ph];
        for (int x = 0; x < pw; x++) sx[x] = Mirror(x - padLeft, w);
        for (int y = 0; y < ph; y++) sy[y] = Mirror(y - padTop, h);
        RgbTile Tile(ushort[] dn, IReadOnlyList<BandStretch> stretch)
        {
            var planes = new float[3][];
            var stretched = new float[n];
            for (int k = 0; k < 3; k++)
            {
                stretch[k].Apply(dn.AsSpan(rgb[k] * n, n), stretched);
                var plane = planes[k] = new float[pw * ph];
                for (int y = 0; y < ph; y++)
                {
                    int row = sy[y] * w;
                    for (int x = 0; x < pw; x++) plane[y * pw + x] = stretched[row + sx[x]];
                }
            }
            return new RgbTile(pw, ph, planes[0], planes[1], planes[2]);
        }
        return (Tile(before, stats.Before), Tile(after, stats.After), padLeft, padTop);
    }

    /// <summary>Releases every thread's extractor (the default schema's group lives as long as the process).</summary>
    public void Dispose()
    {
        foreach (var e in _extractor.Values) e.Dispose();
        _extractor.Dispose();
    }

    /// <summary>Reflection without repeating the edge (numpy "reflect"), periodic for indices beyond one reflection.</summary>
    internal static int Mirror(int i, int size)
    {
        if (size == 1) return 0;
        int period = 2 * (size - 1);
        i %= period;
        if (i < 0) i += period;
        return i < size ? i : period - i;
    }

    private static int IndexOf(IReadOnlyList<SpectralBand> bands, SpectralBand band)
    {
        for (int i = 0; i < bands.Count; i++) if (bands[i] == band) return i;
        return -1;
    }
}
