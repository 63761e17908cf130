using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;

namespace ChangeDetection.PixelModel;

/// <summary>
/// The radiometric normalisation of one pair, for the bands a pixel model uses: per band the
/// detector's pass-1 gain and offset (after DN → before DN), its scale (1/DN, usually one over the
/// before standard deviation) and the before mean (DN) over the same sample windows. With them a
/// sample becomes a standardised value, <c>z = (DN − mean) · scale</c>, in the same units in every
/// scene, which is what lets a model trained on some pairs score another.
/// </summary>
/// <param name="Bands">The bands, in the order the feature arrays hold them.</param>
/// <param name="Gain">Per band: after DN is mapped onto before radiometry as gain · DN + offset (dimensionless).</param>
/// <param name="Offset">Per band offset (before DN).</param>
/// <param name="Scale">Per band scale (1/DN).</param>
/// <param name="BeforeMean">Per band mean of the before date over the sample windows (DN).</param>
public sealed record PixelRadiometry(IReadOnlyList<SpectralBand> Bands, float[] Gain, float[] Offset, float[] Scale, float[] BeforeMean)
{
    /// <summary>
    /// The scene's stretch and activation statistics for <see cref="DeepChannels"/> (null when the schema has no deep
    /// group or the bands lack red, green or blue).
    /// </summary>
    public DeepSceneStatistics? Deep { get; init; }

    /// <summary>
    /// The scene's IR-MAD projection of <see cref="Bands"/> for <see cref="MadChannels"/> (null when the schema has no IR-MAD
    /// group, the bands lack SWIR1, or the fit failed or was refused: the channels are then missing values).
    /// </summary>
    public ChangeProjection? Mad { get; init; }

    /// <summary>
    /// Runs the detector's pass 1 on <paramref name="pair"/> (no smoothing: the features take their own
    /// neighbourhoods, and a pixel-size driven radius would flip between nominal grids) and keeps the bands
    /// <paramref name="bands"/> (all of the pair's when null).
    /// </summary>
    /// <remarks>When <paramref name="schema"/> (the default schema when null) holds a <see cref="DeepChannels"/> group that applies
    /// to the bands, its scene statistics are computed too (<see cref="Deep"/>).</remarks>
    /// <exception cref="ChangeDetectionException">The pair lacks one of <paramref name="bands"/>, or pass 1 fails (too few bands, no overlap).</exception>
    public static PixelRadiometry Of(ScenePair pair, IReadOnlyList<SpectralBand>? bands = null, ChangeDetectionOptions? options = null, PixelFeatureSchema? schema = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        bands ??= pair.Bands;
        int[] index = BandIndices(pair, bands);
        var detector = new ChangeDetector((options ?? new ChangeDetectionOptions()) with { SmoothRadius = 0 });
        var kernel = detector.Prepare(pair).Kernel;
        var mean = BeforeMeans(pair, detector);
        schema ??= PixelFeatureSchema.Default;
        var deep = schema.Groups.OfType<DeepChannels>().FirstOrDefault();
        // The deep and IR-MAD groups see the detail bands only (PixelBandSets): their scene statistics are those of the detail bands.
        var detail = PixelBandSets.Detail(bands);
        int[] detailIndex = BandIndices(pair, detail);
        bool mad = schema.Groups.OfType<MadChannels>().Any() && MadChannels.Applies(detail);
        return new PixelRadiometry([.. bands],
            [.. index.Select(i => kernel.Bands[i].Gain)], [.. index.Select(i => kernel.Bands[i].Offset)],
            [.. index.Select(i => kernel.Bands[i].Scale)], [.. index.Select(i => (float)mean[i])])
        {
            Deep = deep is not null && deep.AppliesTo(detail) ? deep.SceneStatistics(pair) : null,
            Mad = mad ? MadChannels.Fit(pair, detail, detector, [.. detailIndex.Select(i => kernel.Bands[i])]) : null,
        };
    }

    /// <summary>Where each of <paramref name="bands"/> sits among the pair's bands (the order <see cref="ScenePair.Read"/> returns).</summary>
    /// <exception cref="ChangeDetectionException">The pair lacks one of them.</exception>
    public static int[] BandIndices(ScenePair pair, IReadOnlyList<SpectralBand> bands)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(bands);
        var missing = bands.Where(b => !pair.Bands.Contains(b)).ToList();
        if (missing.Count > 0)
            throw new ChangeDetectionException(
                $"{pair.BeforeInfo.Path} and {pair.AfterInfo.Path} share the bands {string.Join(",", pair.Bands.Select(b => b.Name()))}; the pixel model needs {string.Join(",", bands.Select(b => b.Name()))} (missing {string.Join(",", missing.Select(b => b.Name()))}). Score the pair with a model trained on its bands (cdx train --pixel-model on pairs of this sensor).");
        return [.. bands.Select(b => pair.Bands.ToList().IndexOf(b))];
    }

    /// <summary>The before mean per pair band over the detector's sample windows (pixels valid in both dates).</summary>
    private static double[] BeforeMeans(ScenePair pair, ChangeDetector detector)
    {
        int bands = pair.Bands.Count;
        var sum = new double[bands];
        long count = 0;
        foreach (var win in detector.SampleWindows(pair.Grid))
        {
            int n = (int)win.PixelCount;
            var before = new ushort[n * bands];
            var after = new ushort[n * bands];
            var valid = new byte[n];
            pair.Read(win, before, after, valid);
            for (int i = 0; i < n; i++)
            {
                if (valid[i] == 0) continue;
                count++;
                for (int k = 0; k < bands; k++) sum[k] += before[k * n + i];
            }
        }
        // Pass 1 has already refused a pair without a valid sampled pixel.
        return [.. sum.Select(s => s / Math.Max(1, count))];
    }
}
