using ChangeDetection.Geo;
using ChangeDetection.Tasks;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Tasks;

/// <summary>Hand-made verification tasks in EPSG:4527 (CGCS2000 GK zone 39) over two provinces.</summary>
internal static class TaskSamples
{
    public static Crs Gk39 => new(4527, "CGCS2000 / 3-degree Gauss-Kruger zone 39");

    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4527);

    /// <summary>An axis-aligned square (optionally with a square hole) with its top-left corner at (x, y).</summary>
    public static Polygon Square(double x, double y, double side, bool hole = false)
    {
        var shell = Factory.CreateLinearRing([new(x, y), new(x, y - side), new(x + side, y - side), new(x + side, y), new(x, y)]);
        if (!hole) return Factory.CreatePolygon(shell);
        double q = side / 4;
        var h = Factory.CreateLinearRing([new(x + q, y - q), new(x + 3 * q, y - q), new(x + 3 * q, y - 3 * q), new(x + q, y - 3 * q), new(x + q, y - q)]);
        return Factory.CreatePolygon(shell, [h]);
    }

    public static VerificationTask Make(string xzqdm, string name, Geometry g, string cls = "construction", double farmland = 0, double permanent = 0, double eco = 0,
        IReadOnlyDictionary<string, double>? extra = null)
    {
        var measurer = new MapMeasurer(Gk39);
        var c = g.Centroid;
        var ll = measurer.ToLonLat(c.X, c.Y);
        return new VerificationTask
        {
            XZQDM = xzqdm,
            XZQMC = name,
            TBMJ = g.Area,
            QSX = new DateOnly(2026, 4, 12),
            HSX = new DateOnly(2026, 7, 20),
            BHLX = cls,
            ZXD = 0.8765,
            ZXDX = c.X,
            ZXDY = c.Y,
            JD = ll?.Lon,
            WD = ll?.Lat,
            GDMJ = farmland,
            YJJBNTMJ = permanent,
            STHXMJ = eco,
            CZKFMJ = 12.345,
            Extra = extra ?? new Dictionary<string, double>(),
            YXJ = TaskPriority.Of(permanent, farmland, eco),
            Geometry = g,
        };
    }

    /// <summary>
    /// Seven tasks: five in Henan (41, two counties), two in Hebei (13); Chinese names, a hole, a custom
    /// layer (on one task: empty on the others), and one task with two overlaps not checked (null).
    /// </summary>
    public static IReadOnlyList<VerificationTask> TwoProvinces()
    {
        const double x0 = 39_554_000, y0 = 3_824_000;
        var tasks = new List<VerificationTask>
        {
            Make("410102", "中原区", Square(x0, y0, 40), "construction", farmland: 100, permanent: 50),
            Make("410102", "中原区", Square(x0 + 100, y0, 30, hole: true), "pond", farmland: 20),
            Make("410102", "中原区", Square(x0, y0 - 200, 25), "solar", extra: new Dictionary<string, double> { ["KCZY"] = 33.333 }),
            Make("410103", "二七区", Square(x0 + 300, y0 - 50, 60), "earthwork", eco: 5),
            Make("410103", "二七区", Square(x0 + 400, y0 - 300, 20), "road") with { STHXMJ = null, CZKFMJ = null },
            Make("130102", "长安区", Square(x0 + 600, y0 - 100, 50), "vegetation", farmland: 0.001),
            Make("130102", "长安区", Square(x0 + 700, y0 - 100, 35), "unclassified"),
        };
        return TaskNumbering.Assign(tasks, "2026Q3");
    }
}
