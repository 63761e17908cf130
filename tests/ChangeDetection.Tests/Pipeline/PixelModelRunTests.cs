using System.Security.Cryptography;
using System.Text.Json;
using ChangeDetection.Evaluation;
using ChangeDetection.PixelModel;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Synthetic;
using ChangeDetection.Tests.PixelModel;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// <c>cdx run</c> with a learned pixel model: its probability decides the mask through the run's tile passes, giving the
/// mask <c>cdx detect --pixel-model</c> and <c>cdx eval --pixel-model</c> give, whatever the tile size, after a resume too.
/// </summary>
[TestFixture]
public class PixelModelRunTests
{
    private TempDir _dir = null!;
    private RegionConfig _config = null!;
    private string _region = null!;
    private string _model = null!;

    /// <summary>A 512² sample region (blue, green, red, NIR) and a pixel model trained on three small synthetic labelled pairs of the same bands.</summary>
    [OneTimeSetUp]
    public void MakeRegionAndModel()
    {
        _dir = new TempDir();
        _region = _dir.File("region");
        SyntheticRegion.Generate(_region, new SyntheticRegionOptions { Size = 512, Seed = 5 });
        _config = RegionConfig.Load(Path.Combine(_region, "region.json"));
        var samples = new[] { 1, 2, 3 }.Select(s => PixelModelEvaluation.Prepare(PixelTestPairs.Write(_dir, $"train{s}", s), new PixelSamplingOptions { MaxPerClass = 100_000 }).Samples).ToList();
        _model = _dir.File("pixel.zip");
        PixelChangeModel.Train(samples).Save(_model);
    }

    [OneTimeTearDown]
    public void Clean() => _dir.Dispose();

    private RegionRunOptions Options(string output, int tileSize, int workers = 2) =>
        new() { Output = output, TileSize = tileSize, Workers = workers, WriteMask = true, PixelModel = _model };

