using ChangeDetection.Evaluation;
using ChangeDetection.Geo;
using ChangeDetection.PixelModel;
using ChangeDetection.Raster;
using ChangeDetection.Tests.Raster;

namespace ChangeDetection.Tests.PixelModel;

/// <summary>
/// The pixel model on a pair with band folders (the OSCD layout): the coarser bands of <c>bands_1/</c>, <c>bands_2/</c>
/// join the images' four, and the features of a change seen only in a band file are there.
/// </summary>
[TestFixture]
public class BandFilesFeaturesTests
{
    /// <summary>The hand-made groups and IR-MAD: the deep group needs the network (DeepChannelsTests).</summary>
    private static readonly PixelFeatureSchema NoDeep = new(PixelFeatureSchema.CurrentVersion,
        [.. PixelFeatureSchema.Default.Groups.Where(g => g is not DeepChannels)]);

    /// <summary>
    /// A 64² synthetic pair at 1 m (<see cref="PixelTestPairs"/>) with 2 m band files B05 and B11 per date: smooth ground,
    /// and in the after B11 a 16 × 16 m square (the pair's columns and rows 32–47) raised by 2 000 DN.
    /// </summary>
    private static LabelledPair Write(TempDir dir)
    {
        var pair = PixelTestPairs.Write(dir, "s2", seed: 5, size: 64);
        var gt = new GeoTransform(500000, 2, 0, 3800000, 0, -2);
        var rng = new Random(11);
        // Each date's own noise (σ about 30 DN): without it the no-change spread, and so the standardisation, would be 0.
        int Noise() => rng.Next(-50, 51);
        foreach (var (folder, raise) in new[] { ("bands_1", 0), ("bands_2", 2000) })
        {
            Directory.CreateDirectory(Path.Combine(pair.Directory, folder));
            ScenePairTests.Write(dir, Path.Combine("s2", folder, "T_B05.tif"), 32, 32, gt, (_, c, r) => 1500 + 10 * c + 5 * r + Noise(), bands: 1);
            ScenePairTests.Write(dir, Path.Combine("s2", folder, "T_B11.tif"), 32, 32, gt,
                (_, c, r) => 2500 + 7 * c - 3 * r + Noise() + (c >= 16 && c < 24 && r >= 16 && r < 24 ? raise : 0), bands: 1);
        }
        return pair with { ExtraBands = PairList.ExtraBands(pair.Directory, "bands_1", "bands_2") };
    }

    [Test]
    public void BandFilesJoinTheFeaturesAndAChangeSeenOnlyInSwir1ShowsInThem()
    {
        using var dir = new TempDir();
        var pair = Write(dir);
        var bands = new[] { SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir, SpectralBand.Swir1, SpectralBand.RedEdge1 };
        using var scene = pair.OpenForPixelModel();
        var radiometry = PixelRadiometry.Of(scene, schema: NoDeep);
        var names = NoDeep.Names(radiometry.Bands).ToList();
        // One window of the whole pair: every feature of every pixel.
        var window = new PixelWindow(0, 0, scene.Grid.Width, scene.Grid.Height);
        var samples = PixelSampling.ReadWindow(scene, window, radiometry, PixelRadiometry.BandIndices(scene, radiometry.Bands));
        var f = NoDeep.Compute(samples);
        int n = samples.PixelCount;
        float V(string name, int x, int y) => f[names.IndexOf(name) * n + y * scene.Grid.Width + x];
        // Inside the raised square (away from its bilinear edge) against the ground around it.
        double inside = Enumerable.Range(36, 8).SelectMany(y => Enumerable.Range(36, 8).Select(x => (double)V("diff_swir1", x, y))).Average();
        double outside = Enumerable.Range(8, 16).SelectMany(y => Enumerable.Range(8, 16).Select(x => (double)V("diff_swir1", x, y))).Average();
        Assert.Multiple(() =>
        {
            Assert.That(radiometry.Bands, Is.EqualTo(bands));
            Assert.That(names, Does.Contain("diff_rededge1").And.Contain("diff_swir1").And.Contain("mndwi_diff").And.Contain("ndbi_diff").And.Contain("cva_coarse_mean_r3"));
            // The 10 m groups see blue, green, red and NIR only: no IR-MAD without SWIR1 among them.
            Assert.That(names.Any(x => x.StartsWith("mad_", StringComparison.Ordinal)), Is.False);
            Assert.That(names.Distinct().Count(), Is.EqualTo(names.Count));
            Assert.That(float.IsFinite(V("diff_rededge1", 10, 10)), Is.True);
            Assert.That(names.Any(x => x.StartsWith("z_before_", StringComparison.Ordinal) && x.EndsWith("swir1", StringComparison.Ordinal)), Is.False, "no 20 m levels");
            Assert.That(inside - outside, Is.GreaterThan(3), "a 2 000 DN rise in SWIR1 stands out by several before standard deviations");
            Assert.That(Math.Abs(outside), Is.LessThan(1));
        });
        var cva = Enumerable.Range(36, 8).Select(x => (double)V("cva_coarse", x, 40)).Average();
        Assert.That(cva, Is.GreaterThan(3), "the coarse change magnitude sees the SWIR1 change");
        // Without the band files the pixel model sees the images' four bands only.
        using var plain = (pair with { ExtraBands = [] }).OpenForPixelModel();
        Assert.That(plain.Bands, Has.Count.EqualTo(4));
    }

    private static readonly SpectralBand[] Sentinel2 = [.. Enum.GetValues<SpectralBand>()];
    private static readonly SpectralBand[] Bgrn = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir];
    private static readonly SpectralBand[] Landsat = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir, SpectralBand.Swir1, SpectralBand.Swir2];

    [Test]
    public void ASentinel2StackKeepsThe10mChannelsAndAddsThe20mBandsInAGroupOfTheirOwn()
    {
        var schema = PixelFeatureSchema.Default;
        var s2 = schema.Names(Sentinel2);
        var coarse = new CoarseBandChannels().Names(Sentinel2);
        Assert.Multiple(() =>
        {
            Assert.That(PixelBandSets.Detail(Sentinel2), Is.EqualTo(Bgrn));
            Assert.That(PixelBandSets.Coarse(Sentinel2), Is.EqualTo(new[] { SpectralBand.Swir1, SpectralBand.Swir2, SpectralBand.RedEdge1, SpectralBand.RedEdge2, SpectralBand.RedEdge3, SpectralBand.NirNarrow }));
            // The 10 m groups' channels, deep distances included, are those of the 4-band images; the coarse group follows.
            Assert.That(s2, Is.EqualTo(schema.Names(Bgrn).Concat(coarse)));
            Assert.That(s2.Any(n => n.StartsWith("deep_", StringComparison.Ordinal)), Is.True);
            Assert.That(coarse, Has.Count.EqualTo(6 + 1 + 2 + 2));
            Assert.That(s2.Distinct().Count(), Is.EqualTo(s2.Count), "names are unique");
            // Band sets without a 20 m-only band are all detail: their channels are unchanged, with no coarse group.
            Assert.That(new CoarseBandChannels().Names(Landsat), Is.Empty);
            Assert.That(PixelBandSets.Detail(Landsat), Is.EqualTo(Landsat));
            Assert.That(schema.Names(Landsat), Does.Contain("mad_chi").And.Contain("mndwi_diff").And.Not.Contain("cva_coarse"));
            Assert.That(schema.HaloFor(Sentinel2), Is.EqualTo(schema.HaloFor(Bgrn)));
        });
    }
}
