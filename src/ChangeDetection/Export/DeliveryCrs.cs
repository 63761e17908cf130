using System.Globalization;
using ChangeDetection.Geo;
using ChangeDetection.Overlay;
using ChangeDetection.Tasks;

namespace ChangeDetection.Export;

/// <summary>How the projected CRS of a package's Shapefile and GeoPackage is chosen.</summary>
public enum DeliveryCrsKind
{
    /// <summary>The CGCS2000 3° Gauss–Krüger zone with zone prefix (EPSG:4513–4533) nearest the package's centre: what provinces receive.</summary>
    GaussKruger3,
    /// <summary>The CGCS2000 6° Gauss–Krüger zone with zone prefix (EPSG:4491–4501) holding the package's centre.</summary>
    GaussKruger6,
    /// <summary>The image CRS, unchanged.</summary>
    Image,
    /// <summary>One EPSG code for every package (<see cref="DeliveryCrs.Epsg"/>).</summary>
    Fixed,
}

/// <summary>
/// The delivery CRS setting (交付坐标系) of province packages: GeoJSON and KML are always CGCS2000
/// longitude/latitude (EPSG:4490); the Shapefile and GeoPackage use the CRS this setting picks.
/// Written in a region config (<c>"deliveryCrs"</c>) and on the command line (<c>--crs</c>) as
/// <c>gk3</c> (default), <c>gk6</c>, <c>image</c> or <c>EPSG:NNNN</c> (a code <see cref="CrsRegistry"/> knows).
/// Areas are not touched: they stay as computed in the image CRS.
/// </summary>
public readonly record struct DeliveryCrs(DeliveryCrsKind Kind, int? Epsg = null)
{
    /// <summary>The default: the CGCS2000 3° Gauss–Krüger zone of the package.</summary>
    public static DeliveryCrs Default => new(DeliveryCrsKind.GaussKruger3);

    /// <summary>The words <see cref="Parse"/> accepts, for messages.</summary>
    public const string Choices = "gk3 (CGCS2000 3° Gauss-Krüger zone, default), gk6 (6° zone), image (the image CRS) or EPSG:NNNN";

    /// <summary>Parses a setting (case-insensitive).</summary>
    /// <exception cref="FormatException">Not one of <see cref="Choices"/>, or an EPSG code the pipeline cannot transform to.</exception>
    public static DeliveryCrs Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (t.Equals("gk3", StringComparison.OrdinalIgnoreCase)) return Default;
        if (t.Equals("gk6", StringComparison.OrdinalIgnoreCase)) return new(DeliveryCrsKind.GaussKruger6);
        if (t.Equals("image", StringComparison.OrdinalIgnoreCase)) return new(DeliveryCrsKind.Image);
        string digits = t.StartsWith("EPSG:", StringComparison.OrdinalIgnoreCase) ? t[5..] : t;
        if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int epsg))
            return CrsRegistry.IsKnown(epsg)
                ? new(DeliveryCrsKind.Fixed, epsg)
                : throw new FormatException($"'{text}' is not a CRS the pipeline can transform to (EPSG:4490, 4326, 4491–4554, UTM 326xx/327xx)");
        throw new FormatException($"'{text}' is not {Choices}");
    }

    public override string ToString() => Kind switch
    {
        DeliveryCrsKind.GaussKruger3 => "gk3",
        DeliveryCrsKind.GaussKruger6 => "gk6",
        DeliveryCrsKind.Image => "image",
        _ => $"EPSG:{Epsg}",
    };

    /// <summary>
    /// The projected CRS for tasks whose outlines, in <paramref name="imageCrs"/>, have their centre
    /// (the middle of their joint bounding box) at longitude <paramref name="centreLongitude"/>.
    /// </summary>
    /// <exception cref="ChangeDetectionException">The centre is outside the CGCS2000 zones (China, 72°E–138°E).</exception>
    public Crs ProjectedFor(Crs imageCrs, double? centreLongitude)
    {
        ArgumentNullException.ThrowIfNull(imageCrs);
        int? epsg = Kind switch
        {
            DeliveryCrsKind.Image => null,
            DeliveryCrsKind.Fixed => Epsg,
            _ => Zone(imageCrs, centreLongitude),
        };
        return epsg is int code ? new Crs(code, CrsRegistry.Name(code), CrsRegistry.IsGeographic(code)) : imageCrs;
    }

    private int Zone(Crs imageCrs, double? centreLongitude)
    {
        if (centreLongitude is not double lon)
            throw new ChangeDetectionException($"the image CRS {imageCrs} cannot be located in longitude/latitude, so no Gauss-Krüger zone can be chosen; deliver in it with --crs image.");
        return (Kind == DeliveryCrsKind.GaussKruger3 ? CrsRegistry.GaussKruger3Degree(lon) : CrsRegistry.GaussKruger6Degree(lon)) ?? throw OutsideZones(lon);
    }

    private ChangeDetectionException OutsideZones(double lon) =>
        new(string.Create(CultureInfo.InvariantCulture, $"the tasks lie at {lon:F3}°E, outside the CGCS2000 Gauss-Krüger zones ({this}: 72°E–138°E); give an EPSG code with --crs or \"deliveryCrs\", or --crs image."));
}

