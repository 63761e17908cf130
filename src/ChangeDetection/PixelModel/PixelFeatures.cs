using ChangeDetection.Raster;

namespace ChangeDetection.PixelModel;

/// <summary>
/// One window of a pair as the feature channels see it: both dates band-sequential (bands in
/// <see cref="PixelRadiometry.Bands"/> order, row-major, window-sized, DN), validity (1 where both
/// dates hold data) and the pair's normalisation.
/// </summary>
public sealed record PixelWindowSamples(PixelWindow Window, ushort[] Before, ushort[] After, byte[] Valid, PixelRadiometry Radiometry)
{
    public int Width => Window.Width;
    public int Height => Window.Height;
    public int PixelCount => Window.Width * Window.Height;
}

/// <summary>
/// A named group of per-pixel feature channels. A group computes its values for every pixel of a
/// window from the window alone, so a pixel's values depend only on pixels within <see cref="Halo"/>
/// of it (and on the grid edge): read with that halo, tiles of any size give the same values.
/// Further groups (per-pixel deep-feature distances, say) are appended to a <see cref="PixelFeatureSchema"/>.
/// </summary>
public interface IPixelChannels
{
    /// <summary>Stable identifier recorded in model files; change it whenever the values change.</summary>
    string Id { get; }

    /// <summary>Pixels of context every value needs on each side.</summary>
    int Halo { get; }

    /// <summary>The channel names for a band set, in the order <see cref="Compute"/> writes them.</summary>
    IReadOnlyList<string> Names(IReadOnlyList<SpectralBand> bands);

    /// <summary>
    /// Writes the channels of every pixel of <paramref name="window"/> into <paramref name="features"/>,
    /// channel-major (channel c of pixel i at <c>c · PixelCount + i</c>). Pixels not valid get NaN.
    /// </summary>
    void Compute(PixelWindowSamples window, Span<float> features);
}

/// <summary>
/// The feature list of the pixel model: a version and the channel groups in order. A model records
/// the version, the group ids and the names it was trained on, and is refused by a build that computes
/// other ones.
/// </summary>
public sealed class PixelFeatureSchema
{
    /// <summary>Version of the default schema; bump it when any default channel changes its values.
    /// 2: the deep feature distances (<see cref="DeepChannels"/>) joined the default for band sets with red, green and blue.
    /// 3: the IR-MAD channels (<see cref="MadChannels"/>) joined the default for band sets with SWIR1. The coarse-band group
    /// (<see cref="CoarseBandChannels"/>) joined it without a new version: it has channels only for Sentinel-2 stacks, which no
    /// build before it could read, and every other band set's channels are unchanged; a model saved before it is refused
    /// all the same, by its list of group ids.</summary>
    public const int CurrentVersion = 3;

