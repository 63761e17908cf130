using System.Security.Cryptography;
using System.Text.Json;
using ChangeDetection.Evaluation;
using ChangeDetection.PixelModel;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Raster;
using ChangeDetection.Synthetic;
using ChangeDetection.Tests.PixelModel;
using static ChangeDetection.Tests.Cli.CdxRunner;
using static ChangeDetection.Tests.Pipeline.PixelModelRunSample;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// A 384² sample region of its own (seed 5, blue, green, red, NIR), the pixel model of <see cref="PixelTestModel"/>, and the
/// run with it at tile 256 that two fixtures compare against (made once, on first use). 384² rather than the region-run
/// fixtures' 512²: at tile 128 it is still 9 tiles, at 256 four (2 × 2, each reading 128 pixels of deep-feature context
/// across its inner seams), at 1024 one, and every pixel-model pass costs about half the network and feature work.
/// </summary>
internal static class PixelModelRunSample
{
    private static readonly Lazy<TempDir> Sample = new(() =>
    {
        var dir = SharedTempDirs.Create();
        SyntheticRegion.Generate(dir.Path, new SyntheticRegionOptions { Size = 384, Seed = 5 });
        return dir;
    });

    private static readonly Lazy<RegionConfig> SampleConfig = new(() => RegionConfig.Load(Path.Combine(Region, "region.json")));

    private static readonly Lazy<RegionRunResult> Run256 = new(() => RegionRun.Run(Config, Options(SharedTempDirs.Create().File("run256"), 256)));

    /// <summary>The pixel-model sample's folder. Never write into it.</summary>
    public static string Region => Sample.Value.Path;

    public static RegionConfig Config => SampleConfig.Value;

    public static string Model => PixelTestModel.ModelPath;

    /// <summary>An uninterrupted run of the sample with the pixel model at tile 256 (<see cref="Options"/>).</summary>
    public static RegionRunResult RunAtTile256 => Run256.Value;

    public static RegionRunOptions Options(string output, int tileSize, int workers = 2) =>
        new() { Output = output, TileSize = tileSize, Workers = workers, WriteMask = true, PixelModel = Model };

    public static string Sha(string path) => RegionRunSample.Sha(path);

    public static byte[] Pixels(string path)
    {
        using var reader = GeoTiffReader.Open(path);
        return reader.ReadBand<byte>(0);
    }
}