/// <summary>
/// A package's tasks in its delivery CRS: <see cref="Projected"/> (outlines and ZXDX/ZXDY in
/// <see cref="Crs"/>, for the Shapefile, GeoPackage and the tables) and <see cref="ForLonLat"/> (the
/// same ZXDX/ZXDY, outlines still in the image CRS, from which GeoJSON and KML go to longitude/latitude
/// in one step). TBMJ and the overlaps are the image-CRS values in both.
/// </summary>
internal sealed record DeliveredTasks(Crs Crs, IReadOnlyList<VerificationTask> Projected, IReadOnlyList<VerificationTask> ForLonLat)
{
    /// <exception cref="ChangeDetectionException">No delivery CRS can be chosen; the message starts with <paramref name="where"/>.</exception>
    public static DeliveredTasks Of(IReadOnlyList<VerificationTask> tasks, Crs imageCrs, DeliveryCrs setting, string where)
    {
        Crs target;
        try
        {
            target = setting.ProjectedFor(imageCrs, CentreLongitude(tasks, imageCrs));
        }
        catch (ChangeDetectionException e)
        {
            throw new ChangeDetectionException($"{where}: {e.Message}", e);
        }
        if (target.IsSameAs(imageCrs)) return new DeliveredTasks(imageCrs, tasks, tasks);
        var reprojector = GeometryReprojector.Create(imageCrs, target, where);
        var projected = new List<VerificationTask>(tasks.Count);
        var forLonLat = new List<VerificationTask>(tasks.Count);
        var factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory();
        foreach (var t in tasks)
        {
            var centre = (NetTopologySuite.Geometries.Point)reprojector.Transform(factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(t.ZXDX, t.ZXDY)));
            var moved = t with { ZXDX = centre.X, ZXDY = centre.Y };
            forLonLat.Add(moved);
            var outline = reprojector.Transform(t.Geometry);
            outline.SRID = target.Epsg ?? 0;
            projected.Add(moved with { Geometry = outline });
        }
        return new DeliveredTasks(target, projected, forLonLat);
    }

    /// <summary>Longitude of the middle of the tasks' joint bounding box, or null when the image CRS cannot be located.</summary>
    private static double? CentreLongitude(IReadOnlyList<VerificationTask> tasks, Crs imageCrs)
    {
        if (tasks.Count == 0) return null;
        var envelope = new NetTopologySuite.Geometries.Envelope();
        foreach (var t in tasks) envelope.ExpandToInclude(t.Geometry.EnvelopeInternal);
        return new MapMeasurer(imageCrs).ToLonLat(envelope.Centre.X, envelope.Centre.Y)?.Lon;
    }
}
