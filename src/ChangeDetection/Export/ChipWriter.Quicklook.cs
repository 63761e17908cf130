using ChangeDetection.Raster;
using NetTopologySuite.Geometries;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Export;

public static partial class ChipWriter
{
    private static readonly Geometry NoOutline = GeometryCollection.Empty;

    /// <summary>
    /// A window of both dates rendered as the chips are (same bands, same stretch tables, nodata dark grey),
    /// without outline or label: the review page's quicklook tiles. A <see cref="ChipFrame.Step"/> above 1
    /// reads every n-th pixel (a decimated read, memory bounded as for a reduced chip).
    /// </summary>
    /// <param name="pair">The run's image pair.</param>
    /// <param name="frame">The window and its step; the result is <see cref="ChipFrame.Width"/> × <see cref="ChipFrame.Height"/> pixels, row-major.</param>
    /// <param name="limits">The scene's stretch limits (<see cref="SceneLimits(ScenePair, int[])"/> of <see cref="ColourBands"/>).</param>
    public static (Rgb24[] Before, Rgb24[] After) RenderWindow(ScenePair pair, ChipFrame frame, IReadOnlyList<StretchLimits> limits)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(limits);
        return Render(pair, frame, ColourBands(pair), limits.Select(StretchTable).ToArray(), NoOutline);
    }

    /// <summary>The indices into <see cref="ScenePair.Bands"/> the chips show as red, green and blue (one band three times without RGB).</summary>
    public static int[] ColourBands(ScenePair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        return BandsForColour(pair.Bands);
    }
}
