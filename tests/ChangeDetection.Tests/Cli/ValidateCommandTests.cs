using System.Text.Json.Nodes;
using ChangeDetection.Synthetic;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

/// <summary>
/// <c>cdx validate</c> opens and checks everything <c>cdx run</c> will use, and <c>run</c>/<c>enqueue</c>
/// make the same check before any raster work: one crafted config or layer file per mistake.
/// </summary>
[TestFixture]
public sealed class ValidateCommandTests
{
    private static TempDir _sample = null!;
    private static SyntheticRegionSummary _region = null!;
    private TempDir _dir = null!;

    [OneTimeSetUp]
    public void MakeSample()
    {
        _sample = new TempDir();
        _region = SyntheticRegion.Generate(_sample.Path, new SyntheticRegionOptions { Size = 256, Seed = 2, Workers = 1 });
    }

    [OneTimeTearDown]
    public void Cleanup() => _sample.Dispose();

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    /// <summary>
    /// The sample's region.json with absolute paths, no classifier (no model load) and the output in the
    /// test's folder, changed by <paramref name="edit"/>, written as region.json in the test's folder.
    /// </summary>
    private string Config(Action<JsonObject>? edit = null)
    {
        var root = JsonNode.Parse(File.ReadAllText(_region.RegionFile))!.AsObject();
        root["before"]!["path"] = _region.BeforeImage;
        root["after"]!["path"] = _region.AfterImage;
        root["layers"]![0]!["path"] = _region.PermanentFarmlandFile;
        root["layers"]![1]!["path"] = _region.EcologicalRedlineFile;
        root["admin"]!["path"] = _region.AdminFile;
        root["output"] = _dir.File("out");
        root["model"] = "none";
        edit?.Invoke(root);
        string path = _dir.File("region.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    /// <summary>A copy of the farmland layer, changed by <paramref name="edit"/> (its text), in the test's folder.</summary>
    private string Layer(string name, Func<string, string> edit)
    {
        string path = _dir.File(name);
        File.WriteAllText(path, edit(File.ReadAllText(_region.PermanentFarmlandFile)));
        return path;
    }

    private static string WithoutCrsMember(string geojson)
    {
        int start = geojson.IndexOf(",\"crs\":", StringComparison.Ordinal);
        int end = geojson.IndexOf(",\"features\"", StringComparison.Ordinal);
        return geojson[..start] + geojson[end..];
    }

    /// <summary>Validate fails with exit 2 and one line (no trace) naming <paramref name="names"/>.</summary>
    private static string Refused(string config, params string[] names)
    {
        var (code, _, stderr) = Cdx("validate", config);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
        foreach (string n in names) Assert.That(stderr, Does.Contain(n));
        return stderr;
    }

    [Test]
    public void TheSampleConfigIsValid()
    {
        var (code, stdout, stderr) = Cdx("validate", Config());
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain(": OK").And.Not.Contain("warning"));
    }

    [Test]
    public void ALayerFileThatIsNotJsonIsRefused()
    {
        string layer = Layer("farmland.geojson", _ => "this is not JSON {");
        Refused(Config(c => c["layers"]![0]!["path"] = layer), layer);
    }

    [Test]
    public void ATruncatedLayerFileIsRefused()
    {
        string layer = Layer("farmland.geojson", t => t[..(t.Length / 2)]);
        Refused(Config(c => c["layers"]![0]!["path"] = layer), layer);
    }

    [Test]
    public void ALayerKindThatDoesNotExistIsRefused()
    {
        string config = Config(c => c["layers"]![0]!["kind"] = "farmlnd");
        Refused(config, config, "\"layers[0].kind\"", "'farmlnd'", "field");
    }

    [Test]
    public void ANegativeMinimumAreaIsRefused()
    {
        string config = Config(c => c["detection"]!["minAreaM2"] = -1);
        Refused(config, config, "\"detection.minAreaM2\"");
    }

    [Test]
    public void ALayerInACrsThePipelineCannotUseIsRefused()
    {
        string layer = Layer("farmland.geojson", t => t.Replace("EPSG::4527", "EPSG::3857", StringComparison.Ordinal));
        Refused(Config(c => c["layers"]![0]!["path"] = layer), layer, "EPSG::3857");
    }

    [Test]
    public void AThresholdWordThatDoesNotExistIsRefused()
    {
        string config = Config(c => c["detection"]!["threshold"] = "automatic");
        Refused(config, config, "\"detection.threshold\"", "'automatic'");
    }

    [TestCase("codeField")]
    [TestCase("nameField")]
    public void AnAdminFieldTheLayerDoesNotHaveIsRefused(string key)
    {
        string config = Config(c => c["admin"]![key] = "NO_SUCH_FIELD");
        Refused(config, config, $"\"admin.{key}\"", "NO_SUCH_FIELD", "XZQDM");
    }

    [Test]
    public void AQuarterThatDoesNotHoldTheAfterDateIsRefused()
    {
        string config = Config(c => c["quarter"] = "2026Q2");
        Refused(config, config, "\"quarter\"", "2026Q3");
    }

    [Test]
    public void AConfigWhoseRootIsNotAnObjectIsRefused()
    {
        string config = _dir.File("region.json");
        File.WriteAllText(config, "[ { \"region\": { \"code\": \"320305\" } } ]");
        Refused(config, config, "JSON object");
    }

    [Test]
    public void AModelFileThatIsNotAClassifierIsRefused()
    {
        string config = Config(c => c["model"] = _region.AdminFile);
        Refused(config, _region.AdminFile, "classifier");
    }

    [Test]
    public void AProjectedGeoJsonWithoutCrsIsRefusedWithTheFix()
    {
        string layer = Layer("farmland.geojson", WithoutCrsMember);
        string stderr = Refused(Config(c => c["layers"]![0]!["path"] = layer), layer, "longitude/latitude", "\"crs\"");
        Assert.That(stderr, Does.Contain("region config"));
    }

    [Test]
    public void TheLayerCrsKeyGivesAProjectedGeoJsonItsCrs()
    {
        string layer = Layer("farmland.geojson", WithoutCrsMember);
        var (code, stdout, stderr) = Cdx("validate", Config(c =>
        {
            c["layers"]![0]!["path"] = layer;
            c["layers"]![0]!["crs"] = "EPSG:4527";
        }));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Not.Contain("warning"), "the layer lands on the image");
    }

