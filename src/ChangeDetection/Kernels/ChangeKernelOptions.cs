namespace ChangeDetection.Kernels;

/// <summary>
/// Validated settings of <see cref="ChangeKernel"/>: one <see cref="BandNormalization"/> per band
/// (3 to 6 bands), the nodata sample value of each date, the band roles and the weights of the
/// spectral-index terms. Immutable and safe to share between threads.
/// </summary>
/// <remarks>
/// Units: the change-vector term is in whatever <see cref="BandNormalization.Scale"/> makes of a
/// DN difference (standard deviations with the usual <c>1/std</c>); each index term is an absolute
/// difference of a normalised-difference index (range 0..2) times its weight, so a weight of 1
/// counts an index change of 1 like one scaled unit of the change vector.
/// </remarks>
public sealed class ChangeKernelOptions
{
    /// <summary>Fewest bands the kernel accepts.</summary>
    public const int MinBands = 3;

    /// <summary>Most bands the kernel accepts.</summary>
    public const int MaxBands = 6;

    /// <summary>Index weight used when a role pair is known and no weight is given.</summary>
    public const float DefaultIndexWeight = 1f;

    private readonly BandNormalization[] _bands;

    /// <param name="bands">Normalisation of each band, in row order; 3 to 6 bands, all finite.</param>
    /// <param name="beforeNoData">Sample value meaning "no data" in the before image, or null.</param>
    /// <param name="afterNoData">Sample value meaning "no data" in the after image, or null.</param>
    /// <param name="roles">Which band is red, NIR, green, SWIR1; indices must be below the band count.</param>
    /// <param name="ndviWeight">Weight of |ΔNDVI| (≥ 0); defaults to <see cref="DefaultIndexWeight"/> when red and NIR are known, else 0.</param>
    /// <param name="waterWeight">Weight of |Δwater index| (≥ 0); defaults to <see cref="DefaultIndexWeight"/> when green and NIR/SWIR1 are known, else 0.</param>
    public ChangeKernelOptions(
        IReadOnlyList<BandNormalization> bands,
        ushort? beforeNoData = null,
        ushort? afterNoData = null,
        BandRoles roles = default,
        float? ndviWeight = null,
        float? waterWeight = null)
    {
        ArgumentNullException.ThrowIfNull(bands);
        if (bands.Count is < MinBands or > MaxBands)
            throw new ArgumentException($"The change kernel takes {MinBands} to {MaxBands} bands, not {bands.Count}.", nameof(bands));
        for (int b = 0; b < bands.Count; b++)
        {
            if (!bands[b].IsFinite)
                throw new ArgumentException($"Band {b} has a non-finite normalisation {bands[b]}.", nameof(bands));
        }
        CheckRole(roles.Red, "red", bands.Count);
        CheckRole(roles.Nir, "NIR", bands.Count);
        CheckRole(roles.Green, "green", bands.Count);
        CheckRole(roles.Swir1, "SWIR1", bands.Count);

        float ndvi = ndviWeight ?? (roles.HasNdvi ? DefaultIndexWeight : 0f);
        float water = waterWeight ?? (roles.HasWaterIndex ? DefaultIndexWeight : 0f);
        CheckWeight(ndvi, nameof(ndviWeight));
        CheckWeight(water, nameof(waterWeight));
        if (ndvi > 0f && !roles.HasNdvi)
            throw new ArgumentException("An NDVI weight needs the red and NIR bands in the roles.", nameof(ndviWeight));
        if (water > 0f && !roles.HasWaterIndex)
            throw new ArgumentException("A water-index weight needs the green band and the NIR or SWIR1 band in the roles.", nameof(waterWeight));

        _bands = [.. bands];
        BeforeNoData = beforeNoData;
        AfterNoData = afterNoData;
        Roles = roles;
        NdviWeight = ndvi;
        WaterWeight = water;

        Gains = [.. _bands.Select(b => b.Gain)];
        Offsets = [.. _bands.Select(b => b.Offset)];
        Scales = [.. _bands.Select(b => b.Scale)];
        UsesNdvi = ndvi > 0f;
        UsesWaterIndex = water > 0f;
        RedIndex = roles.Red ?? -1;
        NirIndex = roles.Nir ?? -1;
        GreenIndex = roles.Green ?? -1;
        WaterPartnerIndex = roles.WaterPartner ?? -1;
    }

    /// <summary>Identity normalisation (raw DN differences) for <paramref name="bandCount"/> bands.</summary>
    public static ChangeKernelOptions Identity(int bandCount, ushort? noData = null, BandRoles roles = default) =>
        new(Enumerable.Repeat(BandNormalization.Identity, bandCount).ToArray(), noData, noData, roles);

    public int BandCount => _bands.Length;
    public IReadOnlyList<BandNormalization> Bands => _bands;
    public ushort? BeforeNoData { get; }
    public ushort? AfterNoData { get; }
    public BandRoles Roles { get; }
    public float NdviWeight { get; }
    public float WaterWeight { get; }

    // Flattened copies the kernels read in their inner loops (no nullable unwrapping per pixel).
    internal float[] Gains { get; }
    internal float[] Offsets { get; }
    internal float[] Scales { get; }
    internal bool UsesNdvi { get; }
    internal bool UsesWaterIndex { get; }
    internal int RedIndex { get; }
    internal int NirIndex { get; }
    internal int GreenIndex { get; }
    internal int WaterPartnerIndex { get; }

    private static void CheckRole(int? index, string role, int bandCount)
    {
        if (index is int i && (i < 0 || i >= bandCount))
            throw new ArgumentException($"The {role} band index {i} is outside 0..{bandCount - 1}.", nameof(index));
    }

    private static void CheckWeight(float weight, string name)
    {
        if (!float.IsFinite(weight) || weight < 0f)
            throw new ArgumentOutOfRangeException(name, weight, "An index weight must be a finite number ≥ 0.");
    }
}
