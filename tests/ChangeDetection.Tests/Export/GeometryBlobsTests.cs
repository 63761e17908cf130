using ChangeDetection.Export;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace ChangeDetection.Tests.Export;

[TestFixture]
public class GeometryBlobsTests
{
    private static readonly GeometryFactory Factory = new();

    private static LinearRing Ring(double x, double y, double w, double h, bool ccw = true)
    {
        var c = new[] { new Coordinate(x, y), new Coordinate(x + w, y), new Coordinate(x + w, y + h), new Coordinate(x, y + h), new Coordinate(x, y) };
        return Factory.CreateLinearRing(ccw ? c : c.Reverse().ToArray());
    }

    /// <summary>A shell of 39 500 000-ish Gauss–Krüger coordinates with <paramref name="holes"/> small square holes.</summary>
    private static Polygon WithHoles(double x, double y, int holes) =>
        Factory.CreatePolygon(Ring(x, y, 10 * holes + 10, 30), Enumerable.Range(0, holes).Select(i => Ring(x + 10 * i + 5.5, y + 10.25, 3.125, 4, ccw: false)).ToArray());

    private static IEnumerable<TestCaseData> Geometries()
    {
        yield return new TestCaseData(WithHoles(39_512_345.5, 3_456_789.25, 0)).SetName("polygon");
        yield return new TestCaseData(WithHoles(39_512_345.5, 3_456_789.25, 7)).SetName("polygon with holes");
        yield return new TestCaseData(Factory.CreateMultiPolygon([WithHoles(39_512_345.5, 3_456_789.25, 3)])).SetName("one polygon as a multipolygon");
        yield return new TestCaseData(Factory.CreateMultiPolygon([WithHoles(1, 2, 2), WithHoles(500, -20, 0), WithHoles(-7e-3, 1e9, 4)])).SetName("multipolygon");
        yield return new TestCaseData(Factory.CreatePolygon()).SetName("empty polygon (NTS's writer)");
        yield return new TestCaseData(Factory.CreatePoint(new Coordinate(117.5, 34.5))).SetName("point (NTS's writer)");
    }

    [TestCaseSource(nameof(Geometries))]
    public void GeoPackageBlobIsNtsWritersBytes(Geometry geometry)
    {
        var copy = geometry.Copy();
        copy.SRID = 4527;
        var expected = new GeoPackageGeoWriter { HandleOrdinates = Ordinates.XY }.Write(copy);
        Assert.That(GeometryBlobs.GeoPackage(geometry, 4527), Is.EqualTo(expected));
        Assert.That(geometry.SRID, Is.Zero, "the geometry itself is left as it was");
    }

    [TestCaseSource(nameof(Geometries))]
    public void WkbIsNtsWritersBytes(Geometry geometry)
    {
        var expected = new WKBWriter(ByteOrder.LittleEndian, handleSRID: false, emitZ: false, emitM: false).Write(geometry);
        Assert.That(GeometryBlobs.Wkb(geometry), Is.EqualTo(expected));
        Assert.That(new WKBReader().Read(GeometryBlobs.Wkb(geometry)).EqualsExact(geometry), Is.True, "reads back as the same geometry");
    }
}