    public PixelFeatureSchema(int version, IReadOnlyList<IPixelChannels> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0) throw new ArgumentException("A feature schema needs at least one channel group.", nameof(groups));
        Version = version;
        Groups = [.. groups];
    }

    /// <summary>
    /// The hand-made spectral and texture channels (<see cref="PixelFeatures"/>), the misregistration-tolerant
    /// change channels (<see cref="ShiftTolerantFeatures"/>, which raised pixel-lopo F1 on every source) and, for band
    /// sets with red, green and blue but no SWIR1, the ResNet-18 feature distances (<see cref="DeepChannels"/>; no channels for other
    /// band sets, so the rule is the band set, never the pixel size) at strides 2, 4, 8 and 16: the stride-16 stage raised
    /// LEVIR-CD pixel-lopo F1 from 0.579 to 0.605 over strides 2–8 alone, at about twice the inference cost; and, for band
    /// sets with SWIR1, the IR-MAD channels (<see cref="MadChannels"/>): on Nanjing's 2×2 spatial folds, without the deep
    /// channels and without morphology, 0.803 without them and 0.854 with them; and, for Sentinel-2 stacks, the 20 m bands in a
    /// group of their own (<see cref="CoarseBandChannels"/>; every other group sees the 10 m bands, <see cref="PixelBandSets"/>).
    /// </summary>
    public static PixelFeatureSchema Default { get; } = new(CurrentVersion, [new PixelFeatures(), new ShiftTolerantFeatures(), new DeepChannels(options: new Deep.DeepFeatureOptions { Layers = Deep.DeepLayer.All }, exceptSwir: true), new MadChannels(), new CoarseBandChannels()]);

    public int Version { get; }
    public IReadOnlyList<IPixelChannels> Groups { get; }

    /// <summary>The widest context of any group (pixels).</summary>
    public int Halo => Groups.Max(g => g.Halo);

    /// <summary>
    /// The widest context of the groups that have channels for <paramref name="bands"/> (pixels): how far a pixel's
    /// values can see. A group without channels for the band set (the deep group on Landsat) sees nothing.
    /// </summary>
    public int HaloFor(IReadOnlyList<SpectralBand> bands) => Groups.Where(g => g.Names(BandsFor(g, bands)).Count > 0).Select(g => g.Halo).DefaultIfEmpty(0).Max();

    /// <summary>All channel names for a band set, group after group.</summary>
    public IReadOnlyList<string> Names(IReadOnlyList<SpectralBand> bands) => [.. Groups.SelectMany(g => g.Names(BandsFor(g, bands)))];

    /// <summary>
    /// The bands a group sees (<see cref="PixelBandSets"/>): the coarse-band group the whole set, every other group the
    /// detail bands (all of them but for Sentinel-2 stacks).
    /// </summary>
    internal static IReadOnlyList<SpectralBand> BandsFor(IPixelChannels group, IReadOnlyList<SpectralBand> bands) =>
        group is CoarseBandChannels ? bands : PixelBandSets.Detail(bands);

    /// <summary>All channels of a window, channel-major (see <see cref="IPixelChannels.Compute"/>).</summary>
    public float[] Compute(PixelWindowSamples window)
    {
        ArgumentNullException.ThrowIfNull(window);
        int n = window.PixelCount;
        var seen = Groups.Select(g => BandsFor(g, window.Radiometry.Bands)).ToArray();
        var counts = Groups.Select((g, k) => g.Names(seen[k]).Count).ToArray();
        var features = new float[counts.Sum() * n];
        int at = 0;
        for (int k = 0; k < Groups.Count; k++)
        {
            if (counts[k] == 0) continue;
            Groups[k].Compute(PixelBandSets.Select(window, seen[k]), features.AsSpan(at * n, counts[k] * n));
            at += counts[k];
        }
        return features;
    }
}

/// <summary>
/// The hand-made per-pixel channels (group <c>spectral-texture</c>): what the Python prototype of
/// issue 13 used, in units that do not depend on the scene. Every value is a pure function of the window.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>z_before_B</c>, <c>z_after_B</c>, <c>diff_B</c> per band: standardised values
/// <c>(DN − mean) · scale</c> of both dates (the after date first mapped onto the before radiometry
/// with the pair's gain and offset) and their difference, in before standard deviations.</item>
/// <item><c>cva</c>: the change-vector magnitude sqrt(Σ diff²), as the detector's kernel.</item>
/// <item><c>bright_before</c>, <c>bright_after</c>, <c>bright_diff</c>: the mean of the standardised bands.</item>
/// <item>Normalised-difference indices of each date and their change (after − before), where the bands exist:
/// NDVI (NIR, red), NDWI (green, NIR), MNDWI (green, SWIR1). On raw DN of each date: a mean/std-matched
/// value with a non-zero offset would distort the ratio (ACCURACY-NOTES), and L1C DN are reflectance × 10⁴.</item>
/// <item>For each radius r of <see cref="Radii"/> (default <see cref="DefaultRadii"/>): mean and standard deviation of <c>cva</c>, <c>bright_before</c>
/// and <c>bright_after</c> over the (2r+1)² box, valid pixels only.</item>
/// <item><c>grad_before</c>, <c>grad_after</c>, <c>grad_diff</c>: Sobel gradient magnitude of each date's
/// brightness (divided by 8, so a unit step per pixel gives 1), and after − before.</item>
/// </list>
/// Invalid pixels get NaN and are left out of every neighbourhood; a neighbour outside the window
/// or invalid counts as the centre value in the gradient.
/// </remarks>
internal sealed class PixelFeatures : IPixelChannels
{
    /// <summary>
    /// Default box radii of the texture channels, in pixels. Fixed pixel counts rather than metres: a radius
    /// derived from the nominal pixel size flips at round-off (LEVIR's 0.5 m grid is nominal), and the
    /// model learns what a scale means for the sensor it was trained on. 1, 3 and 7 px are the Python
    /// prototype's 3, 7 and 15 px boxes; the 31 px box (radius 15) spans a whole building at 0.5 m and
    /// raised leave-one-group-out F1 on LEVIR-CD by about 0.07 (OSCD and Nanjing about even).
    /// </summary>
    public static readonly IReadOnlyList<int> DefaultRadii = [1, 3, 7, 15];

