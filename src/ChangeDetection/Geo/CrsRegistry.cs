using System.Globalization;
using ProjNet.CoordinateSystems;

namespace ChangeDetection.Geo;

/// <summary>
/// The coordinate reference systems the pipeline knows by EPSG code, as OGC WKT1 (what ProjNET
/// parses and what a GeoPackage's <c>gpkg_spatial_ref_sys.definition</c> holds):
/// CGCS2000 geographic (4490), WGS 84 (4326), CGCS2000 3° Gauss–Krüger zones 25–45 with the zone
/// number in the false easting (4513–4533, x = zone·10⁶ + 500 000 + …) and without it (4534–4554,
/// central meridians 75°E–135°E), CGCS2000 6° Gauss–Krüger zones 13–23 with the zone number
/// (4491–4501) and without it (4502–4512, central meridians 75°E–135°E), and WGS 84 / UTM zones 1–60
/// north (32601–32660) and south (32701–32760).
/// Transverse Mercator is spelled <c>Transverse_Mercator</c>: ProjNET rejects the ESRI <c>Gauss_Kruger</c>.
/// </summary>
internal static class CrsRegistry
{
    private const string Cgcs2000Geogcs =
        "GEOGCS[\"China Geodetic Coordinate System 2000\",DATUM[\"China_2000\",SPHEROID[\"CGCS2000\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"1024\"]],AUTHORITY[\"EPSG\",\"1043\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4490\"]]";
    private const string Wgs84Geogcs =
        "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4326\"]]";

    /// <summary>True when <paramref name="epsg"/> is one of the codes listed above.</summary>
    public static bool IsKnown(int epsg) => Wkt(epsg) is not null;

    /// <summary>True for the geographic (longitude/latitude) codes.</summary>
    public static bool IsGeographic(int epsg) => epsg is 4490 or 4326;

    /// <summary>The geographic CRS a code is based on (4490 for CGCS2000 codes, 4326 for WGS 84 ones), or null when unknown.</summary>
    public static int? GeographicBase(int epsg) => epsg switch
    {
        4490 or (>= 4491 and <= 4554) => 4490,
        4326 or (>= 32601 and <= 32660) or (>= 32701 and <= 32760) => 4326,
        _ => null,
    };

    /// <summary>OGC WKT1 of a known code, or null.</summary>
    public static string? Wkt(int epsg)
    {
        var ci = CultureInfo.InvariantCulture;
        switch (epsg)
        {
            case 4490: return Cgcs2000Geogcs;
            case 4326: return Wgs84Geogcs;
            case >= 4491 and <= 4501:
            {
                int zone = epsg - 4491 + 13;
                return Tm($"CGCS2000 / Gauss-Kruger zone {zone}", Cgcs2000Geogcs, 6 * zone - 3, 1.0, zone * 1_000_000.0 + 500_000, 0, epsg, ci);
            }
            case >= 4502 and <= 4512:
            {
                int cm = 75 + 6 * (epsg - 4502);
                return Tm($"CGCS2000 / Gauss-Kruger CM {cm}E", Cgcs2000Geogcs, cm, 1.0, 500_000, 0, epsg, ci);
            }
            case >= 4513 and <= 4533:
            {
                int zone = epsg - 4513 + 25;
                return Tm($"CGCS2000 / 3-degree Gauss-Kruger zone {zone}", Cgcs2000Geogcs, 3 * zone, 1.0, zone * 1_000_000.0 + 500_000, 0, epsg, ci);
            }
            case >= 4534 and <= 4554:
            {
                int cm = 75 + 3 * (epsg - 4534);
                return Tm($"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E", Cgcs2000Geogcs, cm, 1.0, 500_000, 0, epsg, ci);
            }
            case >= 32601 and <= 32660:
            {
                int zone = epsg - 32600;
                return Tm($"WGS 84 / UTM zone {zone}N", Wgs84Geogcs, -183 + 6 * zone, 0.9996, 500_000, 0, epsg, ci);
            }
            case >= 32701 and <= 32760:
            {
                int zone = epsg - 32700;
                return Tm($"WGS 84 / UTM zone {zone}S", Wgs84Geogcs, -183 + 6 * zone, 0.9996, 500_000, 10_000_000, epsg, ci);
            }
            default: return null;
        }
    }

    /// <summary>The name a known code's WKT gives it (e.g. <c>CGCS2000 / 3-degree Gauss-Kruger zone 39</c>), or null.</summary>
    public static string? Name(int epsg) => Wkt(epsg) is string wkt ? wkt[(wkt.IndexOf('"', StringComparison.Ordinal) + 1)..wkt.IndexOf('"', wkt.IndexOf('"', StringComparison.Ordinal) + 1)] : null;

    /// <summary>
    /// The CGCS2000 3° Gauss–Krüger zone with zone prefix (EPSG:4513–4533) whose central meridian
    /// (3°·zone) is nearest to <paramref name="longitude"/> (degrees east), or null outside zones 25–45 (73.5°E–136.5°E).
    /// </summary>
    public static int? GaussKruger3Degree(double longitude)
    {
        int zone = (int)Math.Floor(longitude / 3 + 0.5);
        return zone is >= 25 and <= 45 ? 4513 + zone - 25 : null;
    }

    /// <summary>
    /// The CGCS2000 6° Gauss–Krüger zone with zone prefix (EPSG:4491–4501) holding <paramref name="longitude"/>
    /// (zone n spans 6n − 6 to 6n degrees east), or null outside zones 13–23 (72°E–138°E).
    /// </summary>
    public static int? GaussKruger6Degree(double longitude)
    {
        int zone = (int)Math.Floor(longitude / 6) + 1;
        return zone is >= 13 and <= 23 ? 4491 + zone - 13 : null;
    }

    private static string Tm(string name, string geogcs, double centralMeridian, double scale, double falseEasting, double falseNorthing, int epsg, CultureInfo ci) =>
        string.Create(ci,
            $"PROJCS[\"{name}\",{geogcs},PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",{centralMeridian}],PARAMETER[\"scale_factor\",{scale}],PARAMETER[\"false_easting\",{falseEasting}],PARAMETER[\"false_northing\",{falseNorthing}],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AUTHORITY[\"EPSG\",\"{epsg}\"]]");

    private static readonly CoordinateSystemFactory Factory = new();

    /// <summary>The ProjNET coordinate system of a known code, or null.</summary>
    public static CoordinateSystem? CoordinateSystem(int epsg) => Wkt(epsg) is string wkt ? Factory.CreateFromWkt(wkt) : null;
}
