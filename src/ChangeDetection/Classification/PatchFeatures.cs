using ChangeDetection.Raster;
using ChangeDetection.Vectorization;
using NetTopologySuite.Algorithm;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Classification;

/// <summary>
/// The fixed, versioned feature vector of one monitoring patch (图斑), computed from the two
/// dates' pixels of the patch (its changed pixels: pixel centres inside the traced pixel-space
/// outline), the change scores they were thresholded on, and the patch's shape. The pixel sums are
/// gathered in the detection tile pass (<see cref="PatchMoments"/>, <see cref="ForPatches"/>); only
/// <see cref="Compute"/> reads the imagery again, for single patches. <see cref="Names"/> gives the meaning of every slot; any change to the
/// list, the order or a formula must bump <see cref="SchemaVersion"/>, so that a model trained
/// on another vector is refused (<see cref="PatchClassifier.Load"/>).
/// </summary>
/// <remarks>
/// Spectral statistics are over the patch's valid pixels (both dates hold data), in the images'
/// digital numbers. Bands the pair lacks, and indices that need them, are <see cref="float.NaN"/>
/// (tree learners treat NaN as missing). Per-pixel indices with a zero denominator count as 0.
/// Areas are m², lengths metres; score features are ratios to the scene's threshold.
/// </remarks>
public static class PatchFeatures
{
    /// <summary>Version of the vector layout and formulas.</summary>
    public const int SchemaVersion = 2;

    /// <summary>Bands with per-band statistics, in this order (the moments' <see cref="BandLayout.StatisticBands"/>).</summary>
    public static IReadOnlyList<SpectralBand> StatisticBands => BandLayout.StatisticBands;

    /// <summary>Number of features (slots of the vector).</summary>
    public const int Length = 4 * 5 + 12 + 7 + 2 + 3;

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
            "score_mean_ratio", "score_max_ratio", "score_std_ratio",
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

