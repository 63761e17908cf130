namespace ChangeDetection.Evaluation;

/// <summary>
/// Pixel counts of a change mask against reference labels, for the change class: true positives,
/// false positives, false negatives and true negatives (pixels). Unlabelled pixels are not counted.
/// </summary>
public readonly record struct ChangeScore(long TruePositives, long FalsePositives, long FalseNegatives, long TrueNegatives)
{
    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);
    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);
    public double F1 => Ratio(2 * TruePositives, 2 * TruePositives + FalsePositives + FalseNegatives);
    /// <summary>Intersection over union of the change class.</summary>
    public double IoU => Ratio(TruePositives, TruePositives + FalsePositives + FalseNegatives);
    public long Labelled => TruePositives + FalsePositives + FalseNegatives + TrueNegatives;

    public static ChangeScore operator +(ChangeScore a, ChangeScore b) => new(
        a.TruePositives + b.TruePositives, a.FalsePositives + b.FalsePositives,
        a.FalseNegatives + b.FalseNegatives, a.TrueNegatives + b.TrueNegatives);

    // A ratio with nothing to count (no change predicted and none labelled) is 0, not NaN, so
    // totals stay printable; the counts are reported alongside.
    private static double Ratio(long num, long den) => den == 0 ? 0 : (double)num / den;
}
