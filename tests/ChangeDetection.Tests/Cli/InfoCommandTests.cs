using System.Text.Json;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

[TestFixture]
public class InfoCommandTests
{
    [Test]
    public void JsonHasExactlyTheDocumentedKeysAndMatchesTheManifest()
    {
        string file = Path.Combine(SharedData.RequireDir("geotiff"), "tiled512_lzw_pred2_band_u16.tif");
        var (code, stdout, stderr) = Cdx("info", file, "--json", "--checksum");
        Assert.That(code, Is.Zero, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
            {
                "file", "width", "height", "bands", "dtype", "geotransform", "epsg", "nodata", "band_names",
                "compression", "tiled", "bigtiff", "overviews", "cog", "band_sha256", "band_sum",
            }));
            Assert.That(root.GetProperty("width").GetInt32(), Is.EqualTo(1300));
            Assert.That(root.GetProperty("dtype").GetString(), Is.EqualTo("uint16"));
            Assert.That(root.GetProperty("epsg").GetInt32(), Is.EqualTo(4527));
            Assert.That(root.GetProperty("nodata").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(root.GetProperty("compression").GetString(), Is.EqualTo("LZW"));
            Assert.That(root.GetProperty("tiled").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("band_sha256")[0].GetString(), Is.EqualTo("42a3211fbeefef71350b662eaa9d6318c4f2a224d9d0d5cac77dd8f3f00049f6"));
            Assert.That(root.GetProperty("band_sum")[3].GetDouble(), Is.EqualTo(613197215.0));
        });
    }

    [Test]
    public void JsonWithoutChecksumOmitsTheChecksumKeys()
    {
        string file = Path.Combine(SharedData.RequireDir("geotiff"), "geographic_cgcs2000_u8.tif");
        var (code, stdout, _) = Cdx("info", file, "--json");
        Assert.That(code, Is.Zero);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Multiple(() =>
        {
            Assert.That(doc.RootElement.TryGetProperty("band_sha256", out _), Is.False);
            Assert.That(doc.RootElement.GetProperty("epsg").GetInt32(), Is.EqualTo(4490));
            Assert.That(doc.RootElement.GetProperty("nodata").GetDouble(), Is.EqualTo(255));
        });
    }

    [TestCase("bad_truncated.tif")]
    [TestCase("bad_not_a_tiff.tif")]
    [TestCase("bad_corrupt_tiles.tif")]
    public void BrokenFileExitsWithTwoAndOneLineNamingIt(string name)
    {
        string file = Path.Combine(SharedData.RequireDir("geotiff"), name);
        var (code, stdout, stderr) = Cdx("info", file, "--checksum");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
            Assert.That(stderr, Does.Contain(name));
            Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    public void UsageErrorsExitWithTwo()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Cdx("info").Code, Is.EqualTo(2));
            Assert.That(Cdx("no-such-command").Code, Is.EqualTo(2));
            Assert.That(Cdx("info", "/no/such/file.tif").Err, Does.Contain("/no/such/file.tif"));
        });
    }

    [Test]
    public void TextOutputNamesTheBands()
    {
        string dir = SharedData.RequireDir(Path.Combine("real", "oscd", "abudhabi"));
        var (code, stdout, _) = Cdx("info", Path.Combine(dir, "before.tif"));
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero);
            Assert.That(stdout, Does.Contain("EPSG:4326").And.Contain("Band 4:      nir"));
        });
    }
}
