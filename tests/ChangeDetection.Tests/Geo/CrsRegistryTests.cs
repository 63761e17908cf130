using ChangeDetection.Geo;
using ProjNet.CoordinateSystems;

namespace ChangeDetection.Tests.Geo;

[TestFixture]
public class CrsRegistryTests
{
    private static IEnumerable<int> AllCodes() =>
        new[] { 4490, 4326 }.Concat(Enumerable.Range(4513, 42)).Concat(Enumerable.Range(32601, 60)).Concat(Enumerable.Range(32701, 60));

    [Test]
    public void EveryListedCodeParsesInProjNetWithTheRightKind()
    {
        foreach (int code in AllCodes())
        {
            var cs = CrsRegistry.CoordinateSystem(code);
            Assert.That(cs, Is.Not.Null, $"EPSG:{code}");
            Assert.That(cs is GeographicCoordinateSystem, Is.EqualTo(CrsRegistry.IsGeographic(code)), $"EPSG:{code} kind");
            Assert.That(cs!.AuthorityCode, Is.EqualTo(code));
        }
        Assert.That(CrsRegistry.IsKnown(3857), Is.False);
        Assert.That(CrsRegistry.Wkt(4555), Is.Null, "the code after the last CGCS2000 Gauss–Krüger zone");
    }

    [TestCase(4513, 75, 25_500_000)]
    [TestCase(4527, 117, 39_500_000)]
    [TestCase(4533, 135, 45_500_000)]
    [TestCase(4534, 75, 500_000)]
    [TestCase(4539, 90, 500_000)]
    [TestCase(4554, 135, 500_000)]
    [TestCase(32650, 117, 500_000)]
    public void FalseEastingOnTheCentralMeridian(int epsg, double centralMeridian, double falseEasting)
    {
        var m = new MapMeasurer(new Crs(epsg));
        var ll = m.ToLonLat(falseEasting, 3_300_000);
        Assert.That(ll, Is.Not.Null);
        Assert.That(ll!.Value.Lon, Is.EqualTo(centralMeridian).Within(1e-9));
        Assert.That(ll.Value.Lat, Is.InRange(29.0, 31.0));
    }

    [TestCase(4527, 39_512_345.6, 3_412_345.6)]
    [TestCase(4527, 39_380_000.0, 4_400_000.0)]
    [TestCase(4545, 421_000.0, 2_500_000.0)]
    [TestCase(32650, 350_000.0, 4_500_000.0)]
    [TestCase(32750, 650_000.0, 7_000_000.0)]
    public void LonLatMatchesGdal(int epsg, double x, double y)
    {
        string tool = ExternalTools.RequireTool("gdaltransform");
        int target = epsg >= 32600 ? 4326 : 4490;
        var psi = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-s_srs", $"EPSG:{epsg}", "-t_srs", $"EPSG:{target}", "-output_xy" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.WriteLine(FormattableString.Invariant($"{x} {y}"));
        p.StandardInput.Close();
        var parts = p.StandardOutput.ReadToEnd().Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        double lon = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        double lat = double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var ll = new MapMeasurer(new Crs(epsg)).ToLonLat(x, y)!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(ll.Lon, Is.EqualTo(lon).Within(1e-8));
            Assert.That(ll.Lat, Is.EqualTo(lat).Within(1e-8));
        });
    }

    [Test]
    public void UnknownCrsHasNoLonLat()
    {
        Assert.That(new MapMeasurer(new Crs(3857)).ToLonLat(1, 2), Is.Null);
        Assert.That(new MapMeasurer(Crs.Unknown).CanLocate, Is.False);
    }
}
