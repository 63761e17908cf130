using ChangeDetection.Raster;

namespace ChangeDetection.PixelModel;

/// <summary>
/// How a band set splits between the pixel model's groups: the <em>detail</em> bands, which the spectral, texture,
/// misregistration-tolerant, IR-MAD and deep groups see, and the <em>coarse</em> bands, which only
/// <see cref="CoarseBandChannels"/> sees. The split is a property of the band set, never of a scene or a pixel size.
/// </summary>
/// <remarks>
/// A band set holding one of Sentinel-2's 20 m-only bands (red edge 1–3, narrow NIR) is a Sentinel-2 stack: its detail
/// bands are the four Sentinel-2 delivers at 10 m (blue, green, red, NIR) and every other band (SWIR and red edge at 20 m)
/// is coarse. Mixed into the change magnitude, brightness, texture and gradient channels, bands at twice the pixel size
/// blur them: on the OSCD cities (pixel-lopo, 10 bands all seen by every group) abudhabi fell 0.345 → 0.175, aguasclaras
/// 0.281 → 0.170, nantes 0.395 → 0.275. Every other band set (RGB, 4-band VNIR, Landsat's six bands at one pixel size)
/// is all detail, so its channels are what they were before the split.
/// </remarks>
internal static class PixelBandSets
{
    /// <summary>The bands only Sentinel-2 (among the sensors read here) has, all at 20 m.</summary>
    public static readonly IReadOnlyList<SpectralBand> SentinelTwentyMetreOnly = [SpectralBand.RedEdge1, SpectralBand.RedEdge2, SpectralBand.RedEdge3, SpectralBand.NirNarrow];

    /// <summary>Sentinel-2's 10 m bands (B02, B03, B04, B08).</summary>
    public static readonly IReadOnlyList<SpectralBand> SentinelTenMetre = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir];

    /// <summary>True for a Sentinel-2 stack: a band set holding one of <see cref="SentinelTwentyMetreOnly"/>.</summary>
    public static bool IsSentinel2(IReadOnlyList<SpectralBand> bands) => bands.Any(SentinelTwentyMetreOnly.Contains);

    /// <summary>The bands the full-resolution groups see, in the set's order.</summary>
    public static IReadOnlyList<SpectralBand> Detail(IReadOnlyList<SpectralBand> bands) =>
        IsSentinel2(bands) ? [.. bands.Where(SentinelTenMetre.Contains)] : bands;

    /// <summary>The bands only <see cref="CoarseBandChannels"/> sees, in the set's order (none but for Sentinel-2 stacks).</summary>
    public static IReadOnlyList<SpectralBand> Coarse(IReadOnlyList<SpectralBand> bands) =>
        IsSentinel2(bands) ? [.. bands.Where(b => !SentinelTenMetre.Contains(b))] : [];

    /// <summary>
    /// The window as a group that sees only <paramref name="bands"/> reads it: the same pixels, the normalisation and the
    /// band arrays of those bands only (the arrays are shared when the bands are the window's first ones).
    /// </summary>
    public static PixelWindowSamples Select(PixelWindowSamples window, IReadOnlyList<SpectralBand> bands)
    {
        var rad = window.Radiometry;
        if (bands.SequenceEqual(rad.Bands)) return window;
        int n = window.PixelCount;
        int[] index = [.. bands.Select(b => rad.Bands.ToList().IndexOf(b))];
        if (index.Any(i => i < 0)) throw new ArgumentException($"The window holds no band {string.Join(",", bands.Where((_, k) => index[k] < 0).Select(b => b.Name()))}.", nameof(bands));
        var radiometry = rad with
        {
            Bands = bands,
            Gain = [.. index.Select(i => rad.Gain[i])],
            Offset = [.. index.Select(i => rad.Offset[i])],
            Scale = [.. index.Select(i => rad.Scale[i])],
            BeforeMean = [.. index.Select(i => rad.BeforeMean[i])],
        };
        bool prefix = index.Select((i, k) => i == k).All(x => x);
        if (prefix) return window with { Radiometry = radiometry };
        var before = new ushort[bands.Count * n];
        var after = new ushort[bands.Count * n];
        for (int k = 0; k < index.Length; k++)
        {
            Array.Copy(window.Before, index[k] * n, before, k * n, n);
            Array.Copy(window.After, index[k] * n, after, k * n, n);
        }
        return window with { Before = before, After = after, Radiometry = radiometry };
    }
}