/// <summary>
/// <c>cdx run</c> with a learned pixel model: its probability decides the mask through the run's tile passes, giving the
/// mask <c>cdx detect --pixel-model</c> and <c>cdx eval --pixel-model</c> give, whatever the tile size, after a resume too.
/// The three tests are three fixtures, so that they run next to others: each costs seconds of ResNet-18 features.
/// </summary>
[TestFixture]
public class PixelModelRunTests
{
    [Test]
    public void RunDetectAndEvalGiveTheSameMaskAtEveryTileSize()
    {
        using var dir = new TempDir();
        var run256 = RunAtTile256;
        var run1024 = RegionRun.Run(Config, Options(dir.File("run1024"), 1024));
        // The threshold alone, in one tile (the kernel's mask does not depend on the tile size).
        var plain = RegionRun.Run(Config, Options(dir.File("plain"), 1024) with { PixelModel = "none" });
        string before = Path.Combine(Region, "before.tif"), after = Path.Combine(Region, "after.tif");
        var detect = Cdx("detect", "--before", before, "--after", after, "--out", dir.File("detect.tif"), "--pixel-model", Model, "--tile", "128", "--workers", "2");
        Assert.That(detect.Code, Is.Zero, detect.Err);
        Directory.CreateDirectory(dir.File("labels"));
        ChangeDetection.Tests.Evaluation.ProductEvaluationTests.WriteTruth(before, Path.Combine(dir.File("labels"), "truth.tif"));
        var eval = Cdx("eval", "--before", before, "--after", after, "--truth", Path.Combine(dir.File("labels"), "truth.tif"),
            "--pixel-model", Model, "--keep-masks", dir.File("masks"), "--json", "--workers", "2");
        Assert.That(eval.Code, Is.Zero, eval.Err);

        var mask = Pixels(run256.MaskPath!);
        var product = Pixels(Path.Combine(dir.File("masks"), "pair_labels_product.tif"));
        var record = JsonDocument.Parse(File.ReadAllText(run256.RunJson)).RootElement;
        var parameters = record.GetProperty("parameters");
        var productLine = eval.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .First(l => l.GetProperty("method").GetString() == "product");
        // The threshold the pixel model applies on this pair (its scene rule's, from its own probabilities), computed apart from the run.
        double sceneThreshold;
        using (var pair = ScenePair.Open(before, after))
            sceneThreshold = new PixelTileMask(pair, PixelChangeModel.Load(Model), MaskMorphology.Default).Threshold;
        TestContext.Out.WriteLine($"pixel model: {run256.ChangedPixels} of {run256.ValidPixels} px changed; threshold alone: {plain.ChangedPixels}; pixel threshold {sceneThreshold}");
        Assert.Multiple(() =>
        {
            Assert.That(run256.ChangedPixels, Is.GreaterThan(0), "the model finds change in the sample");
            Assert.That(mask, Is.Not.EqualTo(Pixels(plain.MaskPath!)), "the pixel model, not the threshold, decided");
            Assert.That(Pixels(run1024.MaskPath!), Is.EqualTo(mask), "tile 1024 vs 256");
            Assert.That(Pixels(dir.File("detect.tif")), Is.EqualTo(mask), "cdx detect --pixel-model");
            Assert.That(Pixels(Path.Combine(dir.File("masks"), "pair_labels_mask.tif")), Is.EqualTo(mask), "cdx eval --pixel-model: the product's mask");
            Assert.That(Pixels(Path.Combine(dir.File("masks"), "pair_labels_pixel.tif")), Is.EqualTo(mask), "cdx eval --pixel-model: the pixel-model line");
            Assert.That(Enumerable.Range(0, product.Length).All(i => product[i] == 0 || product[i] == mask[i] || product[i] == 255), Is.True, "the product only removes change");
            Assert.That(productLine.GetProperty("pixel_model").GetString(), Is.EqualTo(Model));
            Assert.That(run256.PixelThreshold, Is.EqualTo(sceneThreshold), "the threshold the mask pass applied, not the model's training-time one");
            Assert.That(run1024.PixelThreshold, Is.EqualTo(sceneThreshold), "the same at tile 1024");
            Assert.That(detect.Out, Does.Contain($"probability > {sceneThreshold.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}"), "cdx detect prints the same");
            Assert.That(parameters.GetProperty("pixel_model").GetString(), Is.EqualTo(Model), "run.json records the model");
            Assert.That(parameters.GetProperty("pixel_model_sha256").GetString(), Is.EqualTo(Sha(Model)));
            Assert.That(parameters.GetProperty("pixel_threshold").GetDouble(), Is.EqualTo(run256.PixelThreshold!.Value).Within(1e-12));
            Assert.That(record.GetProperty("inputs").EnumerateArray().Single(i => i.GetProperty("role").GetString() == "pixel-model").GetProperty("sha256").GetString(), Is.EqualTo(Sha(Model)));
            Assert.That(JsonDocument.Parse(File.ReadAllText(plain.RunJson)).RootElement.GetProperty("parameters").GetProperty("pixel_model").ValueKind,
                Is.EqualTo(JsonValueKind.Null), "without a pixel model run.json says so");
        });
    }

}

/// <summary>A pixel-model run stopped in its mask pass resumes to the bytes of an uninterrupted one; the ledger keys on the model's bytes.</summary>
[TestFixture]
public class PixelModelRunResumeTests
{
    /// <remarks>At tile 256 (4 tiles; stopped after 2) rather than 128: every tile reads 128 pixels of context on each side
    /// for the deep features, so the 9 tiles of 128 cost about twice the network work of the 4 tiles of 256, and the
    /// uninterrupted run at 256 is the one the tile-size test already makes.</remarks>
    [Test]
    public void AStoppedRunResumesToTheSameBytesAndTheLedgerKeysOnTheModelsBytes()
    {
        using var dir = new TempDir();
        var clean = RunAtTile256;
        string output = dir.File("resumed");
        CancelAt.StopAfterMaskTiles(Config, Options(output, 256, workers: 1), 2);
        var resumed = RegionRun.Run(Config, Options(output, 256));
        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.EqualTo(2));
            Assert.That(Sha(resumed.MaskPath!), Is.EqualTo(Sha(clean.MaskPath!)));
            foreach (var (a, b) in resumed.Outputs.Zip(clean.Outputs).Where(x => File.Exists(x.First)))
                Assert.That(Sha(a), Is.EqualTo(Sha(b)), Path.GetFileName(a));
        });

        // The same bytes under another name resume every tile; other bytes (or none) are another run.
        string copy = dir.File("copy.zip");
        File.Copy(Model, copy);
        var again = RegionRun.Run(Config, Options(output, 256) with { PixelModel = copy });
        Assert.That(again.TilesResumed, Is.EqualTo(again.Tiles), "keyed on the model's SHA-256, not its path");
        var e = Assert.Throws<ChangeDetectionException>(() => RegionRun.Run(Config, Options(output, 256) with { PixelModel = "none" }));
        Assert.That(e!.Message, Does.Contain("--force"));
    }

}

