namespace ChangeDetection.Kernels;

/// <summary>
/// Which band (0-based, in the order the rows are given to <see cref="ChangeKernel"/>) holds
/// which part of the spectrum. Every role may be absent; the spectral-index terms of the score
/// are only computed when their bands are known.
/// </summary>
/// <param name="Red">Red band index, or null.</param>
/// <param name="Nir">Near-infrared band index, or null.</param>
/// <param name="Green">Green band index, or null.</param>
/// <param name="Swir1">Short-wave infrared 1 (~1.6 µm) band index, or null.</param>
public readonly record struct BandRoles(int? Red = null, int? Nir = null, int? Green = null, int? Swir1 = null)
{
    /// <summary>No band roles: the score is the change-vector magnitude only.</summary>
    public static BandRoles None => default;

    /// <summary>The usual 4-band order of GF-1/GF-2/GF-6 PMS and ZY-3 MUX: blue, green, red, NIR.</summary>
    public static BandRoles BlueGreenRedNir => new(Red: 2, Nir: 3, Green: 1);

    /// <summary>True when NDVI can be computed (red and NIR known).</summary>
    public bool HasNdvi => Red.HasValue && Nir.HasValue;

    /// <summary>True when a water index can be computed (green and NIR or SWIR1 known).</summary>
    public bool HasWaterIndex => Green.HasValue && (Swir1.HasValue || Nir.HasValue);

    /// <summary>
    /// The band paired with green in the water index: SWIR1 when known (MNDWI, Xu 2006, which
    /// tells water from built-up land better), else NIR (NDWI, McFeeters 1996); null when unknown.
    /// </summary>
    public int? WaterPartner => Swir1 ?? Nir;
}
