namespace ChangeDetection.PixelModel;

/// <summary>How a <see cref="PixelChangeModel"/> turns its calibrated probability into change.</summary>
public enum PixelThresholdRule
{
    /// <summary>
    /// The model's own threshold (<see cref="PixelChangeModel.Threshold"/>): the best F1 on its calibration pixels, at its
    /// training pairs' class balance, whatever the scene.
    /// </summary>
    Model,

    /// <summary>
    /// Per scene, from the model's probabilities on that scene and no labels: the threshold that maximises the F1 expected
    /// when the calibrated probabilities are taken as true (<see cref="ProbabilityHistogram.PlugInThreshold"/>).
    /// </summary>
    Scene,
}

/// <summary>
/// The scene's calibrated probabilities of change, binned: per bin the pixel count, the sum of the probabilities and
/// the smallest and largest probability, so that a threshold chosen on the bins separates the pixels exactly. Bounded
/// memory (<see cref="Bins"/> bins, ~1.5 MB) whatever the scene size; merging the histograms of parts gives the
/// histogram of the whole, in any order, so a threshold chosen from it does not depend on the tile size.
/// </summary>
internal sealed class ProbabilityHistogram
{
    /// <summary>
    /// Bins over [0, 1]. Isotonic calibration (the default) gives a step function with a few hundred distinct values,
    /// which 2¹⁶ bins keep apart in practice; any two probabilities within one bin are called alike (1.5e-5 apart at most).
    /// </summary>
    public const int Bins = 1 << 16;

    /// <summary>
    /// Sums are kept in fixed point (units of 2⁻³², integers), so that they add up to the same value in any order: a
    /// histogram filled by several threads gives the same threshold, bit for bit, as one filled in order. A bin holds
    /// up to 2³¹ pixels at probability 1 before it could overflow (a 46 000² scene in one bin).
    /// </summary>
    private const double SumUnit = 4294967296.0;

    private readonly long[] _count = new long[Bins];
    private readonly long[] _sum = new long[Bins];
    private readonly float[] _min = new float[Bins];
    private readonly float[] _max = new float[Bins];

    public ProbabilityHistogram()
    {
        Array.Fill(_min, float.PositiveInfinity);
        Array.Fill(_max, float.NegativeInfinity);
    }

    /// <summary>Pixels counted (NaN probabilities, i.e. nodata, are not).</summary>
    public long Count { get; private set; }

    /// <summary>Counts one probability (ignored when NaN: no data).</summary>
    public void Add(float p)
    {
        if (float.IsNaN(p)) return;
        p = Math.Clamp(p, 0f, 1f);
        int b = Math.Min(Bins - 1, (int)(p * Bins));
        _count[b]++;
        _sum[b] += (long)Math.Round(p * SumUnit);
        if (p < _min[b]) _min[b] = p;
        if (p > _max[b]) _max[b] = p;
        Count++;
    }

    /// <summary>Adds <paramref name="other"/>'s pixels to this histogram.</summary>
    public void Merge(ProbabilityHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int b = 0; b < Bins; b++)
        {
            if (other._count[b] == 0) continue;
            _count[b] += other._count[b];
            _sum[b] += other._sum[b];
            _min[b] = Math.Min(_min[b], other._min[b]);
            _max[b] = Math.Max(_max[b], other._max[b]);
        }
        Count += other.Count;
    }

    /// <summary>
    /// The "plug-in" threshold of expected F1: if each pixel is change with its calibrated probability p, calling change
    /// the pixels above t has expected true positives Σ_{p&gt;t} p and expected changed pixels Σ p, so F1 ≈
    /// 2·Σ_{p&gt;t} p / (#{p &gt; t} + Σ p); the t that maximises it, from the scene's probabilities alone. For calibrated
    /// probabilities the best t is about half the F1 it expects (Lipton et al. 2014), so a scene whose change is
    /// clearer gets a higher threshold and one whose change is faint a lower one, where a threshold fixed on the
    /// training pixels holds for their mix only. The returned value lies midway between the lowest probability called
    /// change and the highest one not called (probability &gt; threshold is change).
    /// </summary>
    /// <returns>The threshold and the F1 it expects; null when the scene holds no probability mass (no pixel, or all 0).</returns>
    public (double Threshold, double ExpectedF1)? PlugInThreshold()
    {
        long totalUnits = 0;
        for (int b = 0; b < Bins; b++) totalUnits += _sum[b];
        if (Count == 0 || totalUnits <= 0) return null;
        double total = totalUnits / SumUnit;
        double bestF1 = -1;
        long selected = 0, selectedUnits = 0;
        int bestBin = -1;
        // Sweep from the highest bin down: each step calls change one more bin.
        for (int b = Bins - 1; b >= 0; b--)
        {
            if (_count[b] == 0) continue;
            selected += _count[b];
            selectedUnits += _sum[b];
            double f1 = 2 * (selectedUnits / SumUnit) / (selected + total);
            if (f1 > bestF1) (bestF1, bestBin) = (f1, b);
        }
        int below = bestBin - 1;
        while (below >= 0 && _count[below] == 0) below--;
        double low = _min[bestBin];
        double threshold = below >= 0 ? (low + _max[below]) / 2 : low / 2;
        return (threshold, bestF1);
    }
}
