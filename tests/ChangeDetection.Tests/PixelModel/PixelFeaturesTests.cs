using ChangeDetection.PixelModel;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.PixelModel;

[TestFixture]
public class PixelFeaturesTests
{
    private static readonly SpectralBand[] Bgrn = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir];

    /// <summary>The default schema's hand-made groups: the deep group needs scene statistics (see DeepChannelsTests).</summary>
    private static readonly PixelFeatureSchema HandMade = new(PixelFeatureSchema.CurrentVersion,
        [.. PixelFeatureSchema.Default.Groups.Where(g => g is not DeepChannels)]);

    /// <summary>
    /// A 3 × 3 window, bands blue, green, red, NIR: before 100, 100, 100, 300 everywhere; after the same except
    /// the centre, whose red rises to 200 and NIR falls to 100; the bottom-right pixel is nodata. Normalisation
    /// by hand: gain 1, offset 0, scale 0.01, mean 100, so z = (DN − 100)/100.
    /// </summary>
    [Test]
    public void FeaturesOfATinyWindowAreTheHandComputedValues()
    {
        const int w = 3, n = 9, centre = 4, corner = 0, hole = 8;
        var before = new ushort[4 * n];
        var after = new ushort[4 * n];
        for (int i = 0; i < n; i++)
        {
            before[i] = before[n + i] = before[2 * n + i] = 100;
            before[3 * n + i] = 300;
        }
        before.CopyTo(after, 0);
        after[2 * n + centre] = 200;
        after[3 * n + centre] = 100;
        var valid = Enumerable.Repeat((byte)1, n).ToArray();
        valid[hole] = 0;
        var rad = new PixelRadiometry(Bgrn, [1, 1, 1, 1], [0, 0, 0, 0], [0.01f, 0.01f, 0.01f, 0.01f], [100, 100, 100, 100]);
        var window = new PixelWindowSamples(new PixelWindow(0, 0, w, w), before, after, valid, rad);
        var names = HandMade.Names(Bgrn).ToList();
        var f = HandMade.Compute(window);
        float V(string name, int pixel) => f[names.IndexOf(name) * n + pixel];

        double cva = Math.Sqrt(5);                // diff red +1, NIR −2
        Assert.Multiple(() =>
        {
            Assert.That(f, Has.Length.EqualTo(names.Count * n));
            Assert.That(names, Does.Not.Contain("mndwi_before"), "no SWIR1 band: no MNDWI");
            Assert.That(V("z_before_nir", centre), Is.EqualTo(2).Within(1e-6));
            Assert.That(V("z_after_red", centre), Is.EqualTo(1).Within(1e-6));
            Assert.That(V("diff_nir", centre), Is.EqualTo(-2).Within(1e-6));
            Assert.That(V("diff_nir", corner), Is.EqualTo(0));
            Assert.That(V("cva", centre), Is.EqualTo(cva).Within(1e-6));
            Assert.That(V("bright_before", centre), Is.EqualTo(0.5).Within(1e-6));
            Assert.That(V("bright_after", centre), Is.EqualTo(0.25).Within(1e-6));
            Assert.That(V("bright_diff", centre), Is.EqualTo(-0.25).Within(1e-6));
            Assert.That(V("ndvi_before", centre), Is.EqualTo(0.5).Within(1e-6), "(300 − 100)/(300 + 100)");
            Assert.That(V("ndvi_after", centre), Is.EqualTo(-1.0 / 3).Within(1e-6), "(100 − 200)/(100 + 200)");
            Assert.That(V("ndvi_diff", centre), Is.EqualTo(-5.0 / 6).Within(1e-6));
            Assert.That(V("ndwi_before", centre), Is.EqualTo(-0.5).Within(1e-6), "(100 − 300)/(100 + 300)");
            Assert.That(V("ndwi_diff", centre), Is.EqualTo(0.5).Within(1e-6));
            // 3 × 3 box around the centre: 8 valid pixels (the hole is left out), one of them √5.
            Assert.That(V("cva_mean_r1", centre), Is.EqualTo(cva / 8).Within(1e-6));
            Assert.That(V("cva_std_r1", centre), Is.EqualTo(Math.Sqrt(5.0 / 8 - 5.0 / 64)).Within(1e-6));
            Assert.That(V("cva_mean_r1", corner), Is.EqualTo(cva / 4).Within(1e-6), "the corner's box is clipped to 4 pixels");
            Assert.That(V("cva_mean_r7", centre), Is.EqualTo(V("cva_mean_r1", centre)), "a wider box is clipped to the same 8 pixels");
            Assert.That(V("bright_after_mean_r1", centre), Is.EqualTo((7 * 0.5 + 0.25) / 8).Within(1e-6));
            Assert.That(V("bright_before_std_r3", centre), Is.EqualTo(0).Within(1e-6));
            // Sobel on bright_after at the centre: neighbours 0.5, the hole takes the centre's 0.25.
            Assert.That(V("grad_after", centre), Is.EqualTo(Math.Sqrt(0.125) / 8).Within(1e-6));
            Assert.That(V("grad_before", centre), Is.EqualTo(0).Within(1e-6), "the hole takes the centre value: a flat field");
            Assert.That(V("grad_diff", centre), Is.EqualTo(Math.Sqrt(0.125) / 8).Within(1e-6));
            Assert.That(V("cva_min_shift1", centre), Is.EqualTo(cva).Within(1e-6), "every before neighbour differs by the same vector");
            Assert.That(V("cva_min_shift1", corner), Is.EqualTo(0));
            Assert.That(Enumerable.Range(0, names.Count).All(k => float.IsNaN(f[k * n + hole])), Is.True, "nodata gets NaN in every channel");
        });
    }

    /// <summary>
    /// A vertical edge (100 left, 300 right, three bands) that moves one column right between the dates: the plain
    /// change vector at the moved column is large, the shift-tolerant one finds the matching before pixel next to it.
    /// </summary>
    [Test]
    public void AnEdgeMovedByOnePixelIsNoChangeForTheShiftTolerantChannels()
    {
        const int w = 5, n = 25;
        SpectralBand[] rgb = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red];
        var before = new ushort[3 * n];
        var after = new ushort[3 * n];
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < n; i++)
            {
                before[k * n + i] = (ushort)(i % w < 2 ? 100 : 300);
                after[k * n + i] = (ushort)(i % w < 3 ? 100 : 300);
            }
        var rad = new PixelRadiometry(rgb, [1, 1, 1], [0, 0, 0], [0.01f, 0.01f, 0.01f], [100, 100, 100]);
        var window = new PixelWindowSamples(new PixelWindow(0, 0, w, w), before, after, Enumerable.Repeat((byte)1, n).ToArray(), rad);
        var names = HandMade.Names(rgb).ToList();
        var f = HandMade.Compute(window);
        float V(string name, int x, int y) => f[names.IndexOf(name) * n + y * w + x];
        Assert.Multiple(() =>
        {
            Assert.That(V("cva", 2, 2), Is.EqualTo(Math.Sqrt(12)).Within(1e-5), "−2 in each of three bands");
            Assert.That(V("cva_min_shift1", 2, 2), Is.EqualTo(0), "the before pixel to the left matches");
            // Box means over columns 1..3: before (100 + 300 + 300)/3, after (100 + 100 + 300)/3 in every band.
            Assert.That(V("cva_smooth_r1", 2, 2), Is.EqualTo(Math.Sqrt(3) * 2.0 / 3).Within(1e-5));
            Assert.That(V("cva_smooth_r1", 0, 2), Is.EqualTo(0).Within(1e-6), "far from the edge nothing changed");
        });
    }

    [Test]
    public void TheFeatureListFollowsTheBands()
    {
        var channels = new PixelFeatures();
        var rgb = channels.Names([SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red]);
        var landsat = channels.Names([SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir, SpectralBand.Swir1, SpectralBand.Swir2]);
        Assert.Multiple(() =>
        {
            Assert.That(rgb.Any(n => n.StartsWith("ndvi", StringComparison.Ordinal) || n.Contains("ndwi", StringComparison.Ordinal)), Is.False, "no NIR: no index");
            Assert.That(landsat, Does.Contain("mndwi_diff").And.Contain("ndvi_diff").And.Contain("ndwi_diff").And.Contain("diff_swir2"));
            Assert.That(rgb.Distinct().Count(), Is.EqualTo(rgb.Count), "names are unique");
            Assert.That(rgb.Count(n => n.EndsWith("_r7", StringComparison.Ordinal)), Is.EqualTo(6), "mean and std of three quantities at the widest radius");
        });
    }
}
