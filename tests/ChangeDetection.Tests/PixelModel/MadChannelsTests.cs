using ChangeDetection.Geo;
using ChangeDetection.Kernels;
using ChangeDetection.PixelModel;
using ChangeDetection.Raster;
using ChangeDetection.Tests.Raster;

namespace ChangeDetection.Tests.PixelModel;

[TestFixture]
public class MadChannelsTests
{
    private static readonly SpectralBand[] Landsat = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir, SpectralBand.Swir1, SpectralBand.Swir2];
    private static readonly SpectralBand[] Bgrn = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir];
    private static readonly SpectralBand[] Rgb = [SpectralBand.Red, SpectralBand.Green, SpectralBand.Blue];

    [Test]
    public void TheDefaultSchemaGivesIrMadToSwirBandSetsAndDeepDistancesToTheOthers()
    {
        var schema = PixelFeatureSchema.Default;
        var landsat = schema.Names(Landsat);
        var bgrn = schema.Names(Bgrn);
        var rgb = schema.Names(Rgb);
        Assert.Multiple(() =>
        {
            Assert.That(landsat, Does.Contain("mad_chi").And.Contain("mad_abs_v6").And.Contain("mad_chi_mean_r3"));
            Assert.That(landsat.Any(n => n.StartsWith("deep_", StringComparison.Ordinal)), Is.False, "no deep distances with SWIR1");
            Assert.That(bgrn.Any(n => n.StartsWith("mad_", StringComparison.Ordinal)), Is.False, "no SWIR1: no IR-MAD, as the detector");
            Assert.That(bgrn.Any(n => n.StartsWith("deep_", StringComparison.Ordinal)), Is.True);
            Assert.That(rgb.Any(n => n.StartsWith("mad_", StringComparison.Ordinal)), Is.False);
            Assert.That(landsat.Distinct().Count(), Is.EqualTo(landsat.Count), "names are unique");
            // The deep group's 64 px context counts only where it has channels.
            Assert.That(schema.HaloFor(Landsat), Is.EqualTo(PixelFeatures.DefaultRadii.Max()));
            Assert.That(schema.HaloFor(Rgb), Is.EqualTo(schema.Halo).And.GreaterThan(PixelFeatures.DefaultRadii.Max()));
        });
    }

    /// <summary>
    /// Three bands (green, NIR, SWIR1), a hand-made projection v_k = (before_k − after_k) / 100: a 3 × 3 window whose centre
    /// changes by (+300, −400, 0) DN, and a nodata corner.
    /// </summary>
    [Test]
    public void TheChannelsAreTheLengthAndSizesOfTheProjectedVariates()
    {
        SpectralBand[] bands = [SpectralBand.Green, SpectralBand.Nir, SpectralBand.Swir1];
        const int w = 3, n = 9, centre = 4, corner = 0, hole = 8;
        var before = Enumerable.Repeat((ushort)1000, 3 * n).ToArray();
        var after = (ushort[])before.Clone();
        after[centre] = 1300;
        after[n + centre] = 600;
        var valid = Enumerable.Repeat((byte)1, n).ToArray();
        valid[hole] = 0;
        var identity = new float[] { 0.01f, 0, 0, 0, 0.01f, 0, 0, 0, 0.01f };
        var projection = new ChangeProjection(3, identity, identity, [0, 0, 0]);
        var rad = new PixelRadiometry(bands, [1, 1, 1], [0, 0, 0], [0.01f, 0.01f, 0.01f], [1000, 1000, 1000]) { Mad = projection };
        var channels = new MadChannels();
        var names = channels.Names(bands).ToList();
        var f = new float[names.Count * n];
        channels.Compute(new PixelWindowSamples(new PixelWindow(0, 0, w, w), before, after, valid, rad), f);
        float V(string name, int pixel) => f[names.IndexOf(name) * n + pixel];

        var blind = new float[names.Count * n];
        channels.Compute(new PixelWindowSamples(new PixelWindow(0, 0, w, w), before, after, valid, rad with { Mad = null }), blind);
        Assert.Multiple(() =>
        {
            Assert.That(names, Is.EqualTo(new[] { "mad_chi", "mad_abs_v1", "mad_abs_v2", "mad_abs_v3", "mad_chi_mean_r1", "mad_chi_mean_r3" }));
            Assert.That(V("mad_chi", centre), Is.EqualTo(5).Within(1e-5), "sqrt(3² + 4²)");
            Assert.That(V("mad_abs_v1", centre), Is.EqualTo(3).Within(1e-5), "(1000 − 1300)/100, without its sign");
            Assert.That(V("mad_abs_v2", centre), Is.EqualTo(4).Within(1e-5));
            Assert.That(V("mad_chi", corner), Is.EqualTo(0));
            Assert.That(V("mad_chi_mean_r1", centre), Is.EqualTo(5.0 / 8).Within(1e-6), "8 valid pixels in the box, the hole left out");
            Assert.That(V("mad_chi_mean_r1", corner), Is.EqualTo(5.0 / 4).Within(1e-6), "the corner's box is clipped to 4 pixels");
            Assert.That(Enumerable.Range(0, names.Count).All(k => float.IsNaN(f[k * n + hole])), Is.True, "nodata gets NaN in every channel");
            Assert.That(blind.All(float.IsNaN), Is.True, "a scene without a fit: every value missing");
        });
    }

    /// <summary>
    /// A 6-band pair whose bands share one spatial field (each band a multiple of it plus 10 DN of noise), the after date
    /// recalibrated per band (gains 0.9–1.15, offsets) with its own noise, and a 16 × 16 square where NIR falls by 150 DN
    /// and SWIR1 rises by 150 DN: small next to the field's spread in every band, far outside how the bands move together.
    /// The scene's IR-MAD fit (as <see cref="PixelRadiometry.Of"/> makes it) puts every changed pixel above the 99th
    /// percentile of the unchanged ones and above three times their median.
    /// </summary>
    [Test]
    public void TheScenesIrMadFitSeparatesASpectralChange()
    {
        using var dir = new TempDir();
        const int size = 64;
        var rng = new Random(7);
        var noise = new double[2, 6, size, size];
        for (int d = 0; d < 2; d++)
            for (int k = 0; k < 6; k++)
                for (int r = 0; r < size; r++)
                    for (int c = 0; c < size; c++)
                        noise[d, k, r, c] = 10 * Gaussian(rng);
        double Field(int c, int r) => 1500 + 600 * Math.Sin(c / 6.0) * Math.Cos(r / 9.0) + 300 * Math.Sin((c + 2 * r) / 11.0);
        bool Changed(int c, int r) => c is >= 24 and < 40 && r is >= 30 and < 46;
        double[] factor = [0.6, 0.8, 0.9, 1.6, 1.2, 0.9];
        double[] gain = [1.1, 0.95, 1.05, 0.9, 1.15, 1.0];
        double[] offset = [40, -20, 10, 60, 0, 25];
        double[] delta = [0, 0, 0, -150, 150, 0];
        string[] names = ["blue", "green", "red", "nir", "swir1", "swir2"];
        var gt = new GeoTransform(500000, 30, 0, 3800000, 0, -30);
        string before = ScenePairTests.Write(dir, "before.tif", size, size, gt, (k, c, r) => (int)Math.Round(factor[k] * Field(c, r) + noise[0, k, r, c]), names: names, bands: 6);
        string after = ScenePairTests.Write(dir, "after.tif", size, size, gt,
            (k, c, r) => (int)Math.Round(gain[k] * (factor[k] * Field(c, r) + (Changed(c, r) ? delta[k] : 0)) + offset[k] + noise[1, k, r, c]), names: names, bands: 6);

        using var scene = ScenePair.Open(before, after);
        var rad = PixelRadiometry.Of(scene);
        Assert.That(rad.Mad, Is.Not.Null, "the fit is accepted");
        Assert.That(rad.Deep, Is.Null, "no deep statistics for a band set with SWIR1");
        var schema = PixelFeatureSchema.Default;
        var featureNames = schema.Names(rad.Bands).ToList();
        int n = size * size;
        var b = new ushort[6 * n];
        var a = new ushort[6 * n];
        var valid = new byte[n];
        var window = new PixelWindow(0, 0, size, size);
        scene.Read(window, b, a, valid);
        var f = schema.Compute(new PixelWindowSamples(window, b, a, valid, rad));
        int chiAt = featureNames.IndexOf("mad_chi") * n;
        var changed = new List<float>();
        var unchanged = new List<float>();
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++)
                (Changed(c, r) ? changed : unchanged).Add(f[chiAt + r * size + c]);
        unchanged.Sort();
        float p99 = unchanged[(int)(0.99 * unchanged.Count)];
        Assert.Multiple(() =>
        {
            Assert.That(changed.Min(), Is.GreaterThan(p99));
            Assert.That(changed.Min(), Is.GreaterThan(3 * unchanged[unchanged.Count / 2]), "far above the unchanged median");
        });
    }

    private static double Gaussian(Random rng)
    {
        double u = 1 - rng.NextDouble(), v = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
