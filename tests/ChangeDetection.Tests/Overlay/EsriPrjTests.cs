using ChangeDetection.Geo;
using ChangeDetection.Overlay;

namespace ChangeDetection.Tests.Overlay;

[TestFixture]
public sealed class EsriPrjTests
{
    private const string CgcsGeogcs = "GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\",DATUM[\"D_China_2000\",SPHEROID[\"CGCS2000\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";
    private const string WgsGeogcs = "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

    private static string Tm(string geogcs, string projection, double fe, double fn, double cm, double k) =>
        FormattableString.Invariant($"PROJCS[\"x\",{geogcs},PROJECTION[\"{projection}\"],PARAMETER[\"False_Easting\",{fe}],PARAMETER[\"False_Northing\",{fn}],PARAMETER[\"Central_Meridian\",{cm}],PARAMETER[\"Scale_Factor\",{k}],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]");

    [Test]
    public void EsriWkt_IdentifiedFromParameters()
    {
        Assert.Multiple(() =>
        {
            Assert.That(EsriPrj.Identify(OverlayFixtures.EsriPrj4527), Is.EqualTo(4527));
            Assert.That(EsriPrj.Identify(Tm(CgcsGeogcs, "Gauss_Kruger", 500000, 0, 117, 1)), Is.EqualTo(4548), "CM 117E without zone prefix");
            Assert.That(EsriPrj.Identify(Tm(CgcsGeogcs, "Transverse_Mercator", 40500000, 0, 120, 1)), Is.EqualTo(4528));
            Assert.That(EsriPrj.Identify(Tm(WgsGeogcs, "Transverse_Mercator", 500000, 0, 117, 0.9996)), Is.EqualTo(32650));
            Assert.That(EsriPrj.Identify(Tm(WgsGeogcs, "Transverse_Mercator", 500000, 10000000, 117, 0.9996)), Is.EqualTo(32750));
            Assert.That(EsriPrj.Identify(CgcsGeogcs), Is.EqualTo(4490));
            Assert.That(EsriPrj.Identify(WgsGeogcs), Is.EqualTo(4326));
        });
    }

    [Test]
    public void UnknownOrMismatchedDefinitions_AreNotGuessed()
    {
        Assert.Multiple(() =>
        {
            Assert.That(EsriPrj.Identify(Tm(CgcsGeogcs, "Gauss_Kruger", 500000, 0, 117, 0.9996)), Is.Null, "scale 0.9996 is not a CGCS2000 GK zone");
            Assert.That(EsriPrj.Identify(Tm(CgcsGeogcs, "Gauss_Kruger", 20500000, 0, 117, 1)), Is.Null, "6° zone 20 is not in the registry");
            Assert.That(EsriPrj.Identify(Tm(CgcsGeogcs, "Lambert_Conformal_Conic", 500000, 0, 117, 1)), Is.Null);
            Assert.That(EsriPrj.Identify("GEOGCS[\"Beijing 1954\",DATUM[\"D_Beijing_1954\",SPHEROID[\"Krasovsky_1940\",6378245.0,298.3]]]"), Is.Null);
            Assert.That(EsriPrj.Identify(""), Is.Null);
        });
    }

    [TestCase(4490)]
    [TestCase(4527)]
    [TestCase(4548)]
    [TestCase(32650)]
    public void OgcWktOfTheRegistry_RoundTrips(int epsg) => Assert.That(EsriPrj.Identify(CrsRegistry.Wkt(epsg)!), Is.EqualTo(epsg));
}