    [Test]
    public void ALayerCrsKeyThePipelineDoesNotKnowIsRefused()
    {
        string config = Config(c => c["layers"]![0]!["crs"] = "EPSG:3857");
        Refused(config, config, "\"layers[0].crs\"");
    }

    [Test]
    public void ALayerCrsKeyThatContradictsTheFileIsRefused()
    {
        string config = Config(c => c["layers"]![0]!["crs"] = "EPSG:4528");
        Refused(config, _region.PermanentFarmlandFile, "EPSG:4527", "EPSG:4528");
    }

    [Test]
    public void ALayerOutsideTheImageIsAWarning()
    {
        // 100 km east of the image, same CRS.
        string layer = Layer("far.geojson", t => t.Replace("[395", "[396", StringComparison.Ordinal));
        var (code, stdout, stderr) = Cdx("validate", Config(c => c["layers"]![0]!["path"] = layer));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("warning: " + layer).And.Contain("outside the image footprint"));
    }

    [Test]
    public void WithoutAnAdminLayerTheRegionCodeIsUsedWithAWarning()
    {
        var (code, stdout, stderr) = Cdx("validate", Config(c => c.Remove("admin")));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("no \"admin\" layer").And.Contain("320305"));
    }

    [Test]
    public void RunMakesTheSameCheckBeforeAnyRasterWork()
    {
        string layer = Layer("farmland.geojson", _ => "this is not JSON {");
        var (code, _, stderr) = Cdx("run", Config(c => c["layers"]![0]!["path"] = layer), "--workers", "1");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain(layer));
            Assert.That(Directory.Exists(_dir.File("out")), Is.False, "nothing was computed or written");
        });
    }

    [Test]
    public void EnqueueMakesTheSameCheckBeforeQueueing()
    {
        var (code, _, stderr) = Cdx("enqueue", Config(c => c["admin"]!["codeField"] = "NO_SUCH_FIELD"), "--storage", "sqlite:" + _dir.File("jobs.db"));
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain("\"admin.codeField\""));
            Assert.That(File.Exists(_dir.File("jobs.db")), Is.False, "nothing was queued");
        });
    }
}
