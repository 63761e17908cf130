using ChangeDetection.Geo;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Geo;

[TestFixture]
public class AreaTests
{
    private static readonly GeometryFactory F = new();

    private static Polygon Rect(double x0, double y0, double x1, double y1) => (Polygon)F.ToGeometry(new Envelope(x0, x1, y0, y1));

    /// <summary>Independent reference: ∫∫ M(φ)·N(φ)·cos φ dφ dλ by Simpson's rule.</summary>
    private static double EllipsoidCellArea(double lon0, double lat0, double lon1, double lat1, double invF)
    {
        const double a = 6378137;
        double f = 1 / invF, e2 = f * (2 - f);
        int n = 2000;
        double h = (lat1 - lat0) * Math.PI / 180 / n, sum = 0;
        for (int i = 0; i <= n; i++)
        {
            double phi = lat0 * Math.PI / 180 + i * h, s = Math.Sin(phi), w = 1 - e2 * s * s;
            double g = a * a * (1 - e2) * Math.Cos(phi) / (w * w);
            sum += g * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3 * (lon1 - lon0) * Math.PI / 180;
    }

    [TestCase(4490, 116.0, 39.0, 117.0, 40.0, 298.257222101)]
    [TestCase(4326, 10.0, -1.0, 11.0, 0.5, 298.257223563)]
    [TestCase(4490, 120.0, 30.0, 120.0001, 30.0001, 298.257222101)]
    public void GeographicAreaIsTheEllipsoidArea(int epsg, double lon0, double lat0, double lon1, double lat1, double invF)
    {
        var m = new MapMeasurer(new Crs(epsg, IsGeographic: true));
        double expected = EllipsoidCellArea(lon0, lat0, lon1, lat1, invF);
        Assert.That(m.AreaSquareMetres(Rect(lon0, lat0, lon1, lat1)), Is.EqualTo(expected).Within(expected * 1e-9));
    }

    [Test]
    public void GeographicAreaSubtractsHolesAndAddsParts()
    {
        var m = new MapMeasurer(Crs.Cgcs2000);
        var outer = Rect(116, 39, 116.01, 39.01);
        var hole = Rect(116.002, 39.002, 116.004, 39.004);
        var withHole = F.CreatePolygon((LinearRing)outer.ExteriorRing, [(LinearRing)hole.ExteriorRing]);
        double expected = m.AreaSquareMetres(outer) - m.AreaSquareMetres(hole);
        Assert.That(m.AreaSquareMetres(withHole), Is.EqualTo(expected).Within(1e-6));
        var multi = F.CreateMultiPolygon([outer, Rect(117, 39, 117.01, 39.01)]);
        Assert.That(m.AreaSquareMetres(multi), Is.EqualTo(m.AreaSquareMetres(outer) + EllipsoidCellArea(117, 39, 117.01, 39.01, 298.257222101)).Within(1e-3));
    }

    [Test]
    public void ProjectedAreaIsPlanar()
    {
        var m = new MapMeasurer(new Crs(4527));
        Assert.That(m.AreaSquareMetres(Rect(39_500_000, 3_400_000, 39_500_030, 3_400_020)), Is.EqualTo(600));
    }

    [Test]
    public void MuIsTenThousandFifteenthsOfASquareMetre()
    {
        Assert.That(AreaUnits.ToMu(10_000), Is.EqualTo(15).Within(1e-12));
        Assert.That(AreaUnits.ToMu(666.6666666666666), Is.EqualTo(1).Within(1e-12));
    }
}
