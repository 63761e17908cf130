using System.Globalization;
using ChangeDetection.Kernels;

namespace ChangeDetection.Detection;

/// <summary>
/// The threshold as users write it on the command line and in region configs: <c>otsu</c>, a
/// fixed score such as <c>2.5</c>, a percentile such as <c>p97</c>; also the long forms
/// <c>fixed:S</c> and <c>percentile:P</c>.
/// </summary>
public static class ThresholdText
{
    /// <exception cref="FormatException">The text is none of these.</exception>
    public static ThresholdRule Parse(string text)
    {
        string t = text.Trim();
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
            return ThresholdRule.Fixed(value);
        if (t.Length > 1 && (t[0] is 'p' or 'P') && double.TryParse(t[1..], NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p is >= 0 and <= 100)
            return ThresholdRule.Percentile(p);
        try
        {
            return ThresholdRule.Parse(t);
        }
        catch (FormatException)
        {
            throw new FormatException($"'{text}' is not a threshold: use auto, otsu, ki, a score such as 2.5, or a percentile such as p97.");
        }
    }
}
