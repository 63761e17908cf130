using System.Text.Json;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

[TestFixture]
public class DetectEvalCommandTests
{
    /// <summary>Integration: cdx eval on the Landsat Nanjing pair, scored against its sparse labels.</summary>
    [Test]
    public void EvalOnARealPairPrintsJsonScoresPerPairAndSource()
    {
        string dir = SharedData.RequireDir(Path.Combine("real", "landsat-nanjing", "Nanjing"));
        var (code, stdout, stderr) = Cdx("eval", "--before", Path.Combine(dir, "before.tif"), "--after", Path.Combine(dir, "after.tif"),
            "--truth", Path.Combine(dir, "truth.tif"), "--json");
        Assert.That(code, Is.Zero, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), "one pair line and one source total");
        var total = lines[1];
        Assert.Multiple(() =>
        {
            Assert.That(total.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "source", "pair", "precision", "recall", "f1", "iou", "tp", "fp", "fn" }));
            Assert.That(total.GetProperty("pair").ValueKind, Is.EqualTo(JsonValueKind.Null));
            // The classical baseline reaches F1 0.74 here; the kernel must beat it.
            Assert.That(total.GetProperty("f1").GetDouble(), Is.GreaterThan(0.74));
            long tp = total.GetProperty("tp").GetInt64(), fn = total.GetProperty("fn").GetInt64();
            Assert.That(tp + fn, Is.EqualTo(2363), "every changed reference pixel is counted once (pairs.csv: 2363)");
        });
    }

    [Test]
    public void DetectWritesTheMaskAndPrintsTheThreshold()
    {
        string dir = SharedData.RequireDir(Path.Combine("real", "levir-cd", "test_2_0000_0000"));
        using var tmp = new TempDir();
        var (code, stdout, stderr) = Cdx("detect", "--before", Path.Combine(dir, "before.tif"), "--after", Path.Combine(dir, "after.tif"),
            "--out", tmp.File("mask.tif"), "--tile", "64", "--threshold", "p90");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("threshold: ").And.Contain("percentile"));
            Assert.That(File.Exists(tmp.File("mask.tif")), Is.True);
        });
    }

    [TestCase("--threshold", "bogus", "--threshold 'bogus'")]
    [TestCase("--tile", "100", "Tile size 100")]
    public void BadDetectOptionsExitWithTwo(string option, string value, string message)
    {
        string dir = SharedData.RequireDir(Path.Combine("real", "levir-cd", "test_2_0000_0000"));
        using var tmp = new TempDir();
        var (code, _, stderr) = Cdx("detect", "--before", Path.Combine(dir, "before.tif"), "--after", Path.Combine(dir, "after.tif"), "--out", tmp.File("m.tif"), option, value);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain(message));
        });
    }

    [Test]
    public void EvalWithoutInputsIsAUsageError()
    {
        var (code, _, stderr) = Cdx("eval");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("--pairs"));
        });
    }
}
