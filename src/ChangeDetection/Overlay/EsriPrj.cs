using System.Globalization;
using System.Text.RegularExpressions;
using ChangeDetection.Geo;

namespace ChangeDetection.Overlay;

/// <summary>
/// Identifies the EPSG code of a WKT1 CRS definition (ESRI <c>.prj</c> or OGC WKT from a GeoPackage):
/// an EPSG authority that <see cref="CrsRegistry"/> knows wins; else the datum and projection
/// parameters are matched against the CGCS2000 3° Gauss–Krüger zones (with and without the zone
/// prefix), WGS 84 UTM, and CGCS2000/WGS 84 longitude/latitude. ESRI files usually carry no authority,
/// only names like <c>CGCS2000_3_Degree_GK_Zone_39</c> and <c>Gauss_Kruger</c>, hence the parameters.
/// </summary>
internal static partial class EsriPrj
{
    /// <summary>The EPSG code of <paramref name="wkt"/>, or null when it is none the pipeline knows.</summary>
    public static int? Identify(string wkt)
    {
        if (string.IsNullOrWhiteSpace(wkt)) return null;
        // The outermost AUTHORITY is the last one in WKT1 (inner ones belong to datum, unit, …).
        var authorities = AuthorityRegex().Matches(wkt);
        if (authorities.Count > 0 && int.TryParse(authorities[^1].Groups[1].Value, CultureInfo.InvariantCulture, out int code)
            && CrsRegistry.IsKnown(code) && IsProjected(wkt) == !CrsRegistry.IsGeographic(code))
            return code;

        int? geographic = Datum(wkt);
        if (geographic is null) return null;
        if (!IsProjected(wkt)) return geographic;

        string projection = ProjectionRegex().Match(wkt).Groups[1].Value;
        if (!projection.Contains("Transverse_Mercator", StringComparison.OrdinalIgnoreCase)
            && !projection.Contains("Gauss_Kruger", StringComparison.OrdinalIgnoreCase))
            return null;
        if (!LinearUnitIsMetre(wkt)) return null;
        var p = Parameters(wkt);
        double cm = p.GetValueOrDefault("central_meridian", double.NaN);
        double k = p.GetValueOrDefault("scale_factor", 1);
        double fe = p.GetValueOrDefault("false_easting", 0), fn = p.GetValueOrDefault("false_northing", 0);
        double lat0 = p.GetValueOrDefault("latitude_of_origin", 0);
        if (double.IsNaN(cm) || !Near(lat0, 0)) return null;

        if (geographic == 4490 && Near(k, 1) && Near(fn, 0) && Near(cm / 3, Math.Round(cm / 3)))
        {
            int zone = (int)Math.Round(cm / 3);
            if (zone is < 25 or > 45) return null;
            if (Near(fe, 500_000)) return 4534 + zone - 25;
            if (Near(fe, zone * 1_000_000.0 + 500_000)) return 4513 + zone - 25;
            return null;
        }
        if (geographic == 4326 && Near(k, 0.9996) && Near(fe, 500_000) && Near((cm + 183) / 6, Math.Round((cm + 183) / 6)))
        {
            int zone = (int)Math.Round((cm + 183) / 6);
            if (zone is < 1 or > 60) return null;
            if (Near(fn, 0)) return 32600 + zone;
            if (Near(fn, 10_000_000)) return 32700 + zone;
        }
        return null;
    }

    private static bool Near(double a, double b) => Math.Abs(a - b) < 1e-6 * Math.Max(1, Math.Abs(b));

    private static bool IsProjected(string wkt) => wkt.TrimStart().StartsWith("PROJCS", StringComparison.OrdinalIgnoreCase);

    /// <summary>4490 for a CGCS2000 datum, 4326 for WGS 84, else null.</summary>
    private static int? Datum(string wkt)
    {
        string datum = DatumRegex().Match(wkt).Groups[1].Value;
        string spheroid = SpheroidRegex().Match(wkt) is { Success: true } m ? m.Groups[1].Value : "";
        if (datum.Contains("China_2000", StringComparison.OrdinalIgnoreCase) || datum.Contains("CGCS", StringComparison.OrdinalIgnoreCase)
            || datum.Contains("China 2000", StringComparison.OrdinalIgnoreCase)
            || spheroid.Contains("CGCS2000", StringComparison.OrdinalIgnoreCase))
            return 4490;
        if (datum.Contains("WGS_1984", StringComparison.OrdinalIgnoreCase) || datum.Contains("WGS 1984", StringComparison.OrdinalIgnoreCase)
            || datum.Contains("WGS84", StringComparison.OrdinalIgnoreCase))
            return 4326;
        return null;
    }

    private static bool LinearUnitIsMetre(string wkt)
    {
        // The projected CRS's own UNIT is the last one outside the GEOGCS.
        var units = UnitRegex().Matches(wkt);
        if (units.Count == 0) return true;
        var last = units[^1];
        return double.TryParse(last.Groups[2].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && Near(f, 1);
    }

    private static Dictionary<string, double> Parameters(string wkt)
    {
        var result = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in ParameterRegex().Matches(wkt))
            if (double.TryParse(m.Groups[2].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                result[m.Groups[1].Value.Replace(' ', '_')] = v;
        return result;
    }

    [GeneratedRegex("""AUTHORITY\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]""", RegexOptions.IgnoreCase)]
    private static partial Regex AuthorityRegex();

    [GeneratedRegex("""DATUM\[\s*"([^"]*)" """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex DatumRegex();

    [GeneratedRegex("""SPHEROID\[\s*"([^"]*)" """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex SpheroidRegex();

    [GeneratedRegex("""PROJECTION\[\s*"([^"]*)" """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex ProjectionRegex();

    [GeneratedRegex("""PARAMETER\[\s*"([^"]*)"\s*,\s*([-+0-9.eE]+)\s*\]""", RegexOptions.IgnoreCase)]
    private static partial Regex ParameterRegex();

    [GeneratedRegex("""UNIT\[\s*"([^"]*)"\s*,\s*([-+0-9.eE]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex UnitRegex();
}
