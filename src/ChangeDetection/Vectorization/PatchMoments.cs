using ChangeDetection.Raster;

namespace ChangeDetection.Vectorization;

/// <summary>
/// Where the statistic bands and the indices' bands sit in a pair's band list (-1: the pair lacks it).
/// </summary>
public sealed record BandLayout(int[] Statistic, int Red, int Nir, int Green, int BandCount)
{
    /// <summary>Bands with per-band statistics, in this order.</summary>
    public static IReadOnlyList<SpectralBand> StatisticBands { get; } = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir];

    /// <summary>The layout of a pair with these bands.</summary>
    public static BandLayout Of(IReadOnlyList<SpectralBand> bands)
    {
        ArgumentNullException.ThrowIfNull(bands);
        int Find(SpectralBand b)
        {
            for (int i = 0; i < bands.Count; i++) if (bands[i] == b) return i;
            return -1;
        }
        return new BandLayout(StatisticBands.Select(Find).ToArray(), Find(SpectralBand.Red), Find(SpectralBand.Nir), Find(SpectralBand.Green), bands.Count);
    }

    /// <summary>Bits 0..3: the statistic bands present; bit 4: NDVI computable; bit 5: NDWI computable.</summary>
    internal int Presence { get; } = PresenceOf(Statistic, Red, Nir, Green);

    internal const int NdviBit = 1 << 4, NdwiBit = 1 << 5;

    private static int PresenceOf(int[] statistic, int red, int nir, int green)
    {
        int bits = 0;
        for (int s = 0; s < statistic.Length; s++) if (statistic[s] >= 0) bits |= 1 << s;
        if (red >= 0 && nir >= 0) bits |= NdviBit;
        if (green >= 0 && nir >= 0) bits |= NdwiBit;
        return bits;
    }
}

/// <summary>
/// One window of both dates as read (not smoothed): band-major <c>ushort</c> planes, the validity
/// of every pixel, and the change score where the caller has it. Coordinates are pixels of the pair
/// grid (<paramref name="GridWidth"/> × <paramref name="GridHeight"/>).
/// </summary>
public readonly record struct PixelView(PixelWindow Window, int GridWidth, int GridHeight, BandLayout Layout,
    ushort[] Before, ushort[] After, byte[] Valid, float[]? Scores);

/// <summary>
/// The additive sums behind a patch's spectral features: counts, per-band sums and sums of squares,
/// index sums, brightness and gradient sums, change-score sums. Sums of disjoint pixel sets merge by
/// addition, which is what lets the tile pass gather them per piece of a patch (no second read of
/// the imagery) and the patch stage add the pieces up.
/// </summary>
public sealed class PatchMoments
{
    internal const int Pixels = 0, ValidPixels = 1, EdgePixels = 2, BandSums = 3;
    internal const int NdviBefore = BandSums + 16, NdviAfter = NdviBefore + 1, NdwiBefore = NdviBefore + 2, NdwiAfter = NdviBefore + 3,
        BrightBefore = NdviBefore + 4, BrightAfter = NdviBefore + 5, GradBefore = NdviBefore + 6, GradAfter = NdviBefore + 7,
        ScoreSum = NdviBefore + 8, ScoreSum2 = NdviBefore + 9, ScoreMax = NdviBefore + 10, ScoreCount = NdviBefore + 11,
        Presence = NdviBefore + 12;
    internal const int Length = Presence + 1;

    internal readonly double[] Values = new double[Length];

    public PatchMoments() => Values[ScoreMax] = double.NegativeInfinity;

    /// <summary>Pixels added (inside the patch).</summary>
    public long PixelCount => (long)Values[Pixels];

    /// <summary>Whether the pair has statistic band <paramref name="s"/> (index into <see cref="BandLayout.StatisticBands"/>).</summary>
    public bool HasBand(int s) => ((int)Values[Presence] & (1 << s)) != 0;
    public bool HasNdvi => ((int)Values[Presence] & BandLayout.NdviBit) != 0;
    public bool HasNdwi => ((int)Values[Presence] & BandLayout.NdwiBit) != 0;