    /// <param name="radii">Box radii of the texture channels (pixels, 1 or more); <see cref="DefaultRadii"/> when null.</param>
    public PixelFeatures(IReadOnlyList<int>? radii = null)
    {
        radii ??= DefaultRadii;
        if (radii.Count == 0 || radii.Any(r => r < 1)) throw new ArgumentException("Texture radii must be 1 pixel or more.", nameof(radii));
        Radii = [.. radii];
    }

    /// <summary>Box radii of the texture channels (pixels).</summary>
    public IReadOnlyList<int> Radii { get; }

    /// <summary>The group and its radii: a model trained with other radii is refused.</summary>
    public string Id => $"spectral-texture-1:r{string.Join(",", Radii)}";

    /// <summary>The widest box radius; the gradient's one pixel fits inside it.</summary>
    public int Halo => Radii.Max();

    private static readonly (string Name, SpectralBand U, SpectralBand V)[] Indices =
    [
        ("ndvi", SpectralBand.Nir, SpectralBand.Red),
        ("ndwi", SpectralBand.Green, SpectralBand.Nir),
        ("mndwi", SpectralBand.Green, SpectralBand.Swir1),
    ];

    public IReadOnlyList<string> Names(IReadOnlyList<SpectralBand> bands)
    {
        ArgumentNullException.ThrowIfNull(bands);
        var names = new List<string>();
        foreach (var b in bands) names.Add($"z_before_{b.Name()}");
        foreach (var b in bands) names.Add($"z_after_{b.Name()}");
        foreach (var b in bands) names.Add($"diff_{b.Name()}");
        names.AddRange(["cva", "bright_before", "bright_after", "bright_diff"]);
        foreach (var (name, _, _) in AvailableIndices(bands))
            names.AddRange([$"{name}_before", $"{name}_after", $"{name}_diff"]);
        foreach (int r in Radii)
            foreach (string q in TexturedQuantities)
                names.AddRange([$"{q}_mean_r{r}", $"{q}_std_r{r}"]);
        names.AddRange(["grad_before", "grad_after", "grad_diff"]);
        return names;
    }

    private static readonly string[] TexturedQuantities = ["cva", "bright_before", "bright_after"];

    private static IEnumerable<(string Name, SpectralBand U, SpectralBand V)> AvailableIndices(IReadOnlyList<SpectralBand> bands) =>
        Indices.Where(x => bands.Contains(x.U) && bands.Contains(x.V));

    public void Compute(PixelWindowSamples window, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(window);
        var rad = window.Radiometry;
        var bands = rad.Bands;
        int nb = bands.Count, n = window.PixelCount, w = window.Width, h = window.Height;
        int count = Names(bands).Count;
        if (features.Length < count * n)
            throw new ArgumentException($"The feature buffer holds {features.Length} values; {count} channels of {n} pixels need {count * n}.", nameof(features));
        if (window.Before.Length < nb * n || window.After.Length < nb * n || window.Valid.Length < n)
            throw new ArgumentException($"The window buffers are too short for {nb} bands of {n} pixels.", nameof(window));
        var valid = window.Valid;
        int c = 0;

        // Standardised bands of both dates and their differences.
        var brightBefore = new float[n];
        var brightAfter = new float[n];
        var cva = new float[n];
        for (int b = 0; b < nb; b++)
        {
            var zb = features.Slice((c + b) * n, n);
            var za = features.Slice((c + nb + b) * n, n);
            var d = features.Slice((c + 2 * nb + b) * n, n);
            float gain = rad.Gain[b], offset = rad.Offset[b], scale = rad.Scale[b], mean = rad.BeforeMean[b];
            for (int i = 0; i < n; i++)
            {
                if (valid[i] == 0) { zb[i] = za[i] = d[i] = float.NaN; continue; }
                float vb = (window.Before[b * n + i] - mean) * scale;
                float va = (gain * window.After[b * n + i] + offset - mean) * scale;
                zb[i] = vb;
                za[i] = va;
                d[i] = va - vb;
                brightBefore[i] += vb;
                brightAfter[i] += va;
                cva[i] += (va - vb) * (va - vb);
            }
        }
        c += 3 * nb;
        for (int i = 0; i < n; i++)
        {
            bool ok = valid[i] != 0;
            cva[i] = ok ? MathF.Sqrt(cva[i]) : float.NaN;
            brightBefore[i] = ok ? brightBefore[i] / nb : float.NaN;
            brightAfter[i] = ok ? brightAfter[i] / nb : float.NaN;
        }
        cva.CopyTo(features.Slice((c++) * n, n));
        brightBefore.CopyTo(features.Slice((c++) * n, n));
        brightAfter.CopyTo(features.Slice((c++) * n, n));
        var brightDiff = features.Slice((c++) * n, n);
        for (int i = 0; i < n; i++) brightDiff[i] = brightAfter[i] - brightBefore[i];

        foreach (var (_, u, v) in AvailableIndices(bands))
        {
            int ui = IndexOf(bands, u), vi = IndexOf(bands, v);
            var before = features.Slice((c++) * n, n);
            var after = features.Slice((c++) * n, n);
            var diff = features.Slice((c++) * n, n);
            for (int i = 0; i < n; i++)
            {
                if (valid[i] == 0) { before[i] = after[i] = diff[i] = float.NaN; continue; }
                before[i] = NormalisedDifference(window.Before[ui * n + i], window.Before[vi * n + i]);
                after[i] = NormalisedDifference(window.After[ui * n + i], window.After[vi * n + i]);
                diff[i] = after[i] - before[i];
            }
        }

        foreach (int r in Radii)
            foreach (var q in new[] { cva, brightBefore, brightAfter })
            {
                BoxMeanStd(q, valid, w, h, r, features.Slice((c) * n, n), features.Slice((c + 1) * n, n));
                c += 2;
            }

        var gb = features.Slice((c++) * n, n);
        var ga = features.Slice((c++) * n, n);
        var gd = features.Slice((c++) * n, n);
        Gradient(brightBefore, valid, w, h, gb);
        Gradient(brightAfter, valid, w, h, ga);
        for (int i = 0; i < n; i++) gd[i] = ga[i] - gb[i];
    }

