namespace ChangeDetection.Kernels;

/// <summary>
/// Count, sum and sum of squares of one band's samples (DN), kept as exact integers so that
/// adding windows in any order, or merging per-tile accumulators, gives the same statistics.
/// </summary>
internal readonly record struct BandMoments(long Count, long Sum, UInt128 SumOfSquares)
{
    /// <summary>Mean (DN); NaN when <see cref="Count"/> is 0.</summary>
    public double Mean => Count == 0 ? double.NaN : (double)Sum / Count;

    /// <summary>Population variance (DN²), from the exact integer n·Σx² − (Σx)²; NaN when empty.</summary>
    public double Variance
    {
        get
        {
            if (Count == 0) return double.NaN;
            UInt128 n = (ulong)Count, s = (ulong)Sum;
            // n·Σx² ≥ (Σx)² (Cauchy–Schwarz), so the difference never wraps.
            return (double)(n * SumOfSquares - s * s) / ((double)Count * Count);
        }
    }

    /// <summary>Population standard deviation (DN); NaN when empty.</summary>
    public double StandardDeviation => Math.Sqrt(Variance);

    public static BandMoments operator +(BandMoments left, BandMoments right) =>
        new(left.Count + right.Count, left.Sum + right.Sum, left.SumOfSquares + right.SumOfSquares);

    public static BandMoments Add(BandMoments left, BandMoments right) => left + right;
}
