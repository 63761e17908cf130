using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;

namespace ChangeDetection.PixelModel;

/// <summary>
/// IR-MAD evidence per pixel (group <c>irmad</c>; <see cref="IrMad"/>, Nielsen 2007), for band sets that reach the
/// short-wave infrared, the same rule as the detector's (<see cref="ChangeDetector.UsesIrMad"/>): for others the
/// group has no channels, so the rule is the band set, never the scene.
/// </summary>
/// <remarks>
/// <para>The fit is the scene's, made once per pair without labels (<see cref="Fit"/>, carried by
/// <see cref="PixelRadiometry.Mad"/>), so a window's values never depend on the window's content. Channels:</para>
/// <list type="bullet">
/// <item><c>mad_chi</c>: the chi distance sqrt(Σ v_k²) of the MAD variates, each divided by its no-change spread
/// (sqrt of the χ²_p statistic). Unsupervised, it scored Nanjing 0.82 at its best threshold (ACCURACY-NOTES); the
/// model learns the threshold from the labels instead of Otsu.</item>
/// <item><c>mad_abs_vK</c> for K = 1 … bands: |v_K|, the variates from the least correlated (most change-bearing) on.
/// Absolute values: a canonical pair's sign is arbitrary, so a signed variate would mean opposite things in two scenes.</item>
/// <item><c>mad_chi_mean_rR</c> for R in <see cref="Radii"/>: the mean of <c>mad_chi</c> over the valid pixels of the
/// (2R+1)² box, which averages out the per-pixel noise of the statistic.</item>
/// </list>
/// Invalid pixels, and every pixel of a scene whose fit failed or was refused (<see cref="Fit"/> null), get NaN:
/// LightGBM treats them as missing.
/// </remarks>
internal sealed class MadChannels : IPixelChannels
{
    /// <summary>Box radii of the smoothed chi distance, pixels: the 3 × 3 and 7 × 7 boxes of the other groups' smallest radii (<see cref="ShiftTolerantFeatures.Radii"/>).</summary>
    public static readonly IReadOnlyList<int> Radii = ShiftTolerantFeatures.Radii;

    public string Id => $"irmad-1:r{string.Join(",", Radii)}";

    public int Halo => Radii.Max();

    /// <summary>True when the bands reach SWIR1, the detector's rule for its IR-MAD score.</summary>
    public static bool Applies(IReadOnlyList<SpectralBand> bands) => ChangeDetector.UsesIrMad(ChangeDetector.Roles(bands));

    public IReadOnlyList<string> Names(IReadOnlyList<SpectralBand> bands)
    {
        ArgumentNullException.ThrowIfNull(bands);
        if (!Applies(bands)) return [];
        return ["mad_chi", .. Enumerable.Range(1, bands.Count).Select(k => $"mad_abs_v{k}"), .. Radii.Select(r => $"mad_chi_mean_r{r}")];
    }

    public void Compute(PixelWindowSamples window, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(window);
        var bands = window.Radiometry.Bands;
        int count = Names(bands).Count, n = window.PixelCount, nb = bands.Count;
        if (count == 0) return;
        if (features.Length < count * n)
            throw new ArgumentException($"The feature buffer holds {features.Length} values; {count} channels of {n} pixels need {count * n}.", nameof(features));
        var projection = window.Radiometry.Mad;
        if (projection is null || projection.Bands != nb)
        {
            features[..(count * n)].Fill(float.NaN);
            return;
        }
        var valid = window.Valid;
        var chi = new float[n];
        var wb = projection.BeforeArray;
        var wa = projection.AfterArray;
        var offsets = projection.OffsetArray;
        for (int i = 0; i < n; i++)
        {
            if (valid[i] == 0)
            {
                chi[i] = float.NaN;
                for (int k = 0; k < projection.Count; k++) features[(1 + k) * n + i] = float.NaN;
                continue;
            }
            // The kernel's formula (ChangeProjection), in double: v_k = offset_k + Σ_j before_j·wb_kj − Σ_j after_j·wa_kj.
            double sum = 0;
            for (int k = 0; k < projection.Count; k++)
            {
                double v = offsets[k];
                for (int j = 0; j < nb; j++)
                    v += window.Before[j * n + i] * (double)wb[k * nb + j] - window.After[j * n + i] * (double)wa[k * nb + j];
                features[(1 + k) * n + i] = (float)Math.Abs(v);
                sum += v * v;
            }
            chi[i] = (float)Math.Sqrt(sum);
        }
        chi.CopyTo(features[..n]);
        var std = new float[n];
        for (int r = 0; r < Radii.Count; r++)
            PixelFeatures.BoxMeanStd(chi, valid, window.Width, window.Height, Radii[r], features.Slice((1 + nb + r) * n, n), std);
    }