/// <summary>
/// The coarse bands of a band set (group <c>coarse-bands</c>; <see cref="PixelBandSets.Coarse"/>: Sentinel-2's 20 m SWIR
/// and red-edge bands, resampled onto the 10 m grid) as channels of their own, so that the detail channels keep their
/// 10 m sharpness. No channels for other band sets.
/// </summary>
/// <remarks>
/// <para>Change channels only, no levels of either date: the 20 m levels (standardised values and indices of each date,
/// 18 + 4 channels) let the trees tell the training cities apart rather than change from no change: with them OSCD
/// pixel-lopo fell 0.392 → 0.377 (precision 0.39 → 0.46, recall 0.39 → 0.32).</para>
/// <list type="bullet">
/// <item><c>diff_B</c> per coarse band, as <see cref="PixelFeatures"/> computes it for the detail bands (after mapped onto
/// the before radiometry minus before, in before standard deviations).</item>
/// <item><c>cva_coarse</c>: the change-vector magnitude of the coarse bands, and its mean over the valid pixels of the
/// boxes of <see cref="Radii"/> (a 20 m pixel spans 2 × 2 pixels of the grid: the 3 × 3 box is about one 20 m pixel
/// with its bilinear spread, the 7 × 7 box its neighbours).</item>
/// <item>Where the bands exist, the change (after − before) of indices on raw DN of each date (as <see cref="PixelFeatures"/>'s):
/// NDBI = (SWIR1 − NIR)/(SWIR1 + NIR), the normalised difference built-up index (Zha et al. 2003: built-up land and bare
/// soil reflect more in SWIR1 than in NIR, vegetation less), and MNDWI = (green − SWIR1)/(green + SWIR1) (Xu 2006), which
/// <see cref="PixelFeatures"/> computes only when SWIR1 is a detail band.</item>
/// </list>
/// Invalid pixels get NaN.
/// </remarks>
internal sealed class CoarseBandChannels : IPixelChannels
{
    /// <summary>Box radii of the smoothed coarse change magnitude, pixels: the other groups' smallest boxes (<see cref="ShiftTolerantFeatures.Radii"/>).</summary>
    public static readonly IReadOnlyList<int> Radii = ShiftTolerantFeatures.Radii;

    public string Id => $"coarse-bands-1:r{string.Join(",", Radii)}";

    public int Halo => Radii.Max();

    private static readonly (string Name, SpectralBand U, SpectralBand V)[] Indices =
    [
        ("ndbi", SpectralBand.Swir1, SpectralBand.Nir),
        ("mndwi", SpectralBand.Green, SpectralBand.Swir1),
    ];

    private static IEnumerable<(string Name, SpectralBand U, SpectralBand V)> AvailableIndices(IReadOnlyList<SpectralBand> bands) =>
        Indices.Where(x => bands.Contains(x.U) && bands.Contains(x.V));

    /// <summary>The channels for a whole band set (this group reads the coarse ones and, for its indices, green and NIR).</summary>
    public IReadOnlyList<string> Names(IReadOnlyList<SpectralBand> bands)
    {
        ArgumentNullException.ThrowIfNull(bands);
        var coarse = PixelBandSets.Coarse(bands);
        if (coarse.Count == 0) return [];
        var names = new List<string>();
        foreach (var b in coarse) names.Add($"diff_{b.Name()}");
        names.Add("cva_coarse");
        foreach (int r in Radii) names.Add($"cva_coarse_mean_r{r}");
        foreach (var (name, _, _) in AvailableIndices(bands)) names.Add($"{name}_diff");
        return names;
    }

    public void Compute(PixelWindowSamples window, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(window);
        var rad = window.Radiometry;
        var bands = rad.Bands;
        int count = Names(bands).Count, n = window.PixelCount;
        if (count == 0) return;
        if (features.Length < count * n)
            throw new ArgumentException($"The feature buffer holds {features.Length} values; {count} channels of {n} pixels need {count * n}.", nameof(features));
        var coarse = PixelBandSets.Coarse(bands);
        int nc = coarse.Count;
        var valid = window.Valid;
        var cva = new float[n];
        for (int k = 0; k < nc; k++)
        {
            int b = IndexOf(bands, coarse[k]);
            var d = features.Slice(k * n, n);
            float gain = rad.Gain[b], offset = rad.Offset[b], scale = rad.Scale[b];
            for (int i = 0; i < n; i++)
            {
                if (valid[i] == 0) { d[i] = float.NaN; continue; }
                // (after mapped onto the before radiometry − before) in before standard deviations: the mean cancels.
                float v = (gain * window.After[b * n + i] + offset - window.Before[b * n + i]) * scale;
                d[i] = v;
                cva[i] += v * v;
            }
        }
        int c = nc;
        for (int i = 0; i < n; i++) cva[i] = valid[i] != 0 ? MathF.Sqrt(cva[i]) : float.NaN;
        cva.CopyTo(features.Slice((c++) * n, n));
        var std = new float[n];
        foreach (int r in Radii)
            PixelFeatures.BoxMeanStd(cva, valid, window.Width, window.Height, r, features.Slice((c++) * n, n), std);
        foreach (var (_, u, v) in AvailableIndices(bands))
        {
            int ui = IndexOf(bands, u), vi = IndexOf(bands, v);
            var diff = features.Slice((c++) * n, n);
            for (int i = 0; i < n; i++)
                diff[i] = valid[i] == 0 ? float.NaN
                    : PixelFeatures.NormalisedDifference(window.After[ui * n + i], window.After[vi * n + i])
                      - PixelFeatures.NormalisedDifference(window.Before[ui * n + i], window.Before[vi * n + i]);
        }
    }

    private static int IndexOf(IReadOnlyList<SpectralBand> bands, SpectralBand band)
    {
        for (int i = 0; i < bands.Count; i++) if (bands[i] == band) return i;
        return -1;
    }
}