/// <summary>A pixel model needs its bands: a pair without them is a config error naming the file; with them it runs.</summary>
[TestFixture]
public class PixelModelRunConfigTests
{
    /// <remarks>The four-band run takes the config's tile (1024, one tile) rather than 128: whether the model runs does not
    /// depend on the tile size, and one tile needs no context read twice for the deep features.</remarks>
    [Test]
    public void APairWithoutTheModelsBandsIsAConfigError()
    {
        using var dir = new TempDir();
        // A copy of the region (the shared one is read-only), read with three of its four bands: the model needs NIR too.
        string region = Path.GetDirectoryName(RegionRunSample.CopyOf(Region, dir).FilePath)!;
        string json = File.ReadAllText(Path.Combine(region, "region.json"));
        string rgbConfig = Path.Combine(region, "region-rgb.json");
        File.WriteAllText(rgbConfig, json.Replace("\"output\"", "\"bands\": { \"blue\": 1, \"green\": 2, \"red\": 3 }, \"pixelModel\": \"pixel.zip\", \"output\"", StringComparison.Ordinal));
        File.Copy(Model, Path.Combine(region, "pixel.zip"), overwrite: true);
        var run = Cdx("run", rgbConfig, "--out", dir.File("out"));
        var validate = Cdx("validate", rgbConfig);
        var option = Cdx("run", Path.Combine(region, "region.json"), "--out", dir.File("out2"), "--pixel-model", Model, "--json");
        var rgb = PixelTestPairs.Write(dir, "rgb", 4, size: 48, bands: 3);
        var detect = Cdx("detect", "--before", rgb.Before, "--after", rgb.After, "--out", dir.File("rgb.tif"), "--pixel-model", Model);
        Assert.Multiple(() =>
        {
            Assert.That(run.Code, Is.EqualTo(2), run.Err);
            Assert.That(run.Err.Trim().Split('\n'), Has.Length.EqualTo(1), "one line");
            Assert.That(run.Err, Does.Contain("\"pixelModel\"").And.Contain("missing nir").And.Contain("pixel.zip").And.Contain("region-rgb.json"));
            Assert.That(validate.Code, Is.EqualTo(2), validate.Err);
            Assert.That(validate.Err, Does.Contain("missing nir"));
            Assert.That(Directory.Exists(dir.File("out")), Is.False, "refused before anything is written");
            Assert.That(option.Code, Is.Zero, "the same model on the four bands runs: " + option.Err);
            var summary = JsonDocument.Parse(option.Out).RootElement;
            Assert.That(summary.GetProperty("pixel_model").GetString(), Is.EqualTo(Model), "--json names the pixel model");
            var recorded = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("out2"), "run.json"))).RootElement.GetProperty("parameters").GetProperty("pixel_threshold");
            Assert.That(summary.GetProperty("pixel_threshold").GetDouble(), Is.EqualTo(recorded.GetDouble()).Within(1e-12), "--json and run.json report the same threshold");
            Assert.That(recorded.GetDouble(), Is.GreaterThan(0).And.LessThan(1));
            Assert.That(detect.Code, Is.EqualTo(2), detect.Err);
            Assert.That(detect.Err, Does.Contain("missing nir").And.Contain(rgb.Before));
            Assert.That(File.Exists(dir.File("rgb.tif")), Is.False);
        });
    }
}
