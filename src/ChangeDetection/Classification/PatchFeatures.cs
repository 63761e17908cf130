using ChangeDetection.Raster;
using ChangeDetection.Vectorization;
using NetTopologySuite.Algorithm;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Classification;

/// <summary>
/// The fixed, versioned feature vector of one monitoring patch (图斑), computed from the two
/// dates' pixels inside the patch (pixel centre inside the traced pixel-space outline) and from
/// the patch's shape. <see cref="Names"/> gives the meaning of every slot; any change to the
/// list, the order or a formula must bump <see cref="SchemaVersion"/>, so that a model trained
/// on another vector is refused (<see cref="PatchClassifier.Load"/>).
/// </summary>
/// <remarks>
/// Spectral statistics are over the patch's valid pixels (both dates hold data). Bands the
/// pair lacks, and indices that need them, are <see cref="float.NaN"/> (tree learners treat
/// NaN as missing). Per-pixel indices with a zero denominator count as 0.
/// </remarks>
public static class PatchFeatures
{
    /// <summary>Version of the vector layout and formulas.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Bands with per-band statistics, in this order.</summary>
    public static IReadOnlyList<SpectralBand> StatisticBands { get; } = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir];

    /// <summary>Number of features (slots of the vector).</summary>
    public const int Length = 4 * 5 + 12 + 7 + 2;

    /// <summary>Name of every slot, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = BuildNames();

    private static string[] BuildNames()
    {
        var names = new List<string>();
        foreach (var b in StatisticBands)
        {
            string n = b.Name();
            names.AddRange([$"{n}_mean_before", $"{n}_mean_after", $"{n}_std_before", $"{n}_std_after", $"{n}_norm_diff"]);
        }
        names.AddRange([
            "ndvi_before", "ndvi_after", "ndvi_change",
            "ndwi_before", "ndwi_after", "ndwi_change",
            "brightness_before", "brightness_after", "brightness_norm_diff",
            "gradient_before", "gradient_after", "gradient_norm_diff",
            "area_m2_log10", "perimeter_m", "compactness", "elongation", "hole_count", "valid_fraction", "edge_fraction",
            "pixel_count_log10", "rect_fill",
        ]);
        return [.. names];
    }

    /// <summary>Index of a named slot.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static int IndexOf(string name)
    {
        for (int i = 0; i < Names.Count; i++)
            if (string.Equals(Names[i], name, StringComparison.Ordinal)) return i;
        throw new ArgumentException($"Unknown patch feature '{name}'.", nameof(name));
    }

    /// <summary>The features of <paramref name="patch"/>, whose pixel geometry is on <paramref name="pair"/>'s grid.</summary>
    public static float[] Compute(ScenePair pair, Patch patch)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(patch);
        return Compute(pair, patch.PixelGeometry, patch.MapGeometry, patch.AreaM2, patch.HoleCount);
    }

    /// <summary>
    /// The features of a patch given by its pixel-space outline (<paramref name="pixelGeometry"/>,
    /// x = column, y = row on the pair grid) and its delivered map outline (perimeter and shape are
    /// measured on it; area is <paramref name="areaM2"/>).
    /// </summary>
    public static float[] Compute(ScenePair pair, Geometry pixelGeometry, Geometry mapGeometry, double areaM2, int holeCount)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(pixelGeometry);
        ArgumentNullException.ThrowIfNull(mapGeometry);
        var f = new float[Length];
        Array.Fill(f, float.NaN);
        var grid = pair.Grid;
        var env = pixelGeometry.EnvelopeInternal;
        var inner = PixelBounds.Of(pixelGeometry).Intersect(grid.Bounds);
        int slot = 0;
        if (inner.IsEmpty)
            throw new ChangeDetectionException($"Patch outline {env} lies outside the {grid.Width}×{grid.Height} pair grid.");
        // One pixel of halo for gradients and the nodata-neighbour test.
        var window = inner.Expand(1, grid.Bounds);
        int w = window.Width, h = window.Height, n = w * h, nb = pair.Bands.Count;
        var before = new ushort[n * nb];
        var after = new ushort[n * nb];
        var valid = new byte[n];
        pair.Read(window, before, after, valid);
        var inside = Rasterise(pixelGeometry, window);

        int[] bandIndex = StatisticBands.Select(b => IndexOfBand(pair.Bands, b)).ToArray();
        // Brightness per pixel: the mean of all the pair's bands.
        var brightB = new float[n];
        var brightA = new float[n];
        for (int i = 0; i < n; i++)
        {
            double sb = 0, sa = 0;
            for (int k = 0; k < nb; k++) { sb += before[k * n + i]; sa += after[k * n + i]; }
            brightB[i] = (float)(sb / nb);
            brightA[i] = (float)(sa / nb);
        }

        long patchPixels = 0, validPixels = 0, edgePixels = 0;
        var sum = new double[2, StatisticBands.Count];
        var sum2 = new double[2, StatisticBands.Count];
        double ndviB = 0, ndviA = 0, ndwiB = 0, ndwiA = 0, brB = 0, brA = 0, grB = 0, grA = 0;
        int red = IndexOfBand(pair.Bands, SpectralBand.Red), nir = IndexOfBand(pair.Bands, SpectralBand.Nir), green = IndexOfBand(pair.Bands, SpectralBand.Green);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (!inside[i]) continue;
                patchPixels++;
                int gx = window.X + x, gy = window.Y + y;
                bool edge = gx == 0 || gy == 0 || gx == grid.Width - 1 || gy == grid.Height - 1 || valid[i] == 0;
                for (int dy = -1; dy <= 1 && !edge; dy++)
                    for (int dx = -1; dx <= 1 && !edge; dx++)
                    {
                        int xx = x + dx, yy = y + dy;
                        if (xx >= 0 && yy >= 0 && xx < w && yy < h && valid[yy * w + xx] == 0) edge = true;
                    }
                if (edge) edgePixels++;
                if (valid[i] == 0) continue;
                validPixels++;
                for (int s = 0; s < bandIndex.Length; s++)
                {
                    if (bandIndex[s] < 0) continue;
                    double vb = before[bandIndex[s] * n + i], va = after[bandIndex[s] * n + i];
                    sum[0, s] += vb; sum2[0, s] += vb * vb;
                    sum[1, s] += va; sum2[1, s] += va * va;
                }
                if (red >= 0 && nir >= 0)
                {
                    ndviB += Ratio(before[nir * n + i], before[red * n + i]);
                    ndviA += Ratio(after[nir * n + i], after[red * n + i]);
                }
                if (green >= 0 && nir >= 0)
                {
                    ndwiB += Ratio(before[green * n + i], before[nir * n + i]);
                    ndwiA += Ratio(after[green * n + i], after[nir * n + i]);
                }
                brB += brightB[i];
                brA += brightA[i];
                grB += Gradient(brightB, valid, w, h, x, y);
                grA += Gradient(brightA, valid, w, h, x, y);
            }
        }

        if (validPixels > 0)
        {
            for (int s = 0; s < bandIndex.Length; s++)
            {
                if (bandIndex[s] < 0) { slot += 5; continue; }
                double mb = sum[0, s] / validPixels, ma = sum[1, s] / validPixels;
                f[slot++] = (float)mb;
                f[slot++] = (float)ma;
                f[slot++] = (float)Math.Sqrt(Math.Max(0, sum2[0, s] / validPixels - mb * mb));
                f[slot++] = (float)Math.Sqrt(Math.Max(0, sum2[1, s] / validPixels - ma * ma));
                f[slot++] = (float)NormDiff(ma, mb);
            }
            if (red >= 0 && nir >= 0) { f[slot] = (float)(ndviB / validPixels); f[slot + 1] = (float)(ndviA / validPixels); f[slot + 2] = f[slot + 1] - f[slot]; }
            slot += 3;
            if (green >= 0 && nir >= 0) { f[slot] = (float)(ndwiB / validPixels); f[slot + 1] = (float)(ndwiA / validPixels); f[slot + 2] = f[slot + 1] - f[slot]; }
            slot += 3;
            f[slot++] = (float)(brB / validPixels);
            f[slot++] = (float)(brA / validPixels);
            f[slot++] = (float)NormDiff(brA / validPixels, brB / validPixels);
            f[slot++] = (float)(grB / validPixels);
            f[slot++] = (float)(grA / validPixels);
            f[slot++] = (float)NormDiff(grA / validPixels, grB / validPixels);
        }
        else
        {
            slot = StatisticBands.Count * 5 + 12;
        }

        double perimeter = mapGeometry.Length;
        f[slot++] = (float)Math.Log10(Math.Max(areaM2, 1e-3));
        f[slot++] = (float)perimeter;
        f[slot++] = perimeter > 0 ? (float)(4 * Math.PI * areaM2 / (perimeter * perimeter)) : 0;
        var (elongation, rectFill) = Elongation(mapGeometry, areaM2);
        f[slot++] = (float)elongation;
        f[slot++] = holeCount;
        f[slot++] = patchPixels > 0 ? (float)((double)validPixels / patchPixels) : 0;
        f[slot++] = patchPixels > 0 ? (float)((double)edgePixels / patchPixels) : 0;
        f[slot++] = (float)Math.Log10(Math.Max(patchPixels, 1));
        f[slot++] = (float)rectFill;
        System.Diagnostics.Debug.Assert(slot == Length);
        return f;
    }

    /// <summary>Pixels of <paramref name="window"/> whose centre (x + ½, y + ½) lies inside <paramref name="pixelGeometry"/> (row-major).</summary>
    public static bool[] Rasterise(Geometry pixelGeometry, PixelWindow window)
    {
        ArgumentNullException.ThrowIfNull(pixelGeometry);
        var locator = new IndexedPointInAreaLocator(pixelGeometry);
        var inside = new bool[window.PixelCount];
        var c = new Coordinate();
        for (int y = 0; y < window.Height; y++)
        {
            c.Y = window.Y + y + 0.5;
            for (int x = 0; x < window.Width; x++)
            {
                c.X = window.X + x + 0.5;
                inside[y * window.Width + x] = locator.Locate(c) == Location.Interior;
            }
        }
        return inside;
    }

    /// <summary>Long side over short side of the minimum rotated rectangle, and the patch's share of that rectangle.</summary>
    private static (double Elongation, double Fill) Elongation(Geometry g, double area)
    {
        if (g.IsEmpty) return (1, 0);
        var rect = new MinimumDiameter(g).GetMinimumRectangle();
        if (rect is not Polygon p || p.Area <= 0) return (1, 0);
        var ring = p.ExteriorRing.Coordinates;
        double a = ring[0].Distance(ring[1]), b = ring[1].Distance(ring[2]);
        double lo = Math.Min(a, b), hi = Math.Max(a, b);
        return (lo > 0 ? hi / lo : 1, Math.Clamp(area / p.Area, 0, 1));
    }

    /// <summary>Mean absolute central difference (x and y) of brightness at a pixel; neighbours outside the window or invalid fall back to the pixel itself.</summary>
    private static double Gradient(float[] v, byte[] valid, int w, int h, int x, int y)
    {
        int i = y * w + x;
        float At(int xx, int yy) => xx >= 0 && yy >= 0 && xx < w && yy < h && valid[yy * w + xx] != 0 ? v[yy * w + xx] : v[i];
        double gx = (At(x + 1, y) - At(x - 1, y)) / 2.0, gy = (At(x, y + 1) - At(x, y - 1)) / 2.0;
        return Math.Sqrt(gx * gx + gy * gy);
    }

    private static double Ratio(double a, double b) => a + b > 0 ? (a - b) / (a + b) : 0;

    /// <summary>(after − before) / (after + before), 0 when both are 0.</summary>
    private static double NormDiff(double after, double before) => after + before > 0 ? (after - before) / (after + before) : 0;

    private static int IndexOfBand(IReadOnlyList<SpectralBand> bands, SpectralBand band)
    {
        for (int i = 0; i < bands.Count; i++) if (bands[i] == band) return i;
        return -1;
    }
}
