using ChangeDetection.Deep;
using ChangeDetection.Geo;
using ChangeDetection.PixelModel;
using ChangeDetection.Raster;
using ChangeDetection.Tests.Raster;

namespace ChangeDetection.Tests.PixelModel;

/// <summary>
/// The ResNet-18 distance channels of the pixel model, on the model file the build copies next to the tests. One group
/// (and so one extractor per test thread) is shared by the fixture.
/// </summary>
[TestFixture]
public class DeepChannelsTests
{
    private static readonly SpectralBand[] Rgb = [SpectralBand.Red, SpectralBand.Green, SpectralBand.Blue];
    private DeepChannels _deep = null!;
    private PixelFeatureSchema _schema = null!;
    private TempDir _dir = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _deep = new DeepChannels();
        _schema = new PixelFeatureSchema(PixelFeatureSchema.CurrentVersion, [_deep]);
        _dir = new TempDir();
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _deep.Dispose();
        _dir.Dispose();
    }

    [Test]
    public void SixNamedDistancesForRgbBandSetsAndNoneWithoutRgb()
    {
        string[] expected =
        [
            "deep_stem_euclid", "deep_stem_cosine", "deep_stage1_euclid", "deep_stage1_cosine", "deep_stage2_euclid", "deep_stage2_cosine",
        ];
        SpectralBand[] bgrn = [SpectralBand.Blue, SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir];
        SpectralBand[] noBlue = [SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir];
        var defaultNames = PixelFeatureSchema.Default.Names(bgrn);
        Assert.Multiple(() =>
        {
            Assert.That(_deep.Names(Rgb), Is.EqualTo(expected));
            Assert.That(_deep.Names(bgrn), Is.EqualTo(expected), "any band set holding red, green and blue");
            Assert.That(_deep.Names(noBlue), Is.Empty, "optional group: no channels without blue");
            Assert.That(_deep.Halo, Is.EqualTo(64), "the extractor's 58 px rounded up to the 16-pixel lattice");
            Assert.That(_deep.Halo, Is.GreaterThanOrEqualTo(new DeepFeatureOptions().Layers.Max(l => (l.ReceptiveField + 1) / 2 + l.Stride)));
            Assert.That(PixelFeatureSchema.Default.Version, Is.EqualTo(3));
            Assert.That(PixelFeatureSchema.Default.Groups.OfType<DeepChannels>().Count(), Is.EqualTo(1), "the default schema holds the deep group");
            Assert.That(defaultNames.TakeLast(8), Is.EqualTo(expected.Concat(["deep_stage3_euclid", "deep_stage3_cosine"])), "appended after the hand-made channels, with the stride-16 stage");
            Assert.That(PixelFeatureSchema.Default.Names(noBlue).Any(n => n.StartsWith("deep_", StringComparison.Ordinal)), Is.False);
            Assert.That(PixelFeatureSchema.Default.Halo, Is.EqualTo(128), "the stride-16 stage's 122 px rounded to the lattice");
        });
    }

    [Test]
    public void ARequiredGroupRefusesABandSetWithoutRgb()
    {
        var required = new DeepChannels(required: true);
        SpectralBand[] landsatNoBlue = [SpectralBand.Green, SpectralBand.Red, SpectralBand.Nir, SpectralBand.Swir1];
        var e = Assert.Throws<ChangeDetectionException>(() => required.Names(landsatNoBlue));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Message, Does.Contain("red, green and blue").And.Contain("missing blue"));
            Assert.That(required.Names(Rgb), Has.Count.EqualTo(6), "with RGB the required group computes");
        });

        // A pair without RGB: the scene statistics name the missing bands.
        string before = ScenePairTests.Write(_dir, "nrgb_before.tif", 40, 40, new GeoTransform(500000, 1, 0, 3800000, 0, -1), (k, c, r) => 100 + k + c, names: ["nir", "swir1", "swir2"], bands: 3);
        string after = ScenePairTests.Write(_dir, "nrgb_after.tif", 40, 40, new GeoTransform(500000, 1, 0, 3800000, 0, -1), (k, c, r) => 100 + k + r, names: ["nir", "swir1", "swir2"], bands: 3);
        using var pair = ScenePair.Open(before, after);
        var e2 = Assert.Throws<ChangeDetectionException>(() => required.SceneStatistics(pair));
        Assert.That(e2!.Message, Does.Contain("missing red,green,blue"));
        required.Dispose();
    }

    [Test]
    public void WithoutSceneStatisticsTheGroupRefusesToComputeRatherThanNormalisePerWindow()
    {
        var (before, _) = Scene(64, 64, changed: false);
        var rad = new PixelRadiometry(Rgb, [1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]);
        var window = new PixelWindowSamples(new PixelWindow(0, 0, 64, 64), before, before, Enumerable.Repeat((byte)1, 64 * 64).ToArray(), rad);
        var e = Assert.Throws<InvalidOperationException>(() => _schema.Compute(window));
        Assert.That(e!.Message, Does.Contain("PixelRadiometry.Of"));
    }

    [Test]
    public void IdenticalDatesGiveZeroDistancesAndAChangeDoesNot()
    {
        const int w = 80, h = 64, n = w * h;
        var (before, after) = Scene(w, h, changed: true);
        var stretch = new BandStretch(500, 3000);
        var stats = Statistics([stretch, stretch, stretch], [before, after], w, h);
        var rad = new PixelRadiometry(Rgb, [1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]) { Deep = stats };
        var valid = Enumerable.Repeat((byte)1, n).ToArray();
        int hole = 5 * w + 7;
        valid[hole] = 0;
        var same = _schema.Compute(new PixelWindowSamples(new PixelWindow(0, 0, w, h), before, before, valid, rad));
        var changed = _schema.Compute(new PixelWindowSamples(new PixelWindow(0, 0, w, h), before, after, valid, rad));
        int centre = 32 * w + 40; // inside the changed square
        Assert.Multiple(() =>
        {
            Assert.That(same, Has.Length.EqualTo(6 * n));
            for (int c = 0; c < 6; c++)
            {
                Assert.That(Enumerable.Range(0, n).Where(i => i != hole).All(i => same[c * n + i] == 0f), Is.True, $"channel {c}: identical dates, distance 0");
                Assert.That(float.IsNaN(same[c * n + hole]) && float.IsNaN(changed[c * n + hole]), Is.True, $"channel {c}: nodata is NaN");
                Assert.That(changed[c * n + centre], Is.GreaterThan(0.01f), $"channel {c}: the pasted square is a change");
                Assert.That(changed[c * n + centre], Is.GreaterThan(changed[c * n + 3 * w + 3] * 2), $"channel {c}: more than far from the square");
            }
        });
    }

    /// <summary>
    /// A synthetic RGB pair of 144 × 112 pixels: the channels of the whole grid in one window against tilings whose read
    /// windows are cores of 40 or 48 pixels with the model's halo (66 px: read origins off the 16-pixel lattice) or the
    /// group's own halo; every core pixel must get the whole grid's values bit for bit.
    /// </summary>
    [TestCase(40, 66)]
    [TestCase(48, 64)]
    [TestCase(48, 66)]
    public void ChannelsDoNotDependOnTheTiling(int tile, int halo)
    {
        var pair = PixelTestPairs.Write(_dir, $"tiling{tile}_{halo}", seed: 7, size: 144, bands: 3);
        using var scene = ScenePair.Open(pair.Before, pair.After);
        var rad = PixelRadiometry.Of(scene, schema: _schema);
        Assert.That(rad.Deep, Is.Not.Null, "the scene statistics come with the radiometry");
        var bandIndex = PixelRadiometry.BandIndices(scene, rad.Bands);
        var grid = scene.Grid;
        var whole = _schema.Compute(PixelSampling.ReadWindow(scene, grid.Bounds, rad, bandIndex));
        int n = grid.Width * grid.Height;
        double worst = 0;
        int compared = 0, tiles = 0, offLattice = 0;
        foreach (var t in new TileScheme(grid, tile, halo).Tiles())
        {
            tiles++;
            if (t.Read.X % 16 != 0 || t.Read.Y % 16 != 0) offLattice++;
            var window = PixelSampling.ReadWindow(scene, t.Read, rad, bandIndex);
            var f = _schema.Compute(window);
            int m = window.PixelCount;
            for (int c = 0; c < 6; c++)
                for (int y = t.Core.Y; y < t.Core.Bottom; y++)
                    for (int x = t.Core.X; x < t.Core.Right; x++)
                    {
                        float a = whole[c * n + y * grid.Width + x];
                        float b = f[c * m + (y - t.Read.Y) * t.Read.Width + (x - t.Read.X)];
                        worst = Math.Max(worst, Math.Abs(a - b) / Math.Max(1e-3, Math.Abs(a)));
                        compared++;
                    }
        }
        TestContext.Out.WriteLine($"tile {tile}, halo {halo}: {tiles} tiles, {offLattice} read off the lattice, worst relative difference {worst:g3}");
        Assert.Multiple(() =>
        {
            Assert.That(tiles, Is.GreaterThanOrEqualTo(9));
            if (halo == 66) Assert.That(offLattice, Is.GreaterThan(0), "some read windows start off the lattice");
            Assert.That(compared, Is.EqualTo(6 * n));
            Assert.That(whole.Max(), Is.GreaterThan(0.1f), "the pair has change");
            Assert.That(worst, Is.EqualTo(0), "every core pixel's channels bit for bit");
        });
    }

    [Test]
    public void MirrorReflectsWithoutRepeatingTheEdge()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(-3, 10).Select(i => DeepChannels.Mirror(i, 4)), Is.EqualTo(new[] { 3, 2, 1, 0, 1, 2, 3, 2, 1, 0 }));
            Assert.That(DeepChannels.Mirror(7, 1), Is.EqualTo(0));
        });
    }

    /// <summary>Scene statistics built by hand for a window: one stretch for all bands, activations of the given dates.</summary>
    private DeepSceneStatistics Statistics(BandStretch[] stretch, ushort[][] dates, int w, int h)
    {
        using var extractor = new DeepFeatureExtractor();
        var builder = new DeepNormalizationBuilder(extractor.Layers);
        foreach (var d in dates)
            builder.Add(extractor.Activations(RgbTile.FromDigitalNumbers(w, h, d.AsSpan(0, w * h), d.AsSpan(w * h, w * h), d.AsSpan(2 * w * h, w * h), stretch[0], stretch[1], stretch[2])));
        return new DeepSceneStatistics(stretch, stretch, builder.Build());
    }

    /// <summary>Textured red, green, blue DN (band-sequential); the after date has a bright 16 × 16 square at (32..47, 24..39).</summary>
    private static (ushort[] Before, ushort[] After) Scene(int w, int h, bool changed)
    {
        int n = w * h;
        var before = new ushort[3 * n];
        var after = new ushort[3 * n];
        for (int k = 0; k < 3; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = k * n + y * w + x;
                    before[i] = (ushort)(1200 + 300 * k + 400 * Math.Sin(x / 5.0 + k) + 300 * Math.Cos(y / 3.0) + ((x * 7 + y * 13) % 11) * 20);
                    bool square = changed && x >= 32 && x < 48 && y >= 24 && y < 40;
                    after[i] = square ? (ushort)(2900 - 400 * k) : before[i];
                }
        return (before, after);
    }
}
