namespace ChangeDetection.Raster;

/// <summary>
/// The values of a change-mask file (uint8), a format both the kernels that make masks and the writers that store them
/// use: 0 no change, 1 change, 2 change where the vegetation index rose (greening), 255 no data in either date.
/// </summary>
internal static class MaskValues
{
    /// <summary>No change.</summary>
    public const byte Background = 0;

    /// <summary>Change.</summary>
    public const byte Change = 1;

    /// <summary>Change where the vegetation index rose (greening).</summary>
    public const byte ChangeVegetationGain = 2;

    /// <summary>No data in either date (never change).</summary>
    public const byte NoData = 255;
}
