using System.Globalization;

namespace ChangeDetection.Raster;

/// <summary>The text form of nodata values, as GDAL writes them in GDAL_NODATA and gdalinfo.</summary>
public static class NoDataText
{
    /// <summary>GDAL_NODATA is ASCII, often with a trailing NUL; "nan" and "inf" are allowed.</summary>
    public static double? Parse(string? text)
    {
        if (text is null) return null;
        string t = text.Trim('\0', ' ', '\t', '\r', '\n');
        if (t.Length == 0) return null;
        if (t.Equals("nan", StringComparison.OrdinalIgnoreCase)) return double.NaN;
        if (t.Equals("inf", StringComparison.OrdinalIgnoreCase)) return double.PositiveInfinity;
        if (t.Equals("-inf", StringComparison.OrdinalIgnoreCase)) return double.NegativeInfinity;
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;
    }

    /// <summary>How GDAL_NODATA is spelled when written: the shortest text that reads back exactly.</summary>
    public static string Format(double value) =>
        double.IsNaN(value) ? "nan" :
        double.IsPositiveInfinity(value) ? "inf" :
        double.IsNegativeInfinity(value) ? "-inf" :
        value.ToString("R", CultureInfo.InvariantCulture);
}