    /// <summary>Adds pixel (<paramref name="x"/>, <paramref name="y"/>) of the view's window (window-relative).</summary>
    public void Add(in PixelView view, int x, int y)
    {
        var v = Values;
        var win = view.Window;
        int w = win.Width, h = win.Height, n = w * h, i = y * w + x;
        v[Pixels]++;
        int gx = win.X + x, gy = win.Y + y;
        bool edge = gx == 0 || gy == 0 || gx == view.GridWidth - 1 || gy == view.GridHeight - 1 || view.Valid[i] == 0;
        for (int dy = -1; dy <= 1 && !edge; dy++)
            for (int dx = -1; dx <= 1 && !edge; dx++)
            {
                int xx = x + dx, yy = y + dy;
                if (xx >= 0 && yy >= 0 && xx < w && yy < h && view.Valid[yy * w + xx] == 0) edge = true;
            }
        if (edge) v[EdgePixels]++;
        var layout = view.Layout;
        v[Presence] = layout.Presence;
        if (view.Valid[i] == 0) return;
        v[ValidPixels]++;
        ushort[] before = view.Before, after = view.After;
        for (int s = 0; s < layout.Statistic.Length; s++)
        {
            int b = layout.Statistic[s];
            if (b < 0) continue;
            double vb = before[b * n + i], va = after[b * n + i];
            v[BandSums + 4 * s] += vb;
            v[BandSums + 4 * s + 1] += vb * vb;
            v[BandSums + 4 * s + 2] += va;
            v[BandSums + 4 * s + 3] += va * va;
        }
        if (layout.Red >= 0 && layout.Nir >= 0)
        {
            v[NdviBefore] += Ratio(before[layout.Nir * n + i], before[layout.Red * n + i]);
            v[NdviAfter] += Ratio(after[layout.Nir * n + i], after[layout.Red * n + i]);
        }
        if (layout.Green >= 0 && layout.Nir >= 0)
        {
            v[NdwiBefore] += Ratio(before[layout.Green * n + i], before[layout.Nir * n + i]);
            v[NdwiAfter] += Ratio(after[layout.Green * n + i], after[layout.Nir * n + i]);
        }
        v[BrightBefore] += Brightness(before, view, i);
        v[BrightAfter] += Brightness(after, view, i);
        v[GradBefore] += Gradient(before, view, x, y);
        v[GradAfter] += Gradient(after, view, x, y);
        if (view.Scores is { } scores && !float.IsNaN(scores[i]))
        {
            double s = scores[i];
            v[ScoreSum] += s;
            v[ScoreSum2] += s * s;
            v[ScoreCount]++;
            if (s > v[ScoreMax]) v[ScoreMax] = s;
        }
    }

    /// <summary>Adds another set of sums (a disjoint pixel set).</summary>
    public void Merge(PatchMoments other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int k = 0; k < Length; k++)
            Values[k] = k is ScoreMax or Presence ? Math.Max(Values[k], other.Values[k]) : Values[k] + other.Values[k];
    }

    /// <summary>The sums as bytes (for the run ledger); <see cref="Read"/> restores them exactly.</summary>
    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (double d in Values) writer.Write(d);
    }

    public static PatchMoments Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var m = new PatchMoments();
        for (int k = 0; k < Length; k++) m.Values[k] = reader.ReadDouble();
        return m;
    }

    /// <summary>Mean of all the pair's bands at a pixel.</summary>
    private static double Brightness(ushort[] plane, in PixelView view, int i)
    {
        int n = view.Window.Width * view.Window.Height, nb = view.Layout.BandCount;
        double s = 0;
        for (int k = 0; k < nb; k++) s += plane[k * n + i];
        return (float)(s / nb);
    }

    /// <summary>Mean absolute central difference (x and y) of brightness; neighbours outside the window or invalid fall back to the pixel itself.</summary>
    private static double Gradient(ushort[] plane, in PixelView view, int x, int y)
    {
        int w = view.Window.Width, h = view.Window.Height, i = y * w + x;
        var valid = view.Valid;
        var v = view;
        double At(int xx, int yy) => xx >= 0 && yy >= 0 && xx < w && yy < h && valid[yy * w + xx] != 0 ? Brightness(plane, v, yy * w + xx) : Brightness(plane, v, i);
        double gx = (At(x + 1, y) - At(x - 1, y)) / 2.0, gy = (At(x, y + 1) - At(x, y - 1)) / 2.0;
        return Math.Sqrt(gx * gx + gy * gy);
    }

    private static double Ratio(double a, double b) => a + b > 0 ? (a - b) / (a + b) : 0;
}

/// <summary>
/// The sums of one 4-connected piece of changed pixels in one tile core, with the piece's first
/// pixel (row-major; pair-grid pixels), by which the patch stage finds the patch it belongs to.
/// </summary>
public sealed record PatchPiece(int X, int Y, PatchMoments Moments);
