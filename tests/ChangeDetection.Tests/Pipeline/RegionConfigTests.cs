using ChangeDetection.Detection;
using ChangeDetection.Export;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Pipeline;

[TestFixture]
public class RegionConfigTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir();
        foreach (var f in new[] { "before.tif", "after.tif", "layers/farmland.gpkg", "layers/admin.geojson" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_dir.File(f))!);
            File.WriteAllText(_dir.File(f), "");
        }
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private const string Full = """
        {
          "region": { "code": "410102", "name": "中原区" },
          "quarter": "2026Q3",
          "before": { "path": "before.tif", "date": "2026-04-12", "sensor": "GF-2" },
          "after":  { "path": "after.tif",  "date": "2026-07-20", "sensor": "GF-2" },
          "bands": { "blue": 1, "green": 2, "red": 3, "nir": 4 },
          "layers": [ { "name": "永久基本农田", "kind": "permanent-basic-farmland", "path": "layers/farmland.gpkg" } ],
          "admin": { "path": "layers/admin.geojson", "codeField": "XZQDM", "nameField": "XZQMC" },
          "detection": { "tileSize": 512, "threshold": "otsu", "minAreaM2": { "default": 400, "construction": 200 } },
          "output": "out",
          "pseudoConfidence": 0.8
        }
        """;

    private RegionConfig Load(string json)
    {
        File.WriteAllText(_dir.File("region.json"), json);
        return RegionConfig.Load(_dir.File("region.json"));
    }

    private ChangeDetectionException Fails(string json) =>
        Assert.Throws<ConfigException>(() => Load(json))!;

    [Test]
    public void FullConfigIsReadWithPathsRelativeToTheFile()
    {
        var c = Load(Full);
        Assert.Multiple(() =>
        {
            Assert.That(c.RegionCode, Is.EqualTo("410102"));
            Assert.That(c.RegionName, Is.EqualTo("中原区"));
            Assert.That(c.Quarter, Is.EqualTo("2026Q3"));
            Assert.That(c.Before.Path, Is.EqualTo(_dir.File("before.tif")));
            Assert.That(c.After.Date, Is.EqualTo(new DateOnly(2026, 7, 20)));
            Assert.That(c.Bands![SpectralBand.Nir], Is.EqualTo(4));
            Assert.That(c.Layers.Single().Kind, Is.EqualTo("permanent-basic-farmland"));
            Assert.That(c.Admin!.CodeField, Is.EqualTo("XZQDM"));
            Assert.That(c.Detection.Options.TileSize, Is.EqualTo(512));
            Assert.That(c.Detection.MinAreaM2["construction"], Is.EqualTo(200));
            Assert.That(c.Output, Is.EqualTo(Path.Combine(_dir.Path, "out")));
        });
    }

    [Test]
    public void EveryDetectorOptionIsReadFromTheConfigIntoTheOneOptionsRecordARunUses()
    {
        const string plain = "\"tileSize\": 512,";
        var tuned = Load(Full.Replace(plain, plain + " \"ndviWeight\": 0.5, \"waterWeight\": 2, \"histogramBins\": 1024, \"statisticsWindows\": 16, \"open\": 2,", StringComparison.Ordinal));
        var run = new RegionRun(tuned, new RegionRunOptions { Workers = 1 });
        var defaults = new ChangeDetectionOptions();
        Assert.Multiple(() =>
        {
            Assert.That(run.Detection.NdviWeight, Is.EqualTo(0.5f));
            Assert.That(run.Detection.WaterWeight, Is.EqualTo(2f));
            Assert.That(run.Detection.HistogramBins, Is.EqualTo(1024));
            Assert.That(run.Detection.StatisticsWindows, Is.EqualTo(16));
            Assert.That(run.Detection.OpenRadius, Is.EqualTo(2));
            Assert.That(run.Detection.TileSize, Is.EqualTo(512));
            // What the config leaves out is the options record's own default, not a second copy of it.
            Assert.That(Load(Full).Detection.Options with { TileSize = defaults.TileSize, Threshold = defaults.Threshold }, Is.EqualTo(defaults));
        });
        var e = Fails(Full.Replace(plain, plain + " \"ndviWeight\": \"high\",", StringComparison.Ordinal));
        Assert.That(e.Message, Does.Contain("detection.ndviWeight"));
        var bins = Assert.Throws<ConfigException>(() => new RegionRun(Load(Full.Replace(plain, plain + " \"histogramBins\": 0,", StringComparison.Ordinal))))!;
        Assert.That(bins.Message, Does.Contain("region.json"));
    }

    [Test]
    public void PseudoConfidenceComesFromTheOptionsThenTheConfigThenTheDefault()
    {
        var config = Load(Full);
        Assert.Multiple(() =>
        {
            Assert.That(config.PseudoConfidence, Is.EqualTo(0.8));
            Assert.That(new RegionRun(config).PseudoConfidence, Is.EqualTo(0.8));
            Assert.That(new RegionRun(config, new RegionRunOptions { PseudoConfidence = 0.95 }).PseudoConfidence, Is.EqualTo(0.95));
            Assert.That(new RegionRun(config with { PseudoConfidence = null }).PseudoConfidence, Is.EqualTo(RegionRun.DefaultPseudoConfidence));
        });
    }

    [Test]
    public void WithoutAModelKeyTheShippedModelIsUsedAndNoneTurnsClassificationOff()
    {
        string shipped = ChangeDetection.Classification.PatchClassifier.ShippedModelPath;
        Assert.That(File.Exists(shipped), Is.True, "the test project copies models/classifier.zip next to its assemblies (through the CLI project)");
        var absent = Load(Full);
        // "none" takes the place of pseudoConfidence, which needs a model.
        var none = Load(Full.Replace("\"pseudoConfidence\": 0.8", "\"model\": \"none\"", StringComparison.Ordinal));
        var given = Load(Full.Replace("\"output\": \"out\"", "\"output\": \"out\", \"model\": \"after.tif\"", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(absent.Model, Is.EqualTo(shipped));
            Assert.That(new RegionRun(absent).ModelPath, Is.EqualTo(shipped));
            Assert.That(none.Model, Is.Null);
            Assert.That(new RegionRun(none).ModelPath, Is.Null);
            Assert.That(given.Model, Is.EqualTo(_dir.File("after.tif")));
            // --model none overrides a config's model, --model FILE a config's "none".
            Assert.That(new RegionRun(given, new RegionRunOptions { Model = "none" }).ModelPath, Is.Null);
            Assert.That(new RegionRun(none, new RegionRunOptions { Model = _dir.File("before.tif") }).ModelPath, Is.EqualTo(_dir.File("before.tif")));
        });
    }

    [Test]
    public void WithoutAPixelModelKeyTheThresholdDecidesAndTheOptionOverridesTheConfig()
    {
        var absent = Load(Full);
        var none = Load(Full.Replace("\"output\": \"out\"", "\"output\": \"out\", \"pixelModel\": \"none\"", StringComparison.Ordinal));
        var given = Load(Full.Replace("\"output\": \"out\"", "\"output\": \"out\", \"pixelModel\": \"after.tif\"", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(absent.PixelModel, Is.Null, "no pixel model is shipped: none by default");
            Assert.That(new RegionRun(absent).PixelModelPath, Is.Null);
            Assert.That(none.PixelModel, Is.Null);
            Assert.That(given.PixelModel, Is.EqualTo(_dir.File("after.tif")), "relative to the config");
            Assert.That(new RegionRun(given).PixelModelPath, Is.EqualTo(_dir.File("after.tif")));
            // --pixel-model none overrides a config's model, --pixel-model FILE a config's "none".
            Assert.That(new RegionRun(given, new RegionRunOptions { PixelModel = "none" }).PixelModelPath, Is.Null);
            Assert.That(new RegionRun(none, new RegionRunOptions { PixelModel = _dir.File("before.tif") }).PixelModelPath, Is.EqualTo(_dir.File("before.tif")));
        });
        var e = Fails(Full.Replace("\"output\": \"out\"", "\"output\": \"out\", \"pixelModel\": \"missing.zip\"", StringComparison.Ordinal));
        Assert.That(e.Message, Does.Contain("\"pixelModel\"").And.Contain("missing.zip").And.Contain("region.json"));
    }

    [Test]
    public void OptionalSectionsGetDefaults()
    {
        var c = Load("""
            { "region": { "code": "410102" }, "quarter": "2026Q1",
              "before": { "path": "before.tif", "date": "2026-01-02" }, "after": { "path": "after.tif", "date": "2026-03-02" } }
            """);
        Assert.Multiple(() =>
        {
            Assert.That(c.Bands, Is.Null);
            Assert.That(c.Layers, Is.Empty);
            Assert.That(c.Detection.MinAreaM2["default"], Is.EqualTo(400));
            Assert.That(c.Output, Does.EndWith("out"));
        });
    }

    [TestCase("\"quarter\": \"2026Q3\"", "\"quarter\": \"2026-Q3\"", "\"quarter\"")]
    [TestCase("\"date\": \"2026-07-20\"", "\"date\": \"20/07/2026\"", "\"after.date\"")]
    [TestCase("\"output\": \"out\"", "\"outptu\": \"out\"", "\"outptu\" is not a known key")]
    [TestCase("\"path\": \"after.tif\"", "\"path\": \"missing.tif\"", "missing.tif")]
    [TestCase("\"code\": \"410102\"", "\"code\": \"4101\"", "\"region.code\"")]
    [TestCase("\"tileSize\": 512", "\"tileSize\": \"big\"", "\"detection.tileSize\"")]
    [TestCase("\"nir\": 4", "\"nri\": 4", "\"bands.nri\"")]
    [TestCase("\"date\": \"2026-07-20\"", "\"date\": \"2026-01-01\"", "not later than")]
    [TestCase("\"pseudoConfidence\": 0.8", "\"pseudoConfidence\": 1.5", "\"pseudoConfidence\" must be a number from 0 to 1")]
    [TestCase("\"construction\": 200", "\"buidling\": 200", "\"detection.minAreaM2\" 'buidling' is not a change class")]
    [TestCase("\"output\": \"out\",", "\"output\": \"out\", \"model\": \"none\",", "\"pseudoConfidence\" needs a patch classifier")]
    public void MistakesNameTheKeyOrFile(string good, string bad, string expected)
    {
        var e = Fails(Full.Replace(good, bad, StringComparison.Ordinal));
        Assert.That(e.Message, Does.Contain(expected).And.Contain("region.json"));
    }

    [Test]
    public void DeliveryCrsComesFromTheOptionsThenTheConfigThenTheDefault()
    {
        var config = Load(Full.Replace("\"output\": \"out\",", "\"output\": \"out\", \"deliveryCrs\": \"gk6\",", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(config.DeliveryCrs, Is.EqualTo(DeliveryCrs.Parse("gk6")));
            Assert.That(new RegionRun(config).DeliveryCrsSetting, Is.EqualTo(DeliveryCrs.Parse("gk6")));
            Assert.That(new RegionRun(config, new RegionRunOptions { DeliveryCrs = DeliveryCrs.Parse("EPSG:4549") }).DeliveryCrsSetting.Epsg, Is.EqualTo(4549));
            Assert.That(new RegionRun(Load(Full)).DeliveryCrsSetting, Is.EqualTo(DeliveryCrs.Default));
        });
        var e = Fails(Full.Replace("\"output\": \"out\",", "\"output\": \"out\", \"deliveryCrs\": \"EPSG:3857\",", StringComparison.Ordinal));
        Assert.That(e.Message, Does.Contain("\"deliveryCrs\"").And.Contain("EPSG:3857").And.Contain("region.json"));
    }

    [Test]
    public void MalformedJsonIsAClearError()
    {
        var e = Fails("{ \"region\": ");
        Assert.That(e.Message, Does.Contain("not valid JSON"));
    }
}
