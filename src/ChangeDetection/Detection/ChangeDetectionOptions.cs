using ChangeDetection.Kernels;

namespace ChangeDetection.Detection;

/// <summary>The radiometric normalisation of pass 1.</summary>
public enum RadiometricFit
{
    /// <summary><see cref="RadiometricNormalization.MeanStdMatching(PairStatistics)"/>: every pixel counts, changed or not; scores in standard deviations of the band.</summary>
    MeanStd,

    /// <summary>
    /// <see cref="InvariantPixelNormalization"/> (the default): fitted on the pixels that did not change; scores in
    /// units of the no-change noise. Its score has a heavier tail than mean/std matching's, which misleads Otsu's
    /// threshold when a small, very bright change (a cloud) is present: hence the <see cref="Thresholds.Auto"/> rule.
    /// </summary>
    InvariantPixels,
}

/// <summary>The normalisation as written on the command line and in region configs: <c>invariant</c> or <c>meanstd</c>.</summary>
public static class RadiometricFitText
{
    /// <exception cref="FormatException">Any other text; the message names the accepted words.</exception>
    public static RadiometricFit Parse(string text) => text switch
    {
        "invariant" => RadiometricFit.InvariantPixels,
        "meanstd" => RadiometricFit.MeanStd,
        _ => throw new FormatException($"'{text}' is not a normalisation: use invariant or meanstd."),
    };
}

/// <summary>Options of <see cref="ChangeDetector"/>. Sizes and radii in pixels.</summary>
public sealed record ChangeDetectionOptions
{
    /// <summary>The default tile edge in pixels, for the detector and every other tile pass (pixel model, baseline, region config).</summary>
    public const int DefaultTileSize = 1024;

    /// <summary>Tile edge in pixels: a performance knob only (results do not depend on it). A multiple of 16.</summary>
    public int TileSize { get; init; } = DefaultTileSize;

    /// <summary>The global threshold rule (by default <see cref="Thresholds.Auto"/>, the lower of Otsu's and Kittler–Illingworth's; or Otsu, a fixed score, a percentile).</summary>
    public ThresholdRule Threshold { get; init; } = ThresholdRule.Auto();

    /// <summary>Radius of the opening that removes change specks (0 = none).</summary>
    public int OpenRadius { get; init; } = 1;

    /// <summary>Radius of the closing that fills small gaps (0 = none).</summary>
    public int CloseRadius { get; init; } = 1;

    /// <summary>
    /// Radius in pixels of the neighbourhood mean taken of each band before differencing (0 = none):
    /// it absorbs sub-pixel misregistration and speckle, the main sources of false alarms in
    /// sub-metre imagery. Null (the default) derives it from the pixel size: the radius that
    /// spans about <see cref="SmoothMetres"/> (1 px at 1 m, 2 px at 0.5 m, none at 10 m or 30 m,
    /// where one pixel already averages more than the misregistration).
    /// </summary>
    public int? SmoothRadius { get; init; }

    /// <summary>Ground distance the automatic smoothing radius spans, in metres.</summary>
    public double SmoothMetres { get; init; } = 1.0;

    /// <summary>
    /// Read the after image shifted by the co-registration of pass 1 (phase correlation on sample windows,
    /// <see cref="Registration.CoRegistration"/>; the shift is estimated and reported either way). Off by
    /// default: on the labelled pairs in shared/data the estimated shifts are right (the gradient correlation
    /// of the dates rises, e.g. abudhabi 0.38 → 0.56) but applying them lowered pixel F1 (OSCD pooled 0.335 →
    /// 0.313; nantes 0.345 → 0.205): resampling only the after image smooths it, and the difference of a
    /// smoothed and an unsmoothed image is texture change everywhere.
    /// </summary>
    public bool Register { get; init; }

    /// <summary>How the after image's radiometry is fitted to the before image's (default: on pseudo-invariant pixels).</summary>
    public RadiometricFit Normalization { get; init; } = RadiometricFit.InvariantPixels;

    /// <summary>Weight of the NDVI change term (null: the kernel's default when red and NIR exist).</summary>
    public float? NdviWeight { get; init; }

    /// <summary>Weight of the water-index change term (null: the kernel's default when green and NIR/SWIR exist).</summary>
    public float? WaterWeight { get; init; }

    /// <summary>Tiles processed at once; defaults to the number of cores.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Windows (256 × 256) sampled for the normalisation statistics, spread evenly over the grid.</summary>
    public int StatisticsWindows { get; init; } = 64;

    /// <summary>Bins of the global score histogram the threshold is taken from.</summary>
    public int HistogramBins { get; init; } = 4096;

    /// <summary>Throws <see cref="ChangeDetectionException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (TileSize < 16 || TileSize > 8192 || TileSize % 16 != 0)
            throw new ChangeDetectionException($"Tile size {TileSize} must be a multiple of 16 between 16 and 8192 pixels.");
        if (OpenRadius is < 0 or > 64) throw new ChangeDetectionException($"Opening radius {OpenRadius} must be 0..64 pixels.");
        if (CloseRadius is < 0 or > 64) throw new ChangeDetectionException($"Closing radius {CloseRadius} must be 0..64 pixels.");
        if (SmoothMetres is < 0 or > 100) throw new ChangeDetectionException($"Smoothing distance {SmoothMetres} m must be 0..100 m.");
        if (SmoothRadius is < 0 or > 16) throw new ChangeDetectionException($"Smoothing radius {SmoothRadius} must be 0..16 pixels.");
        if (Workers < 1) throw new ChangeDetectionException($"Workers {Workers} must be at least 1.");
        if (StatisticsWindows < 1) throw new ChangeDetectionException($"Statistics windows {StatisticsWindows} must be at least 1.");
        if (HistogramBins < 16) throw new ChangeDetectionException($"Histogram bins {HistogramBins} must be at least 16.");
    }

    /// <summary>The smoothing radius in pixels for a grid: <see cref="SmoothRadius"/>, or derived from the pixel size.</summary>
    public int SmoothRadiusFor(Geo.GeoGrid grid)
    {
        if (SmoothRadius is int r) return r;
        double pixel = Math.Sqrt(grid.Transform.PixelArea);
        // Degrees to metres along a meridian (about 110.6 km per degree): a geographic grid's
        // pixel size is only needed to the nearest pixel here.
        if (grid.Crs.IsGeographic) pixel *= 110_574;
        return pixel <= 0 ? 0 : (int)Math.Clamp(Math.Round(SmoothMetres / pixel), 0, 4);
    }

}
