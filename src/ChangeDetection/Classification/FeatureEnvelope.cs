namespace ChangeDetection.Classification;

/// <summary>
/// The range of every feature over a classifier's training examples (from the
/// <see cref="LowQuantile"/> to the <see cref="HighQuantile"/> quantile), and the test of whether a new
/// feature vector lies inside it. A tree model answers anything with confidence, including vectors
/// unlike every example it saw (another sensor's digital numbers, another pixel size): the envelope is
/// how the product knows not to act on such answers.
/// </summary>
public sealed class FeatureEnvelope
{
    /// <summary>Lower quantile of each feature's range: the extreme 1 % on either side is left out so that a few odd training patches do not stretch it.</summary>
    public const double LowQuantile = 0.01;

    /// <summary>Upper quantile of each feature's range.</summary>
    public const double HighQuantile = 0.99;

    /// <summary>
    /// Margin added on both sides, as a share of the range: a feature just past the most extreme
    /// training value is still like the training data.
    /// </summary>
    public const double Margin = 0.25;

    /// <summary>
    /// Most features that may lie outside their range for a vector to count as inside the envelope: one
    /// in five. Held-out synthetic patches have none or one (of 46) outside; patches of the real pairs in
    /// shared/data, against the synthetic shipped model, have 12–30 (the spectral ones, in other units).
    /// </summary>
    public const double MaxOutsideShare = 0.2;

    private readonly float[] _low;
    private readonly float[] _high;

    /// <param name="low">Lower end of each feature's range.</param>
    /// <param name="high">Upper end of each feature's range (≥ low).</param>
    public FeatureEnvelope(IReadOnlyList<float> low, IReadOnlyList<float> high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (low.Count != high.Count) throw new ArgumentException($"{low.Count} lower and {high.Count} upper ends.");
        for (int i = 0; i < low.Count; i++)
            if (!(low[i] <= high[i])) throw new ArgumentException($"Feature {i}: lower end {low[i]} is above the upper end {high[i]}.");
        _low = [.. low];
        _high = [.. high];
    }

    public IReadOnlyList<float> Low => _low;
    public IReadOnlyList<float> High => _high;

    /// <summary>The envelope of a set of feature vectors (all of one length; at least one).</summary>
    public static FeatureEnvelope Of(IEnumerable<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        var list = vectors.ToList();
        if (list.Count == 0) throw new ArgumentException("An envelope needs at least one vector.", nameof(vectors));
        int length = list[0].Length;
        var low = new float[length];
        var high = new float[length];
        var column = new List<float>(list.Count);
        for (int f = 0; f < length; f++)
        {
            column.Clear();
            // A feature undefined for a patch (NaN: e.g. an index whose bands are missing) says nothing about the range.
            foreach (var v in list) if (!float.IsNaN(v[f])) column.Add(v[f]);
            if (column.Count == 0)
            {
                low[f] = float.MinValue;
                high[f] = float.MaxValue;
                continue;
            }
            column.Sort();
            low[f] = column[(int)Math.Floor(LowQuantile * (column.Count - 1))];
            high[f] = column[(int)Math.Ceiling(HighQuantile * (column.Count - 1))];
        }
        return new FeatureEnvelope(low, high);
    }

    /// <summary>How many features of <paramref name="features"/> lie outside their range widened by <see cref="Margin"/>.</summary>
    public int CountOutside(ReadOnlySpan<float> features)
    {
        if (features.Length != _low.Length)
            throw new ArgumentException($"The vector has {features.Length} features; the envelope has {_low.Length}.", nameof(features));
        int outside = 0;
        for (int i = 0; i < features.Length; i++)
        {
            // A constant training feature gets a margin of its own magnitude's scale, so that a
            // rounding difference does not count as a new kind of data.
            if (_low[i] == float.MinValue && _high[i] == float.MaxValue) continue;
            double span = (double)_high[i] - _low[i];
            double margin = span > 0 ? Margin * span : 1e-6 * Math.Max(1, Math.Abs(_low[i]));
            if (float.IsNaN(features[i]) || features[i] < _low[i] - margin || features[i] > _high[i] + margin) outside++;
        }
        return outside;
    }

    /// <summary>True when at most <see cref="MaxOutsideShare"/> of the features lie outside their ranges.</summary>
    public bool Contains(ReadOnlySpan<float> features) => CountOutside(features) <= MaxOutsideShare * _low.Length;
}
