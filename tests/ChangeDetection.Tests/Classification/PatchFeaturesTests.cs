using ChangeDetection.Classification;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Tests.Raster;
using ChangeDetection.Vectorization;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Classification;

[TestFixture]
public class PatchFeaturesTests
{
    private static readonly GeometryFactory Factory = new();
    private static readonly GeoTransform Gt = new(39_500_000, 2, 0, 3_800_000, 0, -2);

    private static Polygon Box(double x0, double y0, double x1, double y1) =>
        Factory.CreatePolygon([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1), new(x0, y0)]);

    /// <summary>Before: blue = 100 + 4·col, green 200, red 300, nir 900. After: blue 120, green 400, red 500, nir 500.</summary>
    private static ScenePair Pair(TempDir dir, double? nodata = null, (int C, int R)? hole = null)
    {
        bool Hole(int c, int r) => hole is { } h && h.C == c && h.R == r;
        string before = ScenePairTests.Write(dir, "b.tif", 20, 20, Gt, (k, c, r) => Hole(c, r) ? 0 : k switch { 0 => 100 + 4 * c, 1 => 200, 2 => 300, _ => 900 }, nodata: nodata);
        string after = ScenePairTests.Write(dir, "a.tif", 20, 20, Gt, (k, c, r) => Hole(c, r) ? 0 : k switch { 0 => 120, 1 => 400, 2 => 500, _ => 500 }, nodata: nodata);
        return ScenePair.Open(before, after);
    }

    private static Patch Square(ScenePair pair, int x0, int y0, int x1, int y1)
    {
        var geometry = Box(x0, y0, x1, y1);
        var patches = PatchBuilder.Build([new TracedComponent(1, 1, (long)(x1 - x0) * (y1 - y0), geometry)], pair.Grid,
            new PatchOptions { MinAreaM2 = 0, SimplifyToleranceMetres = 0 });
        Assert.That(patches, Has.Count.EqualTo(1));
        return patches[0];
    }

    private static float F(float[] f, string name) => f[PatchFeatures.IndexOf(name)];

    [Test]
    public void NamesMatchTheVectorLength()
    {
        Assert.That(PatchFeatures.Names, Has.Count.EqualTo(PatchFeatures.Length));
        Assert.That(PatchFeatures.Names, Is.Unique);
    }

    [Test]
    public void SquarePatchHasExactlyKnownSpectralFeatures()
    {
        using var dir = new TempDir();
        using var pair = Pair(dir);
        // Columns 5..10, rows 5..10: 36 pixels of 2 m → 144 m², perimeter 48 m.
        var f = PatchFeatures.Compute(pair, Square(pair, 5, 5, 11, 11));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(F(f, "blue_mean_before"), Is.EqualTo(130).Within(1e-4));
            Assert.That(F(f, "blue_std_before"), Is.EqualTo(4 * Math.Sqrt(35.0 / 12)).Within(1e-4));
            Assert.That(F(f, "blue_mean_after"), Is.EqualTo(120).Within(1e-4));
            Assert.That(F(f, "blue_std_after"), Is.EqualTo(0).Within(1e-4));
            Assert.That(F(f, "blue_norm_diff"), Is.EqualTo(-10.0 / 250).Within(1e-6));
            Assert.That(F(f, "green_mean_before"), Is.EqualTo(200).Within(1e-4));
            Assert.That(F(f, "green_mean_after"), Is.EqualTo(400).Within(1e-4));
            Assert.That(F(f, "green_norm_diff"), Is.EqualTo(200.0 / 600).Within(1e-6));
            Assert.That(F(f, "nir_mean_before"), Is.EqualTo(900).Within(1e-4));
            Assert.That(F(f, "ndvi_before"), Is.EqualTo(0.5).Within(1e-6));
            Assert.That(F(f, "ndvi_after"), Is.EqualTo(0).Within(1e-6));
            Assert.That(F(f, "ndvi_change"), Is.EqualTo(-0.5).Within(1e-6));
            Assert.That(F(f, "ndwi_before"), Is.EqualTo(-7.0 / 11).Within(1e-6));
            Assert.That(F(f, "ndwi_after"), Is.EqualTo(-1.0 / 9).Within(1e-6));
            Assert.That(F(f, "brightness_before"), Is.EqualTo((130 + 200 + 300 + 900) / 4.0).Within(1e-4));
            Assert.That(F(f, "brightness_after"), Is.EqualTo((120 + 400 + 500 + 500) / 4.0).Within(1e-4));
            // Brightness rises by 1 per column before, flat after.
            Assert.That(F(f, "gradient_before"), Is.EqualTo(1).Within(1e-5));
            Assert.That(F(f, "gradient_after"), Is.EqualTo(0).Within(1e-6));
            Assert.That(F(f, "valid_fraction"), Is.EqualTo(1));
            Assert.That(F(f, "edge_fraction"), Is.EqualTo(0));
        }
    }

    [Test]
    public void SquarePatchHasExactlyKnownShape()
    {
        using var dir = new TempDir();
        using var pair = Pair(dir);
        var f = PatchFeatures.Compute(pair, Square(pair, 5, 5, 11, 11));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(F(f, "area_m2_log10"), Is.EqualTo(Math.Log10(144)).Within(1e-5));
            Assert.That(F(f, "perimeter_m"), Is.EqualTo(48).Within(1e-4));
            Assert.That(F(f, "compactness"), Is.EqualTo(Math.PI / 4).Within(1e-5));
            Assert.That(F(f, "elongation"), Is.EqualTo(1).Within(1e-5));
            Assert.That(F(f, "rect_fill"), Is.EqualTo(1).Within(1e-5));
            Assert.That(F(f, "hole_count"), Is.EqualTo(0));
            Assert.That(F(f, "pixel_count_log10"), Is.EqualTo(Math.Log10(36)).Within(1e-5));
        }
    }

    [Test]
    public void ElongatedRingHasItsAspectAndHole()
    {
        using var dir = new TempDir();
        using var pair = Pair(dir);
        // 12 × 4 pixels with a 2 × 2 hole: 44 pixels.
        var ring = (Polygon)Box(2, 8, 14, 12).Difference(Box(6, 9, 8, 11));
        var patch = PatchBuilder.Build([new TracedComponent(1, 1, 44, ring)], pair.Grid, new PatchOptions { MinAreaM2 = 0, SimplifyToleranceMetres = 0 })[0];
        var f = PatchFeatures.Compute(pair, patch);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(F(f, "elongation"), Is.EqualTo(3).Within(1e-5));
            Assert.That(F(f, "hole_count"), Is.EqualTo(1));
            Assert.That(F(f, "pixel_count_log10"), Is.EqualTo(Math.Log10(44)).Within(1e-5));
            Assert.That(F(f, "perimeter_m"), Is.EqualTo(2 * (24 + 8) + 4 * 4).Within(1e-4));
        }
    }

    [Test]
    public void PatchOnTheImageBorderCountsItsEdgePixels()
    {
        using var dir = new TempDir();
        using var pair = Pair(dir);
        // 3 × 3 in the top-left corner: row 0 or column 0 → 5 of 9 pixels.
        var f = PatchFeatures.Compute(pair, Square(pair, 0, 0, 3, 3));
        Assert.That(F(f, "edge_fraction"), Is.EqualTo(5f / 9).Within(1e-6));
    }

    [Test]
    public void NodataPixelIsLeftOutAndMarksItsNeighbours()
    {
        using var dir = new TempDir();
        using var pair = Pair(dir, nodata: 0, hole: (7, 7));
        var f = PatchFeatures.Compute(pair, Square(pair, 5, 5, 11, 11));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(F(f, "valid_fraction"), Is.EqualTo(35f / 36).Within(1e-6));
            Assert.That(F(f, "edge_fraction"), Is.EqualTo(9f / 36).Within(1e-6));
            Assert.That(F(f, "green_mean_before"), Is.EqualTo(200).Within(1e-4));
            Assert.That(F(f, "ndvi_before"), Is.EqualTo(0.5).Within(1e-6));
        }
    }

    [Test]
    public void MissingBandsAndTheirIndicesAreNaN()
    {
        using var dir = new TempDir();
        // 3-band convention: red, green, blue.
        string before = ScenePairTests.Write(dir, "b.tif", 10, 10, Gt, (k, c, r) => 100 * (k + 1), bands: 3);
        string after = ScenePairTests.Write(dir, "a.tif", 10, 10, Gt, (k, c, r) => 200 * (k + 1), bands: 3);
        using var pair = ScenePair.Open(before, after);
        var f = PatchFeatures.Compute(pair, Square(pair, 2, 2, 6, 6));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(F(f, "red_mean_before"), Is.EqualTo(100));
            Assert.That(F(f, "blue_mean_after"), Is.EqualTo(600));
            Assert.That(F(f, "nir_mean_before"), Is.NaN);
            Assert.That(F(f, "ndvi_before"), Is.NaN);
            Assert.That(F(f, "ndwi_change"), Is.NaN);
            Assert.That(F(f, "brightness_before"), Is.EqualTo(200));
            Assert.That(F(f, "compactness"), Is.EqualTo(Math.PI / 4).Within(1e-5));
        }
    }

    [Test]
    public void RasterisationTakesPixelCentresInsideTheOutline()
    {
        // L-shape: 3 × 1 bar plus 1 × 2 leg → 5 pixels; hole-free.
        var l = Factory.CreatePolygon([new(1, 1), new(4, 1), new(4, 2), new(2, 2), new(2, 4), new(1, 4), new(1, 1)]);
        var inside = PatchFeatures.Rasterise(l, new PixelWindow(0, 0, 5, 5));
        var expected = new bool[25];
        foreach (var (x, y) in new[] { (1, 1), (2, 1), (3, 1), (1, 2), (1, 3) }) expected[y * 5 + x] = true;
        Assert.That(inside, Is.EqualTo(expected));
    }
}
