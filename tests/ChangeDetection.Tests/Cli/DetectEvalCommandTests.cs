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

[TestFixture]
[Category("Slow")]
public class EvalWithClassifierTests
{
    /// <summary>Removing pseudo-change patches can only take predicted change away: tp and fp never grow.</summary>
    [Test]
    public void LeaveOnePairOutScoresBothWaysAndOnlyRemovesChange()
    {
        string real = SharedData.RequireDir("real");
        using var tmp = new TempDir();
        string csv = tmp.File("pairs.csv");
        File.WriteAllText(csv, "source,pair,dir\n" + string.Join("\n",
            new[] { "test_2_0000_0000", "test_77_0512_0256", "test_7_0256_0512" }.Select(p => $"levir-cd,{p},{Path.Combine(real, "levir-cd", p)}")) + "\n");
        var (code, stdout, stderr) = Cdx("eval", "--pairs", csv, "--classifier", "lopo", "--json", "--tile", "256");
        Assert.That(code, Is.Zero, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var off = lines.Where(l => l.GetProperty("classifier").GetString() == "off").ToList();
        var on = lines.Where(l => l.GetProperty("classifier").GetString() == "on").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(off, Has.Count.EqualTo(4), "3 pairs and the source total");
            Assert.That(on, Has.Count.EqualTo(4));
            for (int i = 0; i < off.Count; i++)
            {
                Assert.That(on[i].GetProperty("tp").GetInt64(), Is.LessThanOrEqualTo(off[i].GetProperty("tp").GetInt64()));
                Assert.That(on[i].GetProperty("fp").GetInt64(), Is.LessThanOrEqualTo(off[i].GetProperty("fp").GetInt64()));
                Assert.That(on[i].GetProperty("tp").GetInt64() + on[i].GetProperty("fn").GetInt64(),
                    Is.EqualTo(off[i].GetProperty("tp").GetInt64() + off[i].GetProperty("fn").GetInt64()), "same reference pixels");
            }
        });
    }

    [Test]
    public void UnknownClassifierModeIsAUsageError()
    {
        var (code, _, stderr) = Cdx("eval", "--pairs", "x.csv", "--classifier", "maybe");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("--classifier 'maybe'"));
        });
    }
}
