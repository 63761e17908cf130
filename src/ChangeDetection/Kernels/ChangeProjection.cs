namespace ChangeDetection.Kernels;

/// <summary>
/// A linear map of both dates' bands to <see cref="Count"/> change variates, whose sum of squares
/// replaces the per-band change vector in <see cref="ChangeKernel"/>:
/// <code>
///   v_i   = offset_i + Σ_j before_j · beforeWeight_ij − Σ_j after_j · afterWeight_ij   (j over the bands, DN)
///   score = sqrt( Σ_i v_i² ) + the index terms
/// </code>
/// With the weights of <see cref="IrMad"/> (canonical vectors divided by the no-change spread of each
/// MAD variate) Σ v_i² is IR-MAD's chi-square statistic, χ²_p-distributed on unchanged pixels.
/// Immutable; the weights are row-major, variate by band (<c>[i · bands + j]</c>), in 1/DN.
/// </summary>
public sealed class ChangeProjection
{
    private readonly float[] _beforeWeights;
    private readonly float[] _afterWeights;
    private readonly float[] _offsets;

    /// <param name="bands">Bands of each date the variates are made of.</param>
    /// <param name="beforeWeights">Count × bands weights on the before samples (1/DN), row-major.</param>
    /// <param name="afterWeights">Count × bands weights on the after samples (1/DN), row-major.</param>
    /// <param name="offsets">One constant per variate (dimensionless): what centres it on the no-change mean.</param>
    /// <exception cref="ArgumentException">Sizes that do not match, or a value that is not finite or beyond the kernel's limits.</exception>
    public ChangeProjection(int bands, IReadOnlyList<float> beforeWeights, IReadOnlyList<float> afterWeights, IReadOnlyList<float> offsets)
    {
        ArgumentNullException.ThrowIfNull(beforeWeights);
        ArgumentNullException.ThrowIfNull(afterWeights);
        ArgumentNullException.ThrowIfNull(offsets);
        if (bands is < ChangeKernelOptions.MinBands or > ChangeKernelOptions.MaxBands)
            throw new ArgumentException($"A projection takes {ChangeKernelOptions.MinBands} to {ChangeKernelOptions.MaxBands} bands, not {bands}.", nameof(bands));
        int count = offsets.Count;
        if (count is < 1 or > ChangeKernelOptions.MaxBands)
            throw new ArgumentException($"A projection has 1 to {ChangeKernelOptions.MaxBands} variates, not {count}.", nameof(offsets));
        if (beforeWeights.Count != count * bands || afterWeights.Count != count * bands)
            throw new ArgumentException($"{count} variates of {bands} bands need {count * bands} weights per date, not {beforeWeights.Count} and {afterWeights.Count}.", nameof(beforeWeights));
        // The same bound as a band's scale: it keeps every product of a weight and a 16-bit sample finite.
        foreach (float w in beforeWeights.Concat(afterWeights))
            if (!float.IsFinite(w) || Math.Abs(w) > ChangeKernelOptions.MaxScale)
                throw new ArgumentException($"A projection weight is {w}; weights must be finite with |w| ≤ {ChangeKernelOptions.MaxScale} per DN.", nameof(beforeWeights));
        foreach (float o in offsets)
            if (!float.IsFinite(o) || Math.Abs(o) > ChangeKernelOptions.MaxScale * ChangeKernelOptions.MaxOffset)
                throw new ArgumentException($"A projection offset is {o}; offsets must be finite.", nameof(offsets));
        Bands = bands;
        _beforeWeights = [.. beforeWeights];
        _afterWeights = [.. afterWeights];
        _offsets = [.. offsets];
    }

    /// <summary>Bands of each date.</summary>
    public int Bands { get; }

    /// <summary>Change variates (rows of the weights).</summary>
    public int Count => _offsets.Length;

    /// <summary>Weights on the before samples, <c>[i · Bands + j]</c>, 1/DN.</summary>
    public IReadOnlyList<float> BeforeWeights => _beforeWeights;

    /// <summary>Weights on the after samples, <c>[i · Bands + j]</c>, 1/DN.</summary>
    public IReadOnlyList<float> AfterWeights => _afterWeights;

    /// <summary>The constant of each variate.</summary>
    public IReadOnlyList<float> Offsets => _offsets;

    internal float[] BeforeArray => _beforeWeights;
    internal float[] AfterArray => _afterWeights;
    internal float[] OffsetArray => _offsets;
}
