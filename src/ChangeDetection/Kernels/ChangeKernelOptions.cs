namespace ChangeDetection.Kernels;

/// <summary>
/// Validated settings of <see cref="ChangeKernel"/>: one <see cref="BandNormalization"/> per band
/// (3 to 16 bands), the nodata sample value of each date, the band roles and the weights of the
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

    /// <summary>
    /// Most bands the kernel accepts: Sentinel-2 MSI has 13 and Landsat 8/9 OLI+TIRS 11; 16 leaves room
    /// for a stack with a few derived bands. The kernel loops over its bands, so the limit costs nothing.
    /// </summary>
    public const int MaxBands = 16;

    /// <summary>Index weight used when a role pair is known and no weight is given.</summary>
    public const float DefaultIndexWeight = 1f;

    // Limits that keep every float intermediate of the kernel finite (worst case ~1e36 < 3.4e38 in
    // the one-division index fraction); anything beyond them is a bug upstream, not a normalisation.
    /// <summary>Largest |gain| accepted (dimensionless).</summary>
    public const float MaxGain = 1000f;

    /// <summary>Largest |offset| accepted (DN).</summary>
    public const float MaxOffset = 1e7f;

    /// <summary>Largest |scale| accepted (1/DN).</summary>
    public const float MaxScale = 1e6f;

    /// <summary>Largest index weight accepted.</summary>
    public const float MaxIndexWeight = 1000f;

    private readonly BandNormalization[] _bands;

    /// <param name="bands">Normalisation of each band, in row order; 3 to 6 bands, finite and within <see cref="MaxGain"/>, <see cref="MaxOffset"/>, <see cref="MaxScale"/>.</param>
    /// <param name="beforeNoData">Sample value meaning "no data" in the before image, or null.</param>
    /// <param name="afterNoData">Sample value meaning "no data" in the after image, or null.</param>
    /// <param name="roles">Which band is red, NIR, green, SWIR1; distinct indices below the band count.</param>
    /// <param name="ndviWeight">Weight of |ΔNDVI| (0 to <see cref="MaxIndexWeight"/>); defaults to <see cref="DefaultIndexWeight"/> when red and NIR are known, else 0.</param>
    /// <param name="waterWeight">Weight of |Δwater index| (0 to <see cref="MaxIndexWeight"/>); defaults to <see cref="DefaultIndexWeight"/> when green and NIR/SWIR1 are known, else 0.</param>
    /// <param name="projection">
    /// When given, the change-vector term is the length of these variates (e.g. IR-MAD's, <see cref="IrMad"/>) instead of
    /// the per-band scaled differences; the bands' gains and offsets still calibrate the after values of the index terms.
    /// </param>
    public ChangeKernelOptions(
        IReadOnlyList<BandNormalization> bands,
        ushort? beforeNoData = null,
        ushort? afterNoData = null,
        BandRoles roles = default,
        float? ndviWeight = null,
        float? waterWeight = null,
        ChangeProjection? projection = null)
    {
        ArgumentNullException.ThrowIfNull(bands);
        if (bands.Count is < MinBands or > MaxBands)
            throw new ArgumentException($"The change kernel takes {MinBands} to {MaxBands} bands, not {bands.Count}.", nameof(bands));
        for (int b = 0; b < bands.Count; b++)
        {
            var n = bands[b];
            if (!n.IsFinite || Math.Abs(n.Gain) > MaxGain || Math.Abs(n.Offset) > MaxOffset || Math.Abs(n.Scale) > MaxScale)
                throw new ArgumentException($"Band {b} has normalisation {n}; gain, offset and scale must be finite with |gain| ≤ {MaxGain}, |offset| ≤ {MaxOffset} DN, |scale| ≤ {MaxScale}.", nameof(bands));
        }
        CheckRole(roles.Red, "red", bands.Count);
        CheckRole(roles.Nir, "NIR", bands.Count);
        CheckRole(roles.Green, "green", bands.Count);
        CheckRole(roles.Swir1, "SWIR1", bands.Count);
        int?[] given = [roles.Red, roles.Nir, roles.Green, roles.Swir1];
        if (given.Where(r => r.HasValue).GroupBy(r => r).Any(g => g.Count() > 1))
            throw new ArgumentException($"Each band can have one role only: {roles}.", nameof(roles));

        float ndvi = ndviWeight ?? (roles.HasNdvi ? DefaultIndexWeight : 0f);
        float water = waterWeight ?? (roles.HasWaterIndex ? DefaultIndexWeight : 0f);
        CheckWeight(ndvi, nameof(ndviWeight));
        CheckWeight(water, nameof(waterWeight));
        if (ndvi > 0f && !roles.HasNdvi)
            throw new ArgumentException("An NDVI weight needs the red and NIR bands in the roles.", nameof(ndviWeight));
        if (water > 0f && !roles.HasWaterIndex)
            throw new ArgumentException("A water-index weight needs the green band and the NIR or SWIR1 band in the roles.", nameof(waterWeight));

        if (projection is not null && projection.Bands != bands.Count)
            throw new ArgumentException($"The projection is made for {projection.Bands} bands; the kernel has {bands.Count}.", nameof(projection));

        _bands = [.. bands];
        Projection = projection;
        BeforeNoData = beforeNoData;
        AfterNoData = afterNoData;
        Roles = roles;
        NdviWeight = ndvi;
        WaterWeight = water;

        UsesNdvi = ndvi > 0f;
        UsesWaterIndex = water > 0f;
        PartnerIsNir = UsesNdvi && UsesWaterIndex && roles.WaterPartner == roles.Nir;
        (Terms, RoleTermCount) = AccumulationOrder(_bands, roles, UsesNdvi, UsesWaterIndex, PartnerIsNir);
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

    /// <summary>The change variates whose length is the change-vector term, or null for the per-band differences.</summary>
    public ChangeProjection? Projection { get; }

    /// <summary>
    /// The band terms in the order every kernel path adds them. Float addition is not
    /// associative, so one fixed order is what makes the paths bitwise equal. The role bands the
    /// index terms need come first (red, NIR when NDVI is used; green, then the water partner
    /// unless it is the NIR already read), so the vector paths keep them without per-band
    /// branches; the other bands follow in ascending order.
    /// </summary>
    internal BandTerm[] Terms { get; }

    /// <summary>How many leading <see cref="Terms"/> are role bands (0, 2, 3 or 4).</summary>
    internal int RoleTermCount { get; }

    internal bool UsesNdvi { get; }
    internal bool UsesWaterIndex { get; }

    /// <summary>The water index pairs green with the NIR band that the NDVI step already read.</summary>
    internal bool PartnerIsNir { get; }

    private static (BandTerm[] Terms, int RoleCount) AccumulationOrder(BandNormalization[] bands, BandRoles roles, bool ndvi, bool water, bool partnerIsNir)
    {
        var order = new List<int>(bands.Length);
        if (ndvi) order.AddRange([roles.Red!.Value, roles.Nir!.Value]);
        if (water)
        {
            order.Add(roles.Green!.Value);
            if (!partnerIsNir) order.Add(roles.WaterPartner!.Value);
        }
        int roleCount = order.Count;
        for (int b = 0; b < bands.Length; b++)
        {
            if (!order.Contains(b)) order.Add(b);
        }
        return ([.. order.Select(b => new BandTerm(b, bands[b].Gain, bands[b].Offset, bands[b].Scale))], roleCount);
    }

    private static void CheckRole(int? index, string role, int bandCount)
    {
        if (index is int i && (i < 0 || i >= bandCount))
            throw new ArgumentException($"The {role} band index {i} is outside 0..{bandCount - 1}.", nameof(index));
    }

    private static void CheckWeight(float weight, string name)
    {
        if (!(weight >= 0f && weight <= MaxIndexWeight))
            throw new ArgumentOutOfRangeException(name, weight, $"An index weight must be between 0 and {MaxIndexWeight}.");
    }
}

/// <summary>One band's parameters as the kernels read them: band index and its <see cref="BandNormalization"/>.</summary>
internal readonly record struct BandTerm(int Band, float Gain, float Offset, float Scale);
