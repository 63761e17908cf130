using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Vectorization;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.IO;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace ChangeDetection.Tests.Vectorization;

/// <summary>Our polygons against <c>gdal_polygonize.py</c> on the same GeoTIFF: value-1 polygons, count, area, symmetric difference.</summary>
[TestFixture]
[Category("Gdal")]
public class GdalPolygonizeAgreementTests
{
    private const int W = 257, H = 231;

    /// <summary>GDAL's polygons with DN = <paramref name="value"/>, back in pixel space (exact: the transform has power-of-two steps).</summary>
    private static List<Geometry> GdalPolygons(string mask, string dir, bool eight, int value)
    {
        string tool = ExternalTools.RequireTool("gdal_polygonize.py");
        string gpkg = Path.Combine(dir, eight ? "gdal8.gpkg" : "gdal4.gpkg");
        var args = new List<string>();
        if (eight) args.Add("-8");
        args.AddRange([mask, "-q", "-f", "GPKG", gpkg, "out", "DN"]);
        var (code, stdout, stderr) = ExternalTools.Run(tool, args);
        Assert.That(code, Is.Zero, stdout + stderr);
        var toPixel = new AffineTransformation(0.5, 0, -39_500_000 * 0.5, 0, -0.5, 3_400_000 * 0.5);
        var result = new List<Geometry>();
        using var db = new SqliteConnection($"Data Source={gpkg};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT geom FROM out WHERE DN = $v";
        cmd.Parameters.AddWithValue("$v", value);
        using var r = cmd.ExecuteReader();
        var reader = new GeoPackageGeoReader();
        while (r.Read())
        {
            var g = reader.Read((byte[])r[0]);
            g.Apply(toPixel);
            result.Add(g);
        }
        return result;
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var kind in new[] { "blobs", "holes", "islands", "checkerboard", "tile-corners", "noise" })
            yield return new TestCaseData(kind).SetName($"GdalAgreement_{kind}");
    }

    [TestCaseSource(nameof(Cases))]
    public void SamePolygonsAsGdalPolygonizeWithFourConnectivity(string kind)
    {
        using var dir = new TempDir();
        var m = TestMasks.Make(kind, W, H, seed: 77 + kind.Length);
        // Some nodata: not change for either side.
        for (int i = 0; i < 400; i++) m[(i / 20 + 100) * W + 100 + i % 20] = 255;
        string mask = MaskFiles.Write(dir.File("mask.tif"), m, W, H, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39, noData: 255);
        var gdal = GdalPolygons(mask, dir.Path, eight: false, value: 1);

        using var reader = GeoTiffReader.Open(mask);
        var ours = MaskPolygonizer.Polygonize(new GeoTiffMaskSource(reader), new PolygonizeOptions { TileSize = 64 })
            .Where(c => c.ClassValue == 1).Select(c => c.PixelGeometry).ToList();

        Assert.That(ours, Has.Count.EqualTo(gdal.Count), "polygon count");
        Assert.That(ours.Sum(g => g.Area), Is.EqualTo(gdal.Sum(g => g.Area)), "total area (pixels)");

        // One-to-one: each GDAL polygon is matched to a distinct polygon of ours with an empty symmetric
        // difference; with equal counts this makes the symmetric difference of the two sets empty.
        var byEnvelope = ours.GroupBy(g => g.EnvelopeInternal).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var g in gdal)
        {
            Assert.That(byEnvelope.TryGetValue(g.EnvelopeInternal, out var candidates), Is.True, () => $"no polygon of ours with the envelope of {g}");
            var fixedG = g.IsValid ? g : GeometryFixer.Fix(g);
            // Identical vertices once normalised (the usual case) already mean an empty symmetric difference; the overlay,
            // seconds over the thousands of polygons of the checkerboard and noise masks, decides the rest.
            var normalized = fixedG.Normalized();
            int match = candidates!.FindIndex(o => o.Normalized().EqualsExact(normalized));
            if (match < 0) match = candidates.FindIndex(o => OverlayNGRobust.Overlay(o, fixedG, SpatialFunction.SymDifference).IsEmpty);
            Assert.That(match, Is.GreaterThanOrEqualTo(0), () => $"no polygon of ours equals GDAL's {g}");
            candidates.RemoveAt(match);
        }
        Assert.That(byEnvelope.Values.Sum(l => l.Count), Is.Zero, "every polygon of ours matched");
        if (ours.Count <= 2000)
        {
            // And directly on the unions, where that is cheap.
            var f = new GeometryFactory();
            var a = f.BuildGeometry(ours).Union();
            var b = f.BuildGeometry(gdal.Select(g => g.IsValid ? g : GeometryFixer.Fix(g))).Union();
            Assert.That(OverlayNGRobust.Overlay(a, b, SpatialFunction.SymDifference).IsEmpty, Is.True, "empty symmetric difference of the unions");
        }
        Assert.That(ours.All(g => g.IsValid), Is.True);
    }

    [Test]
    public void SameCountAndAreaAsGdalPolygonizeWithEightConnectivity()
    {
        using var dir = new TempDir();
        var m = TestMasks.Make("noise", W, H, seed: 4);
        string mask = MaskFiles.Write(dir.File("mask.tif"), m, W, H, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39);
        var gdal = GdalPolygons(mask, dir.Path, eight: true, value: 1);
        using var reader = GeoTiffReader.Open(mask);
        var ours = MaskPolygonizer.Polygonize(new GeoTiffMaskSource(reader), new PolygonizeOptions { TileSize = 64, Connectivity = Connectivity.Eight });
        Assert.That(ours, Has.Count.EqualTo(gdal.Count));
        Assert.That(ours.Sum(g => g.PixelGeometry.Area), Is.EqualTo(gdal.Sum(g => g.Area)));
        Assert.That(ours.All(g => g.PixelGeometry.IsValid), Is.True);
    }
}
