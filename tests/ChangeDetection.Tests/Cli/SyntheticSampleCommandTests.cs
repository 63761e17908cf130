using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

[TestFixture]
public class SyntheticSampleCommandTests
{
    [Test]
    public void SampleWritesARegionAndExitsZero()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("region");
        var (code, stdout, stderr) = Cdx("sample", dir, "--size", "512", "--seed", "3", "--pixel", "1.5");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, stderr);
            // stderr carries progress lines only (plain, since it is redirected): no error, no escape codes.
            Assert.That(stderr, Does.Not.Contain("cdx:"));
            Assert.That(stderr.Contains('\u001b', StringComparison.Ordinal), Is.False, "no terminal escape codes");
            Assert.That(stderr, Does.Contain("rasters: 2/2"));
            Assert.That(File.Exists(Path.Combine(dir, "region.json")), Is.True);
            Assert.That(File.Exists(Path.Combine(dir, "layers", "ecological_redline.geojson")), Is.True);
            Assert.That(stdout, Does.Contain("512 × 512 px at 1.5 m").And.Contain("construction"));
        });
        using var reader = ChangeDetection.Raster.GeoTiff.GeoTiffReader.Open(Path.Combine(dir, "after.tif"));
        Assert.That(reader.Info.Transform.PixelWidth, Is.EqualTo(1.5));
    }

    [TestCase("0")]
    [TestCase("-5")]
    [TestCase("100000")]
    [TestCase("abc")]
    public void BadSizeExitsWithTwo(string size)
    {
        using var tmp = new TempDir();
        var (code, stdout, stderr) = Cdx("sample", tmp.File("r"), "--size", size);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
            Assert.That(stderr, Does.Contain("size").Or.Contain(size));
            Assert.That(Directory.Exists(tmp.File("r")), Is.False, "nothing written");
        });
    }

    [Test]
    public void AFileInsteadOfAFolderExitsWithTwo()
    {
        using var tmp = new TempDir();
        string file = tmp.File("not-a-dir.txt");
        File.WriteAllText(file, "x");
        var (code, _, stderr) = Cdx("sample", file, "--size", "256");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain(file).And.Contain("not a folder"));
            Assert.That(stderr, Does.Not.Contain("   at "));
        });
    }

    [Test]
    public void BadPixelSizeExitsWithTwo()
    {
        using var tmp = new TempDir();
        Assert.That(Cdx("sample", tmp.File("r"), "--pixel", "0").Code, Is.EqualTo(2));
    }
}
