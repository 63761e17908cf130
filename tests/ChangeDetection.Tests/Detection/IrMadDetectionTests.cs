using ChangeDetection.Detection;
using ChangeDetection.Geo;
using ChangeDetection.Kernels;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Tests.Raster;

namespace ChangeDetection.Tests.Detection;

/// <summary>The detector on bands that reach the short-wave infrared: IR-MAD's variates are the change vector.</summary>
[TestFixture]
public class IrMadDetectionTests
{
    private static readonly GeoTransform Gt = new(39_500_000, 30, 0, 3_800_000, 0, -30);
    private static readonly string[] Landsat = ["blue", "green", "red", "nir", "swir1", "swir2"];

    private static int Hash(int k, int c, int r, int seed, int range) => (int)((uint)HashCode.Combine(k, c, r, seed) % range);

    /// <summary>
    /// A 30 m scene: ground texture shared by both dates (0–300 DN per band), noise of each date (0–40 DN), the after
    /// date recalibrated (×1.1 + 20), two new buildings and a nodata column.
    /// </summary>
    private static (string Before, string After) Scene(TempDir dir, string[] names)
    {
        const int w = 300, h = 260;
        int bands = names.Length;
        int Ground(int k, int c, int r) => 800 + 300 * k + Hash(k, c / 2, r / 2, 9, 300);
        string before = ScenePairTests.Write(dir, "before.tif", w, h, Gt,
            (k, c, r) => c == 7 ? 0 : Ground(k, c, r) + Hash(k, c, r, 1, 40), names: names, bands: bands, nodata: 0);
        string after = ScenePairTests.Write(dir, "after.tif", w, h, Gt, (k, c, r) =>
        {
            bool building = (c is >= 60 and < 100 && r is >= 50 and < 90) || (c is >= 180 and < 260 && r is >= 120 and < 140);
            return building ? 3000 - 200 * k + Hash(k, c, r, 2, 40) : (int)(1.1 * Ground(k, c, r)) + 20 + Hash(k, c, r, 3, 40);
        }, names: names, bands: bands, nodata: 0);
        return (before, after);
    }

    [Test]
    public void BandsReachingSwirScoreWithIrMadAndFindTheBuildings()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir, Landsat);
        using var pair = ScenePair.Open(b, a);
        var options = new ChangeDetectionOptions { TileSize = 128 };
        var model = new ChangeDetector(options).Prepare(pair);
        var result = ChangeDetector.Detect(pair, dir.File("mask.tif"), options);
        var mask = ChangeDetectorTests.ReadMask(dir.File("mask.tif"));
        int W = pair.Grid.Width;
        Assert.Multiple(() =>
        {
            Assert.That(model.Kernel.Projection, Is.Not.Null, "SWIR present: IR-MAD variates");
            Assert.That(model.Kernel.Projection!.Bands, Is.EqualTo(6));
            Assert.That(mask[70 * W + 80], Is.EqualTo(Morphology.Change), "inside building 1");
            Assert.That(mask[130 * W + 220], Is.EqualTo(Morphology.Change), "inside building 2");
            Assert.That(mask[10 * W + 7], Is.EqualTo(Morphology.NoData), "nodata column stays nodata");
            // The two buildings hold 40·40 + 80·20 = 3200 pixels; allow their borders a little slack.
            Assert.That(result.ChangedPixels, Is.InRange(2800, 3600));
        });
    }

    [Test]
    public void BandsWithoutSwirKeepThePerBandScore()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir, ["blue", "green", "red", "nir"]);
        using var pair = ScenePair.Open(b, a);
        var model = new ChangeDetector(new ChangeDetectionOptions()).Prepare(pair);
        Assert.That(model.Kernel.Projection, Is.Null);
    }

    [Test]
    public void IrMadMaskIsIdenticalForEveryTileSize()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir, Landsat);
        using var pair = ScenePair.Open(b, a);
        var options = new ChangeDetectionOptions { OpenRadius = 2, CloseRadius = 1 };
        var whole = ChangeDetector.Detect(pair, dir.File("m4096.tif"), options with { TileSize = 4096 });
        var small = ChangeDetector.Detect(pair, dir.File("m64.tif"), options with { TileSize = 64 });
        var odd = ChangeDetector.Detect(pair, dir.File("m48.tif"), options with { TileSize = 48, Workers = 1 });
        var reference = ChangeDetectorTests.ReadMask(dir.File("m4096.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(whole.ChangedPixels, Is.GreaterThan(0));
            Assert.That(small.Threshold, Is.EqualTo(whole.Threshold));
            Assert.That(ChangeDetectorTests.ReadMask(dir.File("m64.tif")), Is.EqualTo(reference));
            Assert.That(ChangeDetectorTests.ReadMask(dir.File("m48.tif")), Is.EqualTo(reference));
            Assert.That(odd.ChangedPixels, Is.EqualTo(whole.ChangedPixels));
        });
    }

    /// <summary>
    /// The median check: variates under which the median pixel of the sample scores like noise pass; the same variates
    /// shifted so that every pixel looks changed (what a fit collapsed onto one class does) are refused.
    /// </summary>
    [Test]
    public void AFitUnderWhichTheMedianPixelLooksChangedIsRefused()
    {
        const int bands = 6, n = 4001;
        var random = new Random(4);
        var before = new ushort[bands * n];
        var after = new ushort[bands * n];
        for (int i = 0; i < before.Length; i++)
        {
            before[i] = (ushort)random.Next(1000, 2000);
            after[i] = (ushort)(before[i] + random.Next(-10, 11));
        }
        // One variate per band: the difference over its spread (uniform on ±10 DN: σ ≈ 6.06 DN).
        float[] Diagonal(float w) => [.. Enumerable.Range(0, bands * bands).Select(k => k / bands == k % bands ? w : 0f)];
        var normalization = Enumerable.Repeat(BandNormalization.Identity, bands).ToArray();
        var noise = new ChangeProjection(bands, Diagonal(1 / 6.06f), Diagonal(1 / 6.06f), new float[bands]);
        var shifted = new ChangeProjection(bands, Diagonal(1 / 6.06f), Diagonal(1 / 6.06f), Enumerable.Repeat(10f, bands).ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(ChangeDetector.FitsTheBulk(noise, normalization, before, after, n), Is.True);
            Assert.That(ChangeDetector.FitsTheBulk(shifted, normalization, before, after, n), Is.False);
        });
    }

    /// <summary>A resumed run reads the model back from the ledger: the projection must come back bit for bit.</summary>
    [Test]
    public void TheLedgerKeepsTheProjection()
    {
        using var dir = new TempDir();
        var (b, a) = Scene(dir, Landsat);
        using var pair = ScenePair.Open(b, a);
        var model = new ChangeDetector(new ChangeDetectionOptions()).Prepare(pair);
        var back = ModelJson.Read(ModelJson.Write(model));
        var p = model.Kernel.Projection!;
        var q = back.Kernel.Projection;
        Assert.That(q, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(q!.BeforeWeights, Is.EqualTo(p.BeforeWeights));
            Assert.That(q.AfterWeights, Is.EqualTo(p.AfterWeights));
            Assert.That(q.Offsets, Is.EqualTo(p.Offsets));
        });
    }
}
