namespace ChangeDetection.Kernels;

/// <summary>
/// The k-th smallest of an array of floats without sorting it: what <c>Array.Sort</c> followed by an index gives, in
/// linear expected time (the statistics pass takes one quantile of ~4 million sample scores; sorting them cost more
/// than scoring them).
/// </summary>
internal static class OrderStatistic
{
    /// <summary>
    /// The value at index <paramref name="k"/> of <paramref name="values"/> once sorted ascending in
    /// <see cref="float.CompareTo(float)"/>'s order (NaN before every number, as <c>Array.Sort</c> puts it).
    /// Reorders <paramref name="values"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not an index of <paramref name="values"/>.</exception>
    public static float Select(Span<float> values, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, values.Length);
        // NaNs first, as the sort orders them; the numbers after them then compare with < alone.
        int nan = 0;
        for (int i = 0; i < values.Length; i++)
            if (float.IsNaN(values[i])) Swap(values, i, nan++);
        if (k < nan) return float.NaN;
        var rest = values[nan..];
        k -= nan;
        int lo = 0, hi = rest.Length - 1;
        while (lo < hi)
        {
            // Median of three as the pivot (deterministic): sorted or constant input stays linear.
            int mid = lo + (hi - lo) / 2;
            float a = rest[lo], b = rest[mid], c = rest[hi];
            float pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
            // Three-way partition: [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot; runs of equal scores end the search.
            int lt = lo, gt = hi, i = lo;
            while (i <= gt)
            {
                float v = rest[i];
                if (v < pivot) Swap(rest, i++, lt++);
                else if (v > pivot) Swap(rest, i, gt--);
                else i++;
            }
            if (k < lt) hi = lt - 1;
            else if (k > gt) lo = gt + 1;
            else return pivot;
        }
        return rest[k];
    }

    private static void Swap(Span<float> values, int i, int j) => (values[i], values[j]) = (values[j], values[i]);
}
