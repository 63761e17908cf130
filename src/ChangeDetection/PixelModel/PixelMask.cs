using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.PixelModel;

/// <summary>What <see cref="PixelMask"/> wrote.</summary>
/// <param name="MaskPath">The mask GeoTIFF (uint8 on the pair grid: 1 change, 0 none, 255 no data in either date).</param>
/// <param name="ValidPixels">Pixels valid in both dates.</param>
/// <param name="ChangedPixels">Pixels marked change after the opening.</param>
internal sealed record PixelMaskResult(string MaskPath, long ValidPixels, long ChangedPixels);

/// <summary>
/// The change mask of a pixel model: per tile read with the model's halo, the features, the calibrated
/// probability of every pixel, probability &gt; the model's threshold → change, then a 3 × 3 opening
/// (<see cref="PixelChangeModel.OpenRadius"/>) as the detector's. Nodata in either date is never change.
/// Every pixel's features and probability depend only on pixels within the halo, so the mask does not
/// depend on the tile size.
/// </summary>
internal static class PixelMask
{
    /// <summary>Scores <paramref name="pair"/> with <paramref name="model"/> and writes the mask.</summary>
    /// <exception cref="ChangeDetectionException">The pair lacks one of the model's bands.</exception>
    public static PixelMaskResult Write(ScenePair pair, PixelChangeModel model, string maskPath, int tileSize = ChangeDetectionOptions.DefaultTileSize, PixelRadiometry? radiometry = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Write(pair, [model], (_, _) => 0, maskPath, tileSize, radiometry);
    }

    /// <summary>
    /// Scores each pixel with the model <paramref name="modelOf"/> picks by grid position (column, row): e.g. a
    /// spatial fold's model for the fold it never trained on. All models must use the same bands.
    /// </summary>
    public static PixelMaskResult Write(ScenePair pair, IReadOnlyList<PixelChangeModel> models, Func<int, int, int> modelOf, string maskPath, int tileSize = ChangeDetectionOptions.DefaultTileSize, PixelRadiometry? radiometry = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(modelOf);
        if (models.Count == 0) throw new ArgumentException("No model given.", nameof(models));
        if (tileSize < 16 || tileSize % 16 != 0)
            throw new ArgumentOutOfRangeException(nameof(tileSize), tileSize, "The tile size must be a positive multiple of 16.");
        var first = models[0];
        if (models.Any(m => !m.Bands.SequenceEqual(first.Bands) || m.Schema != first.Schema))
            throw new ArgumentException("The models of one mask must share bands and feature schema.", nameof(models));
        var bandIndex = PixelRadiometry.BandIndices(pair, first.Bands);
        radiometry ??= PixelRadiometry.Of(pair, first.Bands, schema: first.Schema);
        if (!radiometry.Bands.SequenceEqual(first.Bands))
            throw new ArgumentException("The radiometry is for other bands than the model's.", nameof(radiometry));

        var opening = new MorphologyFilter(MorphologyOperation.Open, PixelChangeModel.OpenRadius);
        var scheme = new TileScheme(pair.Grid, tileSize, first.Halo);
        int f = first.FeatureNames.Count;
        long valid = 0, changed = 0;
        var grid = pair.Grid;
        using var writer = GeoTiffWriter.Create(maskPath, ChangeDetector.MaskFileOptions(grid, tileSize));
        foreach (var tile in scheme.Tiles())
        {
            var read = tile.Read;
            var window = PixelSampling.ReadWindow(pair, read, radiometry, bandIndex);
            var features = first.Schema.Compute(window);
            int n = window.PixelCount;
            // Only the core and the opening's reach need a probability; the rest of the halo is context.
            var needed = tile.Core.Expand(opening.Halo, grid.Bounds).Offset(-read.X, -read.Y);
            var raw = new byte[n];
            Array.Fill(raw, Morphology.NoData);
            var pixels = Enumerable.Range(0, models.Count).Select(_ => new List<int>()).ToArray();
            for (int y = needed.Y; y < needed.Bottom; y++)
                for (int x = needed.X; x < needed.Right; x++)
                {
                    int i = y * read.Width + x;
                    raw[i] = Morphology.Background;
                    if (window.Valid[i] == 0) { raw[i] = Morphology.NoData; continue; }
                    pixels[modelOf(read.X + x, read.Y + y)].Add(i);
                }
            for (int m = 0; m < models.Count; m++)
            {
                var list = pixels[m];
                if (list.Count == 0) continue;
                var rows = new float[list.Count * f];
                for (int j = 0; j < list.Count; j++)
                    for (int k = 0; k < f; k++) rows[j * f + k] = features[k * n + list[j]];
                var p = models[m].Probabilities(rows, list.Count);
                for (int j = 0; j < list.Count; j++)
                    if (p[j] > models[m].Threshold) raw[list[j]] = Morphology.Change;
            }
            var opened = new byte[n];
            opening.Apply(raw, read.Width, read.Height, opened);
            var core = tile.CoreInRead;
            var coreMask = new byte[core.PixelCount];
            for (int r = 0; r < core.Height; r++)
                opened.AsSpan((core.Y + r) * read.Width + core.X, core.Width).CopyTo(coreMask.AsSpan(r * core.Width));
            foreach (byte v in coreMask)
            {
                if (v != Morphology.NoData) valid++;
                if (v == Morphology.Change) changed++;
            }
            writer.WriteWindow<byte>(tile.Core, coreMask);
        }
        return new PixelMaskResult(maskPath, valid, changed);
    }
}
