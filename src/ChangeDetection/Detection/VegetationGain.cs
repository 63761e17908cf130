using ChangeDetection.Kernels;

namespace ChangeDetection.Detection;

/// <summary>
/// Marks the change pixels where the vegetation index rose (greening: a field sown after the first date,
/// regrowth) with <see cref="Morphology.ChangeVegetationGain"/>, so that they form patches of their own.
/// </summary>
/// <remarks>
/// Greening is real spectral change, and the detector reports it; in 卫片执法 it is a pseudo-change, and the
/// classifier's to drop. But a building or earthwork inside a field that greened touches the greening,
/// and one connected component holds both: the classifier sees a large greening patch and calls the whole
/// of it pseudo-change, losing the building (measured on the 4096² demo region: 25 of 30 injected changes
/// had a patch of their own; with the split, 30 of 30). The split only delineates patches: every marked
/// pixel is still change, so pixel scores are unchanged. NDVI is taken on the delivered digital numbers
/// (not the normalised ones: an offset distorts an index) and unsmoothed.
/// </remarks>
internal static class VegetationGain
{
    /// <summary>
    /// NDVI rise (after − before) from which a change pixel counts as greening. A field that greens rises by
    /// 0.3–0.6; the NDVI of unchanged ground differs between two dates by a few hundredths. On the demo region
    /// every value from 0.05 to 0.2 separated all 30 injected changes from the greening around them.
    /// </summary>
    public const float MinRise = 0.1f;

    /// <summary>
    /// Re-marks the <see cref="Morphology.Change"/> pixels of <paramref name="mask"/> whose NDVI rose by more
    /// than <see cref="MinRise"/>. <paramref name="before"/> and <paramref name="after"/> are band-sequential
    /// digital numbers (band stride <paramref name="pixels"/>); without red and NIR bands nothing changes.
    /// </summary>
    public static void Mark(Span<byte> mask, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int pixels, BandRoles roles)
    {
        var rose = new byte[pixels];
        Flag(rose, 1, before, after, pixels, roles);
        Apply(mask, rose, 1);
    }

    /// <summary>
    /// Re-marks the <see cref="Morphology.Change"/> pixels of <paramref name="mask"/> that have <paramref name="bit"/>
    /// set in <paramref name="flags"/> (from <see cref="Flag"/>; same layout as the mask).
    /// </summary>
    public static void Apply(Span<byte> mask, ReadOnlySpan<byte> flags, byte bit)
    {
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] == Morphology.Change && (flags[i] & bit) != 0) mask[i] = Morphology.ChangeVegetationGain;
    }

    /// <summary>
    /// Sets <paramref name="bit"/> in <paramref name="flags"/> for every pixel whose NDVI rose by more than
    /// <see cref="MinRise"/>, whatever the mask will be: what <see cref="Mark"/> decides, taken before the
    /// threshold is known (<see cref="TileScoreStore"/>). Band layout as <see cref="Mark"/>.
    /// </summary>
    public static void Flag(Span<byte> flags, byte bit, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int pixels, BandRoles roles)
    {
        if (roles.Red is not int red || roles.Nir is not int nir) return;
        var rb = before.Slice(red * pixels, pixels);
        var nb = before.Slice(nir * pixels, pixels);
        var ra = after.Slice(red * pixels, pixels);
        var na = after.Slice(nir * pixels, pixels);
        for (int i = 0; i < pixels; i++)
            if (Rose(nb[i], rb[i], na[i], ra[i])) flags[i] |= bit;
    }

    /// <summary>Whether NDVI rose (after − before) by more than <see cref="MinRise"/>.</summary>
    public static bool Rose(ushort nirBefore, ushort redBefore, ushort nirAfter, ushort redAfter) =>
        Ndvi(nirAfter, redAfter) - Ndvi(nirBefore, redBefore) > MinRise;

    /// <summary>NDVI of one pixel; 0 where both bands are 0.</summary>
    public static float Ndvi(ushort nir, ushort red) => nir + red == 0 ? 0f : (float)(nir - red) / (nir + red);
}
