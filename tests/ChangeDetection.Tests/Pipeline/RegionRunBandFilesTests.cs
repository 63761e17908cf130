using ChangeDetection.Evaluation;
using ChangeDetection.Geo;
using ChangeDetection.PixelModel;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Synthetic;
using ChangeDetection.Tests.PixelModel;
using ChangeDetection.Tests.Raster;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// A region run whose pixel model was trained on band files (Sentinel-2 red edge 1 and SWIR1 at twice the pixel size, as an
/// OSCD city's <c>bands_1/</c>, <c>bands_2/</c>): the config's <c>beforeBands</c>, <c>afterBands</c> bring them to the model,
/// <c>cdx detect --before-bands --after-bands</c> gives the same mask, a run without them is refused naming the bands, and
/// other band files are another run (the ledger's key). Tiny rasters: a 256² region (the generator's smallest), 64² training pairs.
/// </summary>
[TestFixture]
public class RegionRunBandFilesTests
{
    private const int RegionSize = 256;

    /// <summary>
    /// Writes <c>folder/T_B05.tif</c> and <c>folder/T_B11.tif</c> (relative to <paramref name="dir"/>) on a grid of twice
    /// the pixel size of the <paramref name="size"/>² grid at <paramref name="origin"/>: a slope with noise of the date's own
    /// seed, and in SWIR1 a rise of <paramref name="raise"/> DN over the middle quarter.
    /// </summary>
    private static void WriteBandFiles(TempDir dir, string folder, (double X, double Y, double Pixel) origin, int size, int seed, int raise)
    {
        var gt = new GeoTransform(origin.X, 2 * origin.Pixel, 0, origin.Y, 0, -2 * origin.Pixel);
        var rng = new Random(seed);
        int n = size / 2;
        bool Middle(int c, int r) => c >= n / 4 && c < 3 * n / 4 && r >= n / 4 && r < 3 * n / 4;
        Directory.CreateDirectory(dir.File(folder));
        ScenePairTests.Write(dir, Path.Combine(folder, "T_B05.tif"), n, n, gt, (_, c, r) => 1500 + 10 * c + 5 * r + rng.Next(-50, 51), bands: 1);
        ScenePairTests.Write(dir, Path.Combine(folder, "T_B11.tif"), n, n, gt, (_, c, r) => 2500 + 7 * c + 3 * r + rng.Next(-50, 51) + (Middle(c, r) ? raise : 0), bands: 1);
    }

    private sealed record Fixture(TempDir Dir, RegionConfig Config, string Model);

    /// <summary>
    /// The pixel model (two 64² <see cref="PixelTestPairs"/> with band files) and the 128² synthetic region (seed 5) with
    /// band folders and a config naming them. Made once for the fixture's tests.
    /// </summary>
    private static readonly Lazy<Fixture> Shared = new(() =>
    {
        var dir = SharedTempDirs.Create();
        var training = new[] { 1, 2 }.Select(seed =>
        {
            var pair = PixelTestPairs.Write(dir, $"train{seed}", seed, size: 64);
            WriteBandFiles(dir, Path.Combine($"train{seed}", "bands_1"), (500000, 3800000, 1), 64, 10 * seed, 0);
            WriteBandFiles(dir, Path.Combine($"train{seed}", "bands_2"), (500000, 3800000, 1), 64, 10 * seed + 1, 1500);
            return PixelModelEvaluation.Prepare(pair with { ExtraBands = PairList.ExtraBands(pair.Directory, "bands_1", "bands_2") }, PixelTestModel.AllPixels);
        }).ToList();
        string model = dir.File("pixel-s2.zip");
        PixelChangeModel.Train([.. training.Select(p => p.Samples)]).Save(model);

        string region = dir.File("region");
        SyntheticRegion.Generate(region, new SyntheticRegionOptions { Size = RegionSize, Seed = 5 });
        GeoTransform gt;
        using (var before = GeoTiffReader.Open(Path.Combine(region, "before.tif"))) gt = before.Info.Transform;
        WriteBandFiles(dir, Path.Combine("region", "bands_1"), (gt.OriginX, gt.OriginY, gt.PixelWidth), RegionSize, 7, 0);
        WriteBandFiles(dir, Path.Combine("region", "bands_2"), (gt.OriginX, gt.OriginY, gt.PixelWidth), RegionSize, 8, 1500);
        File.Copy(model, Path.Combine(region, "pixel.zip"));
        string json = File.ReadAllText(Path.Combine(region, "region.json"));
        File.WriteAllText(Path.Combine(region, "region-s2.json"), json.Replace("\"output\"",
            "\"beforeBands\": \"bands_1\", \"afterBands\": [\"bands_2/T_B05.tif\", \"bands_2/T_B11.tif\"], \"pixelModel\": \"pixel.zip\", \"model\": \"none\", \"output\"",
            StringComparison.Ordinal));
        return new Fixture(dir, RegionConfig.Load(Path.Combine(region, "region-s2.json")), model);
    });

