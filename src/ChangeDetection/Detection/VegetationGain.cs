using System.Numerics;
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
    /// Turns the change pixels of <paramref name="mask"/> that have <paramref name="bit"/> set in <paramref name="flags"/>
    /// (from <see cref="FlagVegetated"/>; same layout as the mask) back to <see cref="Morphology.Background"/>.
    /// </summary>
    public static void Clear(Span<byte> mask, ReadOnlySpan<byte> flags, byte bit)
    {
        for (int i = 0; i < mask.Length; i++)
            if (Morphology.IsChange(mask[i]) && (flags[i] & bit) != 0) mask[i] = Morphology.Background;
    }

    /// <summary>
    /// Sets <paramref name="bit"/> in <paramref name="flags"/> for every pixel whose NDVI rose by more than
    /// <see cref="MinRise"/>, whatever the mask will be: what <see cref="Mark"/> decides, taken before the
    /// threshold is known (<see cref="TileScoreStore"/>). Band layout as <see cref="Mark"/>.
    /// </summary>
    public static unsafe void Flag(Span<byte> flags, byte bit, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int pixels, BandRoles roles) =>
        FlagWhere(flags, bit, before, after, pixels, roles, &Rose);

    /// <summary>
    /// NDVI from which ground counts as vegetated (crop, grass, trees). 0.3 is the usual cut between bare or
    /// built ground (soil 0.1–0.2, roofs, roads and water below 0.15) and vegetation cover in remote-sensing
    /// practice; it was not tuned on the labelled pairs nor on the demo (the synthetic roofs, soil, earthworks,
    /// panels and water lie below 0.2, its crops and trees above 0.45, so any value from 0.2 to 0.45 splits them the same).
    /// </summary>
    public const float MinVegetation = 0.3f;

    /// <summary>
    /// Sets <paramref name="bit"/> in <paramref name="flags"/> for every pixel that <see cref="StaysVegetated"/>:
    /// ground that is vegetated on both dates and lost no vegetation, which in 卫片执法 is never a change (the
    /// land-use changes it looks for, farmland, forest or water becoming built, bare, road, pond or solar, all
    /// end with little vegetation or with a clear loss of it). Band layout as <see cref="Mark"/>; without red
    /// and NIR bands nothing is flagged.
    /// </summary>
    public static unsafe void FlagVegetated(Span<byte> flags, byte bit, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int pixels, BandRoles roles) =>
        FlagWhere(flags, bit, before, after, pixels, roles, &StaysVegetated);

    /// <summary>
    /// <see cref="Flag"/> with <paramref name="greening"/> and <see cref="FlagVegetated"/> with <paramref name="vegetated"/> in
    /// one pass: each date's NDVI is taken once per pixel (the two tests share it), with vectors when the hardware has
    /// them. The same IEEE single-precision operations as <see cref="Ndvi(ushort, ushort)"/>, <see cref="Rose"/> and
    /// <see cref="StaysVegetated"/> (exact int-to-float conversions, one division, one subtraction, the same comparisons),
    /// so the flags are those of the two separate passes, bit for bit; the internal overload without vectors is the scalar twin.
    /// </summary>
    public static void FlagGreeningAndVegetated(Span<byte> flags, byte greening, byte vegetated, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after,
        int pixels, BandRoles roles) =>
        FlagGreeningAndVegetated(flags, greening, vegetated, before, after, pixels, roles, System.Numerics.Vector.IsHardwareAccelerated);

    /// <summary>As the public overload; <paramref name="vectors"/> false runs the scalar twin.</summary>
    internal static void FlagGreeningAndVegetated(Span<byte> flags, byte greening, byte vegetated, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after,
        int pixels, BandRoles roles, bool vectors)
    {
        if (roles.Red is not int red || roles.Nir is not int nir) return;
        var rb = before.Slice(red * pixels, pixels);
        var nb = before.Slice(nir * pixels, pixels);
        var ra = after.Slice(red * pixels, pixels);
        var na = after.Slice(nir * pixels, pixels);
        int i = 0;
        if (vectors) i = FlagVectors(flags, greening, vegetated, rb, nb, ra, na);
        for (; i < pixels; i++)
        {
            float b = Ndvi(nb[i], rb[i]), a = Ndvi(na[i], ra[i]);
            if (a - b > MinRise) flags[i] |= greening;
            if (b >= MinVegetation && a >= MinVegetation && a - b >= -MinRise) flags[i] |= vegetated;
        }
    }

    /// <summary>
    /// The vector loop of <see cref="FlagGreeningAndVegetated(Span{byte}, byte, byte, ReadOnlySpan{ushort}, ReadOnlySpan{ushort}, int, BandRoles, bool)"/>:
    /// a vector of flag bytes a step (32 pixels on AVX2), its four int vectors of bits narrowed back to bytes and ORed in as
    /// one vector, rather than each lane's bits stored and ORed in one byte at a time. Returns the first pixel left.
    /// </summary>
    private static int FlagVectors(Span<byte> flags, byte greening, byte vegetated, ReadOnlySpan<ushort> redBefore, ReadOnlySpan<ushort> nirBefore,
        ReadOnlySpan<ushort> redAfter, ReadOnlySpan<ushort> nirAfter)
    {
        int pixels = redBefore.Length, step = System.Numerics.Vector<byte>.Count, u = System.Numerics.Vector<ushort>.Count, i = 0;
        if (flags.Length < pixels || nirBefore.Length < pixels || redAfter.Length < pixels || nirAfter.Length < pixels)
            throw new ArgumentException($"{pixels} pixels need as many flags and samples of each band.", nameof(flags));
        ref byte f0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(flags);
        ref ushort rb0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(redBefore);
        ref ushort nb0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(nirBefore);
        ref ushort ra0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(redAfter);
        ref ushort na0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(nirAfter);
        for (; i <= pixels - step; i += step)
        {
            var lo = HalfBits(ref nb0, ref rb0, ref na0, ref ra0, (nuint)i, greening, vegetated);
            var hi = HalfBits(ref nb0, ref rb0, ref na0, ref ra0, (nuint)(i + u), greening, vegetated);
            var at = (nuint)i;
            (System.Numerics.Vector.LoadUnsafe(ref f0, at) | System.Numerics.Vector.Narrow(lo, hi)).StoreUnsafe(ref f0, at);
        }
        return i;
    }

    /// <summary>The flag bits of the <see cref="System.Numerics.Vector{T}"/> of uint16 pixels from <paramref name="at"/>, as uint16 lanes.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static System.Numerics.Vector<ushort> HalfBits(ref ushort nb0, ref ushort rb0, ref ushort na0, ref ushort ra0, nuint at, byte greening, byte vegetated)
    {
        System.Numerics.Vector.Widen(System.Numerics.Vector.LoadUnsafe(ref nb0, at), out var nb, out var nb1);
        System.Numerics.Vector.Widen(System.Numerics.Vector.LoadUnsafe(ref rb0, at), out var rb, out var rb1);
        System.Numerics.Vector.Widen(System.Numerics.Vector.LoadUnsafe(ref na0, at), out var na, out var na1);
        System.Numerics.Vector.Widen(System.Numerics.Vector.LoadUnsafe(ref ra0, at), out var ra, out var ra1);
        // The bits are at most a byte: the narrowing keeps them whole.
        return System.Numerics.Vector.Narrow(
            System.Numerics.Vector.AsVectorUInt32(FlagBits(nb, rb, na, ra, greening, vegetated)),
            System.Numerics.Vector.AsVectorUInt32(FlagBits(nb1, rb1, na1, ra1, greening, vegetated)));
    }

    /// <summary>The flag bits of a vector of pixels (uint16 values widened): <see cref="Rose"/> and <see cref="StaysVegetated"/> per lane.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static System.Numerics.Vector<int> FlagBits(System.Numerics.Vector<uint> nirBefore, System.Numerics.Vector<uint> redBefore,
        System.Numerics.Vector<uint> nirAfter, System.Numerics.Vector<uint> redAfter, byte greening, byte vegetated)
    {
        var b = NdviOf(System.Numerics.Vector.AsVectorInt32(nirBefore), System.Numerics.Vector.AsVectorInt32(redBefore));
        var a = NdviOf(System.Numerics.Vector.AsVectorInt32(nirAfter), System.Numerics.Vector.AsVectorInt32(redAfter));
        var rise = a - b;
        var minVegetation = new System.Numerics.Vector<float>(MinVegetation);
        var rose = System.Numerics.Vector.GreaterThan(rise, new System.Numerics.Vector<float>(MinRise));
        var stays = System.Numerics.Vector.GreaterThanOrEqual(b, minVegetation)
                    & System.Numerics.Vector.GreaterThanOrEqual(a, minVegetation)
                    & System.Numerics.Vector.GreaterThanOrEqual(rise, new System.Numerics.Vector<float>(-MinRise));
        return (rose & new System.Numerics.Vector<int>(greening)) | (stays & new System.Numerics.Vector<int>(vegetated));
    }

    /// <summary><see cref="Ndvi(ushort, ushort)"/> per lane: (nir − red) / (nir + red) in single precision, 0 where both are 0.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static System.Numerics.Vector<float> NdviOf(System.Numerics.Vector<int> nir, System.Numerics.Vector<int> red)
    {
        var sum = nir + red;
        var ndvi = System.Numerics.Vector.ConvertToSingle(nir - red) / System.Numerics.Vector.ConvertToSingle(sum);
        return System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.Equals(sum, System.Numerics.Vector<int>.Zero), System.Numerics.Vector<float>.Zero, ndvi);
    }

    // A function pointer rather than a delegate: the test runs per pixel of every tile, and this keeps it a direct call.
    private static unsafe void FlagWhere(Span<byte> flags, byte bit, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int pixels, BandRoles roles,
        delegate*<ushort, ushort, ushort, ushort, bool> test)
    {
        if (roles.Red is not int red || roles.Nir is not int nir) return;
        var rb = before.Slice(red * pixels, pixels);
        var nb = before.Slice(nir * pixels, pixels);
        var ra = after.Slice(red * pixels, pixels);
        var na = after.Slice(nir * pixels, pixels);
        for (int i = 0; i < pixels; i++)
            if (test(nb[i], rb[i], na[i], ra[i])) flags[i] |= bit;
    }

    /// <summary>
    /// Whether both dates are vegetated (NDVI ≥ <see cref="MinVegetation"/>) and NDVI fell by no more than
    /// <see cref="MinRise"/> (the between-date spread of unchanged ground, as for a rise): a crop that grew or
    /// was followed by another, trees that leafed out. Such phenology is spectral change, large in the NIR,
    /// and on a farmland scene it is most of the scene: scored as change it marked a quarter of the 8192² demo
    /// region (1 326 patches for 95 tasks) and drew the global threshold into it. Ground that was bare and is
    /// now green (greening) is not included: it stays change, split apart (<see cref="Mark"/>) for the
    /// classifier, because reference data label it change (on the Landsat Nanjing pair a fifth of the labelled
    /// change is bare ground that became vegetated, and dropping it cost 0.085 F1).
    /// </summary>
    public static bool StaysVegetated(ushort nirBefore, ushort redBefore, ushort nirAfter, ushort redAfter)
    {
        float before = Ndvi(nirBefore, redBefore), after = Ndvi(nirAfter, redAfter);
        return before >= MinVegetation && after >= MinVegetation && after - before >= -MinRise;
    }

    /// <summary>Whether NDVI rose (after − before) by more than <see cref="MinRise"/>.</summary>
    public static bool Rose(ushort nirBefore, ushort redBefore, ushort nirAfter, ushort redAfter) =>
        Ndvi(nirAfter, redAfter) - Ndvi(nirBefore, redBefore) > MinRise;

    /// <summary>NDVI of one pixel; 0 where both bands are 0.</summary>
    public static float Ndvi(ushort nir, ushort red) => nir + red == 0 ? 0f : (float)(nir - red) / (nir + red);
}
