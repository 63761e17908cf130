using ChangeDetection.Raster;

namespace ChangeDetection.PixelModel;

/// <summary>
/// Change channels that tolerate a residual misregistration of about a pixel (group <c>shift-tolerant</c>;
/// OSCD's resampled grids keep shifts of 0.3–1.3 px, ACCURACY-NOTES): an edge that moved by a pixel makes a
/// large plain difference but a small one in these channels.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>cva_min_shift1</c>: the smallest change-vector magnitude between the after pixel and any valid
/// before pixel of its 3 × 3 neighbourhood (standardised bands, as <see cref="PixelFeatures"/>).</item>
/// <item><c>cva_smooth_rR</c> for R in <see cref="Radii"/>: the change-vector magnitude of the two dates' box
/// means (valid pixels of the (2R+1)² box), what the detector's smoothing does.</item>
/// </list>
/// Invalid pixels get NaN.
/// </remarks>
internal sealed class ShiftTolerantFeatures : IPixelChannels
{
    /// <summary>Box radii of the smoothed change vector, pixels (fixed, not from the pixel size: see <see cref="PixelFeatures.Radii"/>).</summary>
    public static readonly IReadOnlyList<int> Radii = [1, 3];

    public string Id => "shift-tolerant-1";

    public int Halo => Math.Max(1, Radii.Max());

    public IReadOnlyList<string> Names(IReadOnlyList<SpectralBand> bands) =>
        ["cva_min_shift1", .. Radii.Select(r => $"cva_smooth_r{r}")];

    public void Compute(PixelWindowSamples window, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(window);
        var rad = window.Radiometry;
        int nb = rad.Bands.Count, n = window.PixelCount, w = window.Width, h = window.Height;
        if (features.Length < (1 + Radii.Count) * n)
            throw new ArgumentException($"The feature buffer holds {features.Length} values; {1 + Radii.Count} channels of {n} pixels need more.", nameof(features));
        var valid = window.Valid;
        var zb = new float[nb][];
        var za = new float[nb][];
        for (int b = 0; b < nb; b++)
        {
            zb[b] = new float[n];
            za[b] = new float[n];
            float gain = rad.Gain[b], offset = rad.Offset[b], scale = rad.Scale[b], mean = rad.BeforeMean[b];
            for (int i = 0; i < n; i++)
            {
                zb[b][i] = (window.Before[b * n + i] - mean) * scale;
                za[b][i] = (gain * window.After[b * n + i] + offset - mean) * scale;
            }
        }

        var minShift = features[..n];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (valid[i] == 0) { minShift[i] = float.NaN; continue; }
                float best = float.PositiveInfinity;
                // Fixed neighbour order: the minimum is the same whatever the window origin.
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int xx = x + dx, yy = y + dy;
                        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                        int j = yy * w + xx;
                        if (valid[j] == 0) continue;
                        float s = 0;
                        for (int b = 0; b < nb; b++)
                        {
                            float d = za[b][i] - zb[b][j];
                            s += d * d;
                        }
                        best = Math.Min(best, s);
                    }
                minShift[i] = MathF.Sqrt(best);
            }

        var mean1 = new float[n];
        var std1 = new float[n];
        var mean2 = new float[n];
        for (int k = 0; k < Radii.Count; k++)
        {
            var result = features.Slice((1 + k) * n, n);
            result.Clear();
            for (int b = 0; b < nb; b++)
            {
                PixelFeatures.BoxMeanStd(zb[b], valid, w, h, Radii[k], mean1, std1);
                PixelFeatures.BoxMeanStd(za[b], valid, w, h, Radii[k], mean2, std1);
                for (int i = 0; i < n; i++)
                {
                    float d = mean2[i] - mean1[i];
                    result[i] += d * d;
                }
            }
            for (int i = 0; i < n; i++) result[i] = valid[i] == 0 ? float.NaN : MathF.Sqrt(result[i]);
        }
    }
}