    private static int IndexOf(IReadOnlyList<SpectralBand> bands, SpectralBand band)
    {
        for (int i = 0; i < bands.Count; i++) if (bands[i] == band) return i;
        return -1;
    }

    /// <summary>(u − v) / (u + v) of two DN, 0 when both are 0.</summary>
    internal static float NormalisedDifference(ushort u, ushort v)
    {
        int sum = u + v;
        return sum == 0 ? 0f : (float)(u - v) / sum;
    }

    /// <summary>
    /// Mean and population standard deviation of <paramref name="q"/> over the valid pixels of the
    /// (2r+1)² box around each pixel, clipped to the window; NaN where the pixel is invalid.
    /// Separable, each box summed in a fixed order relative to its centre in double precision: a pixel's
    /// value does not depend on where the window starts, so tiles of any size agree bit for bit.
    /// </summary>
    internal static void BoxMeanStd(float[] q, byte[] valid, int w, int h, int r, Span<float> mean, Span<float> std)
    {
        int n = w * h;
        var s1 = new double[n];
        var s2 = new double[n];
        var cnt = new int[n];
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                double a = 0, b = 0;
                int m = 0;
                for (int xx = Math.Max(0, x - r), end = Math.Min(w - 1, x + r); xx <= end; xx++)
                {
                    int j = row + xx;
                    if (valid[j] == 0) continue;
                    double v = q[j];
                    a += v;
                    b += v * v;
                    m++;
                }
                s1[row + x] = a;
                s2[row + x] = b;
                cnt[row + x] = m;
            }
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (valid[i] == 0) { mean[i] = std[i] = float.NaN; continue; }
                double a = 0, b = 0;
                long m = 0;
                for (int yy = Math.Max(0, y - r), end = Math.Min(h - 1, y + r); yy <= end; yy++)
                {
                    int j = yy * w + x;
                    a += s1[j];
                    b += s2[j];
                    m += cnt[j];
                }
                // m ≥ 1: the centre is valid.
                double mu = a / m;
                mean[i] = (float)mu;
                std[i] = (float)Math.Sqrt(Math.Max(0, b / m - mu * mu));
            }
    }

    /// <summary>Sobel gradient magnitude / 8 of <paramref name="q"/>; invalid or outside neighbours take the centre value.</summary>
    internal static void Gradient(float[] q, byte[] valid, int w, int h, Span<float> result)
    {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (valid[i] == 0) { result[i] = float.NaN; continue; }
                float centre = q[i];
                float At(int dx, int dy)
                {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) return centre;
                    int j = yy * w + xx;
                    return valid[j] == 0 ? centre : q[j];
                }
                float gx = At(1, -1) + 2 * At(1, 0) + At(1, 1) - At(-1, -1) - 2 * At(-1, 0) - At(-1, 1);
                float gy = At(-1, 1) + 2 * At(0, 1) + At(1, 1) - At(-1, -1) - 2 * At(0, -1) - At(1, -1);
                result[i] = MathF.Sqrt(gx * gx + gy * gy) / 8f;
            }
    }
}