    private static RegionRunOptions Options(string output) => new() { Output = output, TileSize = 128, Workers = 2, WriteMask = true };

    private static byte[] Pixels(string path)
    {
        using var reader = GeoTiffReader.Open(path);
        return reader.ReadBand<byte>(0);
    }

    [Test]
    public void TheConfigsBandFilesReachThePixelModelAndDetectGivesTheSameMask()
    {
        var (_, config, model) = Shared.Value;
        using var dir = new TempDir();
        Assert.That(PixelChangeModel.Load(model).Bands, Does.Contain(SpectralBand.Swir1).And.Contain(SpectralBand.RedEdge1), "the model needs the band files");
        var run = RegionRun.Run(config, Options(dir.File("out")));
        string region = Path.GetDirectoryName(config.FilePath)!;
        var detect = Cdx("detect", "--before", config.Before.Path, "--after", config.After.Path, "--out", dir.File("detect.tif"), "--pixel-model", model,
            "--before-bands", Path.Combine(region, "bands_1"), "--after-bands", Path.Combine(region, "bands_2", "T_B05.tif"),
            "--after-bands", Path.Combine(region, "bands_2", "T_B11.tif"), "--tile", "64", "--workers", "2");
        var record = System.Text.Json.JsonDocument.Parse(File.ReadAllText(run.RunJson)).RootElement;
        var roles = record.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("role").GetString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(detect.Code, Is.Zero, detect.Err);
            Assert.That(detect.Out, Does.Contain("swir1").And.Contain("rededge1"), "detect prints the bands the model read");
            Assert.That(run.PixelModel, Is.EqualTo(Path.Combine(region, "pixel.zip")));
            Assert.That(Pixels(dir.File("detect.tif")), Is.EqualTo(Pixels(run.MaskPath!)), "cdx detect with the band files gives the run's mask");
            Assert.That(roles, Does.Contain("before-band:swir1").And.Contain("after-band:rededge1"), "run.json lists the band files among the inputs");
        });
    }

    [Test]
    public void ValidateListsTheBandFiles()
    {
        var (_, config, _) = Shared.Value;
        var text = Cdx("validate", config.FilePath);
        var json = Cdx("validate", config.FilePath, "--json");
        Assert.That(json.Code, Is.Zero, json.Err);
        var files = System.Text.Json.JsonDocument.Parse(json.Out).RootElement.GetProperty("band_files").EnumerateArray()
            .ToDictionary(f => f.GetProperty("band").GetString()!, f => (Before: f.GetProperty("before").GetString(), After: f.GetProperty("after").GetString()));
        var swir1 = config.ExtraBands.Single(b => b.Band == SpectralBand.Swir1);
        Assert.Multiple(() =>
        {
            Assert.That(text.Code, Is.Zero, text.Err);
            Assert.That(text.Out, Does.Contain($"band   swir1 before {swir1.Before}, after {swir1.After}"));
            Assert.That(files.Keys, Is.EquivalentTo(new[] { "swir1", "rededge1" }));
            Assert.That(files["swir1"], Is.EqualTo((swir1.Before, swir1.After)));
        });
    }

    [Test]
    public void EvalOfOnePairReadsTheBandFilesGiven()
    {
        var (_, config, model) = Shared.Value;
        using var dir = new TempDir();
        string region = Path.GetDirectoryName(config.FilePath)!;
        string[] bands = ["--before-bands", Path.Combine(region, "bands_1"), "--after-bands", Path.Combine(region, "bands_2")];
        // The reference: the pixel model's own mask with the band files, so that its eval line scores 1.
        var detect = Cdx([.. new[] { "detect", "--before", config.Before.Path, "--after", config.After.Path, "--out", dir.File("truth.tif"), "--pixel-model", model }, .. bands]);
        string[] pair = ["eval", "--before", config.Before.Path, "--after", config.After.Path, "--truth", dir.File("truth.tif"), "--pixel-model", model, "--model", "none", "--json"];
        var withBands = Cdx([.. pair, .. bands]);
        var without = Cdx(pair);
        var csv = Cdx([.. new[] { "eval", "--pairs", dir.File("pairs.csv"), "--pixel-model", model }, .. bands]);
        double? PixelModelF1(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("method").GetString() == "pixel-model" && e.GetProperty("pair").ValueKind != System.Text.Json.JsonValueKind.Null)
            .Select(e => (double?)e.GetProperty("f1").GetDouble()).FirstOrDefault();
        Assert.Multiple(() =>
        {
            Assert.That(detect.Code, Is.Zero, detect.Err);
            Assert.That(withBands.Code, Is.Zero, withBands.Err);
            Assert.That(PixelModelF1(withBands.Out), Is.EqualTo(1.0), "the pixel model read the band files: its mask is the reference");
            Assert.That(PixelModelF1(without.Out), Is.Null, "without them the pair lacks the model's bands and is skipped");
            Assert.That(without.Err, Does.Contain("rededge1"));
            Assert.That(csv.Code, Is.EqualTo(2));
            Assert.That(csv.Err, Does.Contain("beforeBands"));
        });
    }

    [Test]
    public void WithoutTheBandFilesThePixelModelIsRefusedNamingTheBands()
    {
        var (_, config, model) = Shared.Value;
        using var dir = new TempDir();
        var plain = config with { ExtraBands = [] };
        var e = Assert.Throws<ConfigException>(() => RegionRun.Run(plain, Options(dir.File("out"))));
        var detect = Cdx("detect", "--before", config.Before.Path, "--after", config.After.Path, "--out", dir.File("detect.tif"), "--pixel-model", model);
        var noModel = Cdx("detect", "--before", config.Before.Path, "--after", config.After.Path, "--out", dir.File("detect2.tif"),
            "--before-bands", config.ExtraBands[0].Before, "--after-bands", config.ExtraBands[0].After);
        var oneDate = Cdx("detect", "--before", config.Before.Path, "--after", config.After.Path, "--out", dir.File("detect3.tif"), "--pixel-model", model,
            "--before-bands", config.ExtraBands[0].Before);
        Assert.Multiple(() =>
        {
            Assert.That(e!.Message, Does.Contain("\"pixelModel\"").And.Contain("missing swir1,rededge1").And.Contain("\"beforeBands\""));
            Assert.That(Directory.Exists(dir.File("out")), Is.False, "refused before anything is written");
            Assert.That(detect.Code, Is.EqualTo(2), detect.Err);
            Assert.That(detect.Err, Does.Contain("rededge1"));
            Assert.That(noModel.Code, Is.EqualTo(2));
            Assert.That(noModel.Err, Does.Contain("--pixel-model"));
            Assert.That(oneDate.Code, Is.EqualTo(2));
            Assert.That(oneDate.Err, Does.Contain("--after-bands"));
            Assert.That(File.Exists(dir.File("detect.tif")) || File.Exists(dir.File("detect2.tif")) || File.Exists(dir.File("detect3.tif")), Is.False);
        });
        // Band files with no pixel model to read them change nothing: the run says so.
        var check = new RegionRun(config, new RegionRunOptions { PixelModel = RegionConfig.PixelModelNone }).Check();
        Assert.That(check.Warnings, Has.Some.Contains("\"beforeBands\""));
    }

    [Test]
    public void OtherBandFilesAreAnotherRunOfTheLedger()
    {
        var (_, config, model) = Shared.Value;
        var detection = new RegionRun(config).Detection;
        string key = RunFingerprint.RasterOf(config, detection, model);
        var swapped = config with { ExtraBands = [.. config.ExtraBands.Select(b => b with { Before = b.After, After = b.Before })] };
        var fewer = config with { ExtraBands = [.. config.ExtraBands.Where(b => b.Band == SpectralBand.Swir1)] };
        Assert.Multiple(() =>
        {
            Assert.That(RunFingerprint.RasterOf(config, detection, model), Is.EqualTo(key), "the same files, the same key");
            Assert.That(RunFingerprint.RasterOf(swapped, detection, model), Is.Not.EqualTo(key), "other files");
            Assert.That(RunFingerprint.RasterOf(fewer, detection, model), Is.Not.EqualTo(key), "fewer files");
            // Without a pixel model nothing reads them: the key is that of a config without them.
            Assert.That(RunFingerprint.RasterOf(config, detection, null), Is.EqualTo(RunFingerprint.RasterOf(config with { ExtraBands = [] }, detection, null)));
        });

        // A run stopped in its mask pass, then started with other band files: refused, not resumed.
        using var dir = new TempDir();
        string output = dir.File("out");
        CancelAt.StopAfterMaskTiles(config, Options(output) with { Workers = 1 }, 1);
        var e = Assert.Throws<ChangeDetectionException>(() => RegionRun.Run(swapped, Options(output)));
        Assert.That(e!.Message, Does.Contain("--force"));
    }
}