    /// <summary>
    /// The features of <paramref name="patch"/> by reading its window of <paramref name="pair"/> again.
    /// For a single patch (tests, tools); the pipeline gathers the same sums while it processes tiles
    /// (<see cref="ForPatches"/>). The change-score features are missing (NaN) here: they need the
    /// detection pass's scores.
    /// </summary>
    public static float[] Compute(ScenePair pair, Patch patch)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(patch);
        var grid = pair.Grid;
        var inner = PixelBounds.Of(patch.PixelGeometry).Intersect(grid.Bounds);
        if (inner.IsEmpty)
            throw new ChangeDetectionException($"Patch outline {patch.PixelGeometry.EnvelopeInternal} lies outside the {grid.Width}×{grid.Height} pair grid.");
        // One pixel of halo for gradients and the nodata-neighbour test.
        var window = inner.Expand(1, grid.Bounds);
        int n = (int)window.PixelCount, nb = pair.Bands.Count;
        var view = new PixelView(window, grid.Width, grid.Height, BandLayout.Of(pair.Bands), new ushort[n * nb], new ushort[n * nb], new byte[n], null);
        pair.Read(window, view.Before, view.After, view.Valid);
        var inside = Rasterise(patch.PixelGeometry, window);
        var moments = new PatchMoments();
        for (int y = 0; y < window.Height; y++)
            for (int x = 0; x < window.Width; x++)
                if (inside[y * window.Width + x]) moments.Add(view, x, y);
        return Finish(moments, patch.MapGeometry, patch.AreaM2, patch.HoleCount, float.NaN);
    }

    /// <summary>
    /// The features of every patch from the pieces the tile pass gathered (aligned with
    /// <paramref name="patches"/>): each piece joins the patch that the polygonizer found holding its first pixel
    /// (<paramref name="owners"/>, keyed by <see cref="Patch.PatchId"/>). Pieces in tile order give the same sums on every run.
    /// </summary>
    /// <param name="patches">Patches of one polygonizer run (distinct <see cref="Patch.PatchId"/>s).</param>
    /// <param name="pieces">The pieces of change of the tile pass (<see cref="Detection.ChangeDetector.TileMaskAndPieces"/>).</param>
    /// <param name="owners">The owner of each piece's first pixel (<see cref="MaskPolygonizer.PolygonizeWithOwners"/> probed with <see cref="Probes"/>).</param>
    /// <param name="threshold">The change-score threshold the mask was cut at: score features are relative to it.</param>
    public static IReadOnlyList<float[]> ForPatches(IReadOnlyList<Patch> patches, IEnumerable<PatchPiece> pieces, PixelOwners owners, float threshold)
    {
        var byPatch = ByPatch(patches, pieces, owners, threshold);
        return patches.Select(p => byPatch[p.PatchId]).ToList();
    }

    /// <summary><see cref="ForPatches"/> keyed by <see cref="Patch.PatchId"/>.</summary>
    /// <exception cref="ArgumentException">Two patches have the same <see cref="Patch.PatchId"/>.</exception>
    public static IReadOnlyDictionary<PatchId, float[]> ByPatch(IReadOnlyList<Patch> patches, IEnumerable<PatchPiece> pieces, PixelOwners owners, float threshold)
    {
        ArgumentNullException.ThrowIfNull(patches);
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(owners);
        var moments = new Dictionary<PatchId, PatchMoments>(patches.Count);
        foreach (var p in patches)
            if (!moments.TryAdd(p.PatchId, new PatchMoments()))
                throw new ArgumentException($"Two patches have the identity {p.PatchId}: the patches of one polygonizer run are needed.", nameof(patches));
        foreach (var piece in pieces)
            // A piece of a component that was dropped (below the unit) has no patch.
            if (owners.TryGetOwner(new PixelPoint(piece.X, piece.Y), out var owner) && moments.TryGetValue(owner, out var sums))
                sums.Merge(piece.Moments);
        return patches.ToDictionary(p => p.PatchId, p => Finish(moments[p.PatchId], p.MapGeometry, p.AreaM2, p.HoleCount, threshold));
    }

    /// <summary>The pixels to probe the polygonizer with so that <see cref="ForPatches"/> can join <paramref name="pieces"/>: their first pixels.</summary>
    public static IReadOnlyCollection<PixelPoint> Probes(IEnumerable<PatchPiece> pieces) =>
        pieces.Select(p => new PixelPoint(p.X, p.Y)).ToList();

    /// <summary>
    /// The feature vector from a patch's pixel sums and its delivered map outline (perimeter and shape
    /// are measured on it; area is <paramref name="areaM2"/>).
    /// </summary>
    public static float[] Finish(PatchMoments moments, Geometry mapGeometry, double areaM2, int holeCount, float threshold)
    {
        ArgumentNullException.ThrowIfNull(moments);
        ArgumentNullException.ThrowIfNull(mapGeometry);
        var m = moments.Values;
        var f = new float[Length];
        Array.Fill(f, float.NaN);
        int slot = 0;
        double valid = m[PatchMoments.ValidPixels], pixels = m[PatchMoments.Pixels];
        if (valid > 0)
        {
            for (int s = 0; s < StatisticBands.Count; s++)
            {
                int o = PatchMoments.BandSums + 4 * s;
                if (!moments.HasBand(s)) { slot += 5; continue; }
                double mb = m[o] / valid, ma = m[o + 2] / valid;
                f[slot++] = (float)mb;
                f[slot++] = (float)ma;
                f[slot++] = (float)Math.Sqrt(Math.Max(0, m[o + 1] / valid - mb * mb));
                f[slot++] = (float)Math.Sqrt(Math.Max(0, m[o + 3] / valid - ma * ma));
                f[slot++] = (float)NormDiff(ma, mb);
            }
            if (moments.HasNdvi) { f[slot] = (float)(m[PatchMoments.NdviBefore] / valid); f[slot + 1] = (float)(m[PatchMoments.NdviAfter] / valid); f[slot + 2] = f[slot + 1] - f[slot]; }
            slot += 3;
            if (moments.HasNdwi) { f[slot] = (float)(m[PatchMoments.NdwiBefore] / valid); f[slot + 1] = (float)(m[PatchMoments.NdwiAfter] / valid); f[slot + 2] = f[slot + 1] - f[slot]; }
            slot += 3;
            double brB = m[PatchMoments.BrightBefore] / valid, brA = m[PatchMoments.BrightAfter] / valid;
            double grB = m[PatchMoments.GradBefore] / valid, grA = m[PatchMoments.GradAfter] / valid;
            f[slot++] = (float)brB;
            f[slot++] = (float)brA;
            f[slot++] = (float)NormDiff(brA, brB);
            f[slot++] = (float)grB;
            f[slot++] = (float)grA;
            f[slot++] = (float)NormDiff(grA, grB);
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
        f[slot++] = pixels > 0 ? (float)(valid / pixels) : 0;
        f[slot++] = pixels > 0 ? (float)(m[PatchMoments.EdgePixels] / pixels) : 0;
        f[slot++] = (float)Math.Log10(Math.Max(pixels, 1));
        f[slot++] = (float)rectFill;

        double scored = m[PatchMoments.ScoreCount];
        if (scored > 0 && threshold > 0)
        {
            double mean = m[PatchMoments.ScoreSum] / scored;
            f[slot] = (float)(mean / threshold);
            f[slot + 1] = (float)(m[PatchMoments.ScoreMax] / threshold);
            f[slot + 2] = (float)(Math.Sqrt(Math.Max(0, m[PatchMoments.ScoreSum2] / scored - mean * mean)) / threshold);
        }
        slot += 3;
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

    /// <summary>(after − before) / (after + before), 0 when both are 0.</summary>
    private static double NormDiff(double after, double before) => after + before > 0 ? (after - before) / (after + before) : 0;
}
