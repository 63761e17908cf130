using ChangeDetection.Raster;

namespace ChangeDetection.Detection;

/// <summary>
/// A per-pixel change decision that replaces the detector's global threshold on its score, e.g. a learned pixel
/// model's calibrated probability (<see cref="PixelModel.PixelTileMask"/>). The detector still scores every tile
/// (its scores feed the patch features) but takes the mask of each tile's core from here.
/// </summary>
public interface IChangeDecision
{
    /// <summary>
    /// The mask of <paramref name="tile"/>'s core (row-major, core-sized): <see cref="Kernels.Morphology.Change"/>,
    /// <see cref="Kernels.Morphology.ChangeVegetationGain"/>, <see cref="Kernels.Morphology.Background"/> or
    /// <see cref="Kernels.Morphology.NoData"/>, after the morphology. It must depend on the core alone, never on the
    /// tile size or on the halo of <paramref name="tile"/>, so that the mask stays tile-independent.
    /// </summary>
    byte[] CoreMask(Tile tile);
}
