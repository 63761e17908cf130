namespace ChangeDetection.Kernels;

/// <summary>
/// Counts of change scores in <see cref="BinCount"/> equal bins over [0, <see cref="Max"/>], built
/// tile by tile and merged, so a threshold can be global (computed once for the whole scene).
/// </summary>
/// <remarks>
/// Bin <c>k</c> holds scores in [k·w, (k+1)·w) with <c>w = Max / BinCount</c> (score units).
/// Scores ≥ <see cref="Max"/> go to the last bin and are also counted in <see cref="AboveMax"/>,
/// negative scores go to bin 0, and the nodata sentinel (NaN) is skipped. Counts are integers, so
/// merging in any order gives the same histogram: the tiling never changes a threshold.
/// Not thread-safe: give each worker its own histogram and <see cref="Merge"/> them.
/// </remarks>
public sealed class ScoreHistogram
{
    private readonly long[] _counts;
    private readonly double _binsPerUnit;

    /// <param name="binCount">Number of bins (≥ 2).</param>
    /// <param name="max">Upper end of the binned range, in score units (finite, &gt; 0).</param>
    public ScoreHistogram(int binCount, float max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(binCount, 2);
        if (!float.IsFinite(max) || max <= 0f)
            throw new ArgumentOutOfRangeException(nameof(max), max, "The histogram range must be a finite number > 0.");
        _counts = new long[binCount];
        Max = max;
        _binsPerUnit = binCount / (double)max;
    }

    public int BinCount => _counts.Length;

    /// <summary>Upper end of the binned range (score units).</summary>
    public float Max { get; }

    /// <summary>Width of one bin (score units).</summary>
    public double BinWidth => Max / (double)BinCount;

    /// <summary>Number of scores counted (nodata excluded).</summary>
    public long Total { get; private set; }

    /// <summary>How many counted scores were ≥ <see cref="Max"/> (they sit in the last bin).</summary>
    public long AboveMax { get; private set; }

    /// <summary>The per-bin counts.</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <summary>Lower edge of bin <paramref name="bin"/> (score units); <c>BinLowerEdge(BinCount)</c> is <see cref="Max"/>.</summary>
    public double BinLowerEdge(int bin) => bin * (double)Max / BinCount;

    /// <summary>The bin a score falls in (scores are clamped into the range).</summary>
    public int BinOf(float score)
    {
        double scaled = score * _binsPerUnit;
        return scaled <= 0 ? 0 : scaled >= _counts.Length ? _counts.Length - 1 : (int)scaled;
    }

    /// <summary>Counts every score of <paramref name="scores"/> except <see cref="ChangeKernel.NoDataScore"/> (NaN).</summary>
    public void Add(ReadOnlySpan<float> scores) => Count(scores, default, 0);

    /// <summary>
    /// Counts every score of <paramref name="scores"/> except <see cref="ChangeKernel.NoDataScore"/> (NaN) and those whose
    /// flag byte in <paramref name="flags"/> (same layout) has a bit of <paramref name="skip"/>: as <see cref="Add(ReadOnlySpan{float})"/>
    /// of the scores with those set to NaN, without a copy of them.
    /// </summary>
    public void Add(ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, byte skip)
    {
        if (flags.Length < scores.Length) throw new ArgumentException($"{scores.Length} scores need as many flags; got {flags.Length}.", nameof(flags));
        Count(scores, flags, skip);
    }

    /// <summary>The one binning loop of both <c>Add</c>s: <paramref name="skip"/> 0 reads no flag.</summary>
    private void Count(ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, byte skip)
    {
        long added = 0, above = 0;
        long[] counts = _counts;
        int last = counts.Length - 1;
        double binsPerUnit = _binsPerUnit;
        for (int i = 0; i < scores.Length; i++)
        {
            float score = scores[i];
            if (float.IsNaN(score) || (skip != 0 && (flags[i] & skip) != 0)) continue;
            double scaled = score * binsPerUnit;
            int bin;
            if (scaled >= counts.Length) { bin = last; above++; }
            else bin = scaled <= 0 ? 0 : (int)scaled;
            counts[bin]++;
            added++;
        }
        Total += added;
        AboveMax += above;
    }

    /// <summary>Adds the counts of <paramref name="other"/>, which must have the same bins.</summary>
    public void Merge(ScoreHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.BinCount != BinCount || other.Max != Max)
            throw new ArgumentException($"Cannot merge a histogram of {other.BinCount} bins over [0, {other.Max}] into one of {BinCount} bins over [0, {Max}].", nameof(other));
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Total += other.Total;
        AboveMax += other.AboveMax;
    }

    /// <summary>
    /// Rebuilds a histogram from its counts, as saved by a run ledger (a resumed run merges the
    /// histograms of finished tiles without recomputing them).
    /// </summary>
    public static ScoreHistogram FromCounts(float max, ReadOnlySpan<long> counts, long aboveMax)
    {
        var h = new ScoreHistogram(counts.Length, max);
        counts.CopyTo(h._counts);
        long total = 0;
        foreach (long c in counts)
        {
            if (c < 0) throw new ArgumentException("Histogram counts cannot be negative.", nameof(counts));
            total += c;
        }
        if (aboveMax < 0 || aboveMax > counts[^1]) throw new ArgumentOutOfRangeException(nameof(aboveMax), aboveMax, "Scores above the range are counted in the last bin.");
        h.Total = total;
        h.AboveMax = aboveMax;
        return h;
    }
}