    /// <summary>
    /// The scene's IR-MAD fit on <paramref name="bands"/> (DN of both dates, in that order), as the detector fits its own:
    /// on the pixels valid in both dates of its sample windows (their union read once when they overlap, so no pixel counts
    /// twice), every k-th kept so that at most <see cref="MaxFitSamples"/> remain, and refused when the sample's median pixel
    /// looks changed under the fit's own model (<see cref="ChangeDetector.FitsTheBulk"/>: the collapse onto one class seen on
    /// Sentinel-2 cities). Null when refused, when the fit fails, or when <see cref="Applies"/> is false.
    /// </summary>
    /// <param name="pair">The scene pair.</param>
    /// <param name="bands">The bands of the fit, in the order of the feature windows.</param>
    /// <param name="detector">The detector whose sample windows the fit reads (the pass-1 detector of <see cref="PixelRadiometry.Of"/>).</param>
    /// <param name="normalization">The detector's per-band fit of the same bands (the bulk check's kernel needs it).</param>
    public static ChangeProjection? Fit(ScenePair pair, IReadOnlyList<SpectralBand> bands, ChangeDetector detector, IReadOnlyList<BandNormalization> normalization)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(bands);
        ArgumentNullException.ThrowIfNull(detector);
        if (!Applies(bands)) return null;
        int[] index = PixelRadiometry.BandIndices(pair, bands);
        int nb = bands.Count, all = pair.Bands.Count;
        var windows = detector.SampleWindows(pair.Grid).ToList();
        if (windows.Count == 0) return null;
        int x0 = windows.Min(w => w.X), y0 = windows.Min(w => w.Y);
        var union = new PixelWindow(x0, y0, windows.Max(w => w.Right) - x0, windows.Max(w => w.Bottom) - y0);
        // The detector's rule for reading the union: when the windows overlap at least twofold (a small scene).
        IReadOnlyList<PixelWindow> reads = 2 * union.PixelCount <= windows.Sum(w => w.PixelCount) ? [union] : windows;
        long offered = reads.Sum(w => w.PixelCount);
        long stride = Math.Max(1, (offered + MaxFitSamples - 1) / MaxFitSamples);
        var before = Enumerable.Range(0, nb).Select(_ => new List<float>()).ToArray();
        var after = Enumerable.Range(0, nb).Select(_ => new List<float>()).ToArray();
        long seen = 0;
        foreach (var win in reads)
        {
            int n = (int)win.PixelCount;
            var b = new ushort[n * all];
            var a = new ushort[n * all];
            var valid = new byte[n];
            pair.Read(win, b, a, valid);
            for (int i = 0; i < n; i++)
            {
                if (valid[i] == 0) continue;
                if (seen++ % stride != 0) continue;
                for (int k = 0; k < nb; k++)
                {
                    before[k].Add(b[index[k] * n + i]);
                    after[k].Add(a[index[k] * n + i]);
                }
            }
        }
        var fit = IrMad.Fit([.. before.Select(l => l.ToArray())], [.. after.Select(l => l.ToArray())]);
        if (fit is null) return null;
        int m = before[0].Count;
        var sb = new ushort[nb * m];
        var sa = new ushort[nb * m];
        for (int k = 0; k < nb; k++)
            for (int i = 0; i < m; i++)
            {
                sb[k * m + i] = (ushort)before[k][i];
                sa[k * m + i] = (ushort)after[k][i];
            }
        return ChangeDetector.FitsTheBulk(fit.Projection, normalization, sb, sa, m) ? fit.Projection : null;
    }

    /// <summary>At most this many sample pixels in the fit: the detector's own cap (262 144), so a pair's fit is the detector's.</summary>
    internal const int MaxFitSamples = 262_144;
}