    private static byte[] Pixels(string path)
    {
        using var reader = GeoTiffReader.Open(path);
        return reader.ReadBand<byte>(0);
    }

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Test]
    public void RunDetectAndEvalGiveTheSameMaskAtEveryTileSize()
    {
        using var dir = new TempDir();
        var run256 = RegionRun.Run(_config, Options(dir.File("run256"), 256));
        var run1024 = RegionRun.Run(_config, Options(dir.File("run1024"), 1024));
        var plain = RegionRun.Run(_config, Options(dir.File("plain"), 256) with { PixelModel = "none" });
        string before = Path.Combine(_region, "before.tif"), after = Path.Combine(_region, "after.tif");
        var detect = Cdx("detect", "--before", before, "--after", after, "--out", dir.File("detect.tif"), "--pixel-model", _model, "--tile", "128", "--workers", "2");
        Assert.That(detect.Code, Is.Zero, detect.Err);
        Directory.CreateDirectory(dir.File("labels"));
        ChangeDetection.Tests.Evaluation.ProductEvaluationTests.WriteTruth(before, Path.Combine(dir.File("labels"), "truth.tif"));
        var eval = Cdx("eval", "--before", before, "--after", after, "--truth", Path.Combine(dir.File("labels"), "truth.tif"),
            "--pixel-model", _model, "--keep-masks", dir.File("masks"), "--json", "--workers", "2");
        Assert.That(eval.Code, Is.Zero, eval.Err);

        var mask = Pixels(run256.MaskPath!);
        var product = Pixels(Path.Combine(dir.File("masks"), "pair_labels_product.tif"));
        var record = JsonDocument.Parse(File.ReadAllText(run256.RunJson)).RootElement;
        var parameters = record.GetProperty("parameters");
        var productLine = eval.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .First(l => l.GetProperty("method").GetString() == "product");
        TestContext.Out.WriteLine($"pixel model: {run256.ChangedPixels} of {run256.ValidPixels} px changed; threshold alone: {plain.ChangedPixels}");
        Assert.Multiple(() =>
        {
            Assert.That(run256.ChangedPixels, Is.GreaterThan(0), "the model finds change in the sample");
            Assert.That(mask, Is.Not.EqualTo(Pixels(plain.MaskPath!)), "the pixel model, not the threshold, decided");
            Assert.That(Pixels(run1024.MaskPath!), Is.EqualTo(mask), "tile 1024 vs 256");
            Assert.That(Pixels(dir.File("detect.tif")), Is.EqualTo(mask), "cdx detect --pixel-model");
            Assert.That(Pixels(Path.Combine(dir.File("masks"), "pair_labels_mask.tif")), Is.EqualTo(mask), "cdx eval --pixel-model: the product's mask");
            Assert.That(Pixels(Path.Combine(dir.File("masks"), "pair_labels_pixel.tif")), Is.EqualTo(mask), "cdx eval --pixel-model: the pixel-model line");
            Assert.That(Enumerable.Range(0, product.Length).All(i => product[i] == 0 || product[i] == mask[i] || product[i] == 255), Is.True, "the product only removes change");
            Assert.That(productLine.GetProperty("pixel_model").GetString(), Is.EqualTo(_model));
            Assert.That(run256.PixelThreshold, Is.EqualTo(PixelChangeModel.Load(_model).Threshold));
            Assert.That(parameters.GetProperty("pixel_model").GetString(), Is.EqualTo(_model), "run.json records the model");
            Assert.That(parameters.GetProperty("pixel_model_sha256").GetString(), Is.EqualTo(Sha(_model)));
            Assert.That(parameters.GetProperty("pixel_threshold").GetDouble(), Is.EqualTo(run256.PixelThreshold!.Value).Within(1e-12));
            Assert.That(record.GetProperty("inputs").EnumerateArray().Single(i => i.GetProperty("role").GetString() == "pixel-model").GetProperty("sha256").GetString(), Is.EqualTo(Sha(_model)));
            Assert.That(JsonDocument.Parse(File.ReadAllText(plain.RunJson)).RootElement.GetProperty("parameters").GetProperty("pixel_model").ValueKind,
                Is.EqualTo(JsonValueKind.Null), "without a pixel model run.json says so");
        });
    }

    [Test]
    public void AStoppedRunResumesToTheSameBytesAndTheLedgerKeysOnTheModelsBytes()
    {
        using var dir = new TempDir();
        var clean = RegionRun.Run(_config, Options(dir.File("clean"), 128));
        string output = dir.File("resumed");
        CancelAt.StopAfterMaskTiles(_config, Options(output, 128, workers: 1), 5);
        var resumed = RegionRun.Run(_config, Options(output, 128));
        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.EqualTo(5));
            Assert.That(Sha(resumed.MaskPath!), Is.EqualTo(Sha(clean.MaskPath!)));
            foreach (var (a, b) in resumed.Outputs.Zip(clean.Outputs).Where(x => File.Exists(x.First)))
                Assert.That(Sha(a), Is.EqualTo(Sha(b)), Path.GetFileName(a));
        });

        // The same bytes under another name resume every tile; other bytes (or none) are another run.
        string copy = dir.File("copy.zip");
        File.Copy(_model, copy);
        var again = RegionRun.Run(_config, Options(output, 128) with { PixelModel = copy });
        Assert.That(again.TilesResumed, Is.EqualTo(again.Tiles), "keyed on the model's SHA-256, not its path");
        var e = Assert.Throws<ChangeDetectionException>(() => RegionRun.Run(_config, Options(output, 128) with { PixelModel = "none" }));
        Assert.That(e!.Message, Does.Contain("--force"));
    }

    [Test]
    public void APairWithoutTheModelsBandsIsAConfigError()
    {
        using var dir = new TempDir();
        // The region read with three of its four bands: the model needs NIR too.
        string json = File.ReadAllText(Path.Combine(_region, "region.json"));
        string rgbConfig = Path.Combine(_region, "region-rgb.json");
        File.WriteAllText(rgbConfig, json.Replace("\"output\"", "\"bands\": { \"blue\": 1, \"green\": 2, \"red\": 3 }, \"pixelModel\": \"pixel.zip\", \"output\"", StringComparison.Ordinal));
        File.Copy(_model, Path.Combine(_region, "pixel.zip"), overwrite: true);
        var run = Cdx("run", rgbConfig, "--out", dir.File("out"));
        var validate = Cdx("validate", rgbConfig);
        var option = Cdx("run", Path.Combine(_region, "region.json"), "--out", dir.File("out2"), "--pixel-model", _model, "--tile", "128", "--json");
        var rgb = PixelTestPairs.Write(dir, "rgb", 4, size: 48, bands: 3);
        var detect = Cdx("detect", "--before", rgb.Before, "--after", rgb.After, "--out", dir.File("rgb.tif"), "--pixel-model", _model);
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
            Assert.That(summary.GetProperty("pixel_model").GetString(), Is.EqualTo(_model), "--json names the pixel model");
            Assert.That(summary.GetProperty("pixel_threshold").GetDouble(), Is.EqualTo(PixelChangeModel.Load(_model).Threshold).Within(1e-12));
            Assert.That(detect.Code, Is.EqualTo(2), detect.Err);
            Assert.That(detect.Err, Does.Contain("missing nir").And.Contain(rgb.Before));
            Assert.That(File.Exists(dir.File("rgb.tif")), Is.False);
        });
    }
}
