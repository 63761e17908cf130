using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// The commented region configs in <c>samples/</c> are read by the same loader as any config: dropped
/// into a sample region (the file names are a sample region's), they validate and say what they document.
/// </summary>
[TestFixture]
public class SampleConfigTests
{
    private TempDir _dir = null!;
    private string _region = null!;

    [OneTimeSetUp]
    public void MakeRegion()
    {
        _dir = new TempDir();
        _region = Path.GetDirectoryName(SyntheticRegion.Generate(_dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 3, Workers = 1 }).RegionFile)!;
        // The full sample also names the layers a sample region does not have.
        string farmland = Path.Combine(_region, "layers", "permanent_farmland.geojson");
        foreach (string name in new[] { "farmland", "urban_boundary", "nature_reserve" })
            File.Copy(farmland, Path.Combine(_region, "layers", name + ".geojson"));
        Directory.CreateDirectory(Path.Combine(_region, "models"));
        File.Copy(EndToEndTests.ShippedModel(), Path.Combine(_region, "models", "classifier.zip"));
    }

    [OneTimeTearDown]
    public void Delete() => _dir.Dispose();

    private string Place(string sample)
    {
        string target = Path.Combine(_region, sample);
        File.Copy(Repository.File(Path.Combine("samples", sample)), target, overwrite: true);
        return target;
    }

    [Test]
    public void MinimalSampleValidates()
    {
        string path = Place("region-minimal.json");
        var (code, _, stderr) = Cdx("validate", path);
        Assert.That(code, Is.Zero, stderr);
        var config = RegionConfig.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(config.Layers, Is.Empty);
            Assert.That(config.Bands, Is.Null);
            Assert.That(Path.GetFileName(config.Model), Is.EqualTo("classifier.zip"), "no model key: the shipped model");
            Assert.That(Path.GetDirectoryName(config.Model), Is.Not.EqualTo(Path.Combine(_region, "models")), "not one next to the config");
        });
    }

    [Test]
    public void FullSampleValidatesAndHoldsEveryKind()
    {
        string path = Place("region-full.json");
        var (code, _, stderr) = Cdx("validate", path);
        Assert.That(code, Is.Zero, stderr);
        var config = RegionConfig.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(config.Layers.Select(l => l.Kind), Is.SupersetOf(ChangeDetection.Overlay.LayerKind.Standard.Select(k => k.Kind)));
            Assert.That(config.Layers.Single(l => !ChangeDetection.Overlay.LayerKind.IsStandard(l.Kind)).Field, Is.EqualTo("ZRBHDMJ"));
            Assert.That(config.Admin, Is.Not.Null);
            Assert.That(config.Detection.MinAreaM2["construction"], Is.EqualTo(200));
            Assert.That(config.PseudoConfidence, Is.EqualTo(0.5));
            Assert.That(config.DeliveryCrs, Is.Not.Null);
            Assert.That(config.PixelModel, Is.Null, "\"pixelModel\": \"none\"");
            Assert.That(config.ExtraBands, Is.Empty, "\"beforeBands\": \"none\"");
        });
    }
}
