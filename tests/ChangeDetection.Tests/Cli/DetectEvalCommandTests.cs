using System.Text.Json;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

[TestFixture]
public class DetectEvalCommandTests
{
    /// <summary>Integration: cdx eval of the detector alone on the Landsat Nanjing pair, scored against its sparse labels.</summary>
    [Test]
    public void EvalOnARealPairPrintsJsonScoresPerPairAndSource()
    {
        string dir = SharedData.RequireDir(Path.Combine("real", "landsat-nanjing", "Nanjing"));
        var (code, stdout, stderr) = Cdx("eval", "--before", Path.Combine(dir, "before.tif"), "--after", Path.Combine(dir, "after.tif"),
            "--truth", Path.Combine(dir, "truth.tif"), "--json", "--classifier", "off");
        Assert.That(code, Is.Zero, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(lines, Has.Count.EqualTo(4), "one pair line and one source total, for the kernel and the baseline");
        var total = lines[1];
        var baseline = lines[3];
        Assert.Multiple(() =>
        {
            Assert.That(total.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "method", "source", "pair", "precision", "recall", "f1", "iou", "tp", "fp", "fn", "f1_mean", "classifier" }));
            Assert.That(total.GetProperty("method").GetString(), Is.EqualTo("kernel"));
            Assert.That(baseline.GetProperty("method").GetString(), Is.EqualTo("baseline"));
            Assert.That(total.GetProperty("pair").ValueKind, Is.EqualTo(JsonValueKind.Null));
            // The plain baseline is the reference line of every report; the kernel must beat it.
            Assert.That(total.GetProperty("f1").GetDouble(), Is.GreaterThan(baseline.GetProperty("f1").GetDouble()));
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

    /// <summary>
    /// Three small synthetic pairs of two sources: every JSON line names its method, the product and the
    /// baseline each give a line per pair and per source, and a source line's f1_mean is the mean of its
    /// pairs' F1 (pooled F1 is the source line's f1).
    /// </summary>
    [Test]
    public void EvalJsonLinesCarryTheMethodAndTheMeanOfThePairF1s()
    {
        using var tmp = new TempDir();
        var gt = new ChangeDetection.Geo.GeoTransform(500000, 1, 0, 3800000, 0, -1);
        string csv = tmp.File("pairs.csv");
        var rows = new List<string> { "source,pair,dir" };
        foreach (var (source, name, size) in new[] { ("a", "one", 40), ("a", "two", 24), ("b", "three", 32) })
        {
            string pairDir = tmp.File(name);
            Directory.CreateDirectory(pairDir);
            bool Changed(int c, int r) => c is >= 30 and < 30 + 40 && r >= 30 && r < 30 + size;
            int Noise(int k, int c, int r) => (int)((uint)(c * 7919 ^ r * 104729 ^ k * 1299709) % 23);
            ChangeDetection.Tests.Raster.ScenePairTests.Write(tmp, Path.Combine(name, "before.tif"), 128, 128, gt, (k, c, r) => 800 + 100 * k + Noise(k, c, r));
            ChangeDetection.Tests.Raster.ScenePairTests.Write(tmp, Path.Combine(name, "after.tif"), 128, 128, gt, (k, c, r) => 800 + 100 * k + Noise(k, r, c) + (Changed(c, r) ? (k == 3 ? -500 : 600) : 0));
            WriteTruth(Path.Combine(pairDir, "truth.tif"), 128, gt, (c, r) => Changed(c, r) ? (byte)1 : (byte)0);
            rows.Add($"{source},{name},{name}");
        }
        File.WriteAllLines(csv, rows);

        var (code, stdout, stderr) = Cdx("eval", "--pairs", csv, "--json", "--model", "none");
        Assert.That(code, Is.Zero, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lines.Select(l => l.GetProperty("method").GetString()), Is.EqualTo(Enumerable.Repeat("product", 5).Concat(Enumerable.Repeat("baseline", 5))));
            foreach (var method in new[] { "product", "baseline" })
                foreach (var source in new[] { "a", "b" })
                {
                    var mine = lines.Where(l => l.GetProperty("method").GetString() == method && l.GetProperty("source").GetString() == source).ToList();
                    var pairF1 = mine.Where(l => l.GetProperty("pair").ValueKind != JsonValueKind.Null).Select(l => l.GetProperty("f1").GetDouble()).ToList();
                    var total = mine.Single(l => l.GetProperty("pair").ValueKind == JsonValueKind.Null);
                    Assert.That(total.GetProperty("f1_mean").GetDouble(), Is.EqualTo(pairF1.Average()).Within(1e-4), $"{method} {source}");
                    Assert.That(mine.Where(l => l.GetProperty("pair").ValueKind != JsonValueKind.Null).All(l => !l.TryGetProperty("f1_mean", out _)), Is.True, "pair lines have no mean");
                }
            Assert.That(lines.Where(l => l.GetProperty("method").GetString() == "product").All(l => l.GetProperty("model").ValueKind == JsonValueKind.Null), Is.True, "--model none");
            Assert.That(lines.Any(l => l.GetProperty("f1").GetDouble() > 0), Is.True, "the injected blocks are found");
            // Each product pair line reports the co-registration pass 1 found (no shift is applied by default).
            foreach (var l in lines.Where(l => l.GetProperty("method").GetString() == "product" && l.GetProperty("pair").ValueKind != JsonValueKind.Null))
            {
                Assert.That(Enum.GetNames<ChangeDetection.Registration.GlobalShiftStatus>(), Does.Contain(l.GetProperty("shift_status").GetString()));
                Assert.That(Math.Abs(l.GetProperty("shift_dx").GetDouble()), Is.LessThanOrEqualTo(4));
                Assert.That(Math.Abs(l.GetProperty("shift_dy").GetDouble()), Is.LessThanOrEqualTo(4));
            }
            Assert.That(lines.Where(l => l.GetProperty("pair").ValueKind == JsonValueKind.Null || l.GetProperty("method").GetString() == "baseline")
                .Any(l => l.TryGetProperty("shift_dx", out _)), Is.False, "source totals and the baseline have no shift");
        });

        var text = Cdx("eval", "--pairs", csv, "--model", "none");
        Assert.That(text.Code, Is.Zero, text.Err);
        Assert.That(text.Out, Does.Contain("baseline").And.Contain("ΔF1 vs baseline"));
        Assert.That(text.Out.Split('\n').Count(l => l.Contains("(all) baseline")), Is.EqualTo(2), "one baseline line per source");
    }

    private static void WriteTruth(string path, int size, ChangeDetection.Geo.GeoTransform gt, Func<int, int, byte> label)
    {
        var data = new byte[size * size];
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++)
                data[r * size + c] = label(c, r);
        using var writer = ChangeDetection.Raster.GeoTiff.GeoTiffWriter.Create(path, new ChangeDetection.Raster.GeoTiff.GeoTiffWriterOptions
        {
            Width = size, Height = size, DataType = ChangeDetection.Raster.RasterDataType.UInt8, Transform = gt, Crs = new ChangeDetection.Geo.Crs(4527), NoData = 255, TileSize = 16,
        });
        writer.WriteWindow<byte>(new ChangeDetection.Raster.PixelWindow(0, 0, size, size), data);
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
        // --skip-pixel-lopo: the pixel model's leave-one-group-out (three trainings on deep features) is not what this
        // test checks; PixelModelCliTests covers it.
        var (code, stdout, stderr) = Cdx("eval", "--pairs", csv, "--classifier", "lopo", "--json", "--tile", "256", "--skip-pixel-lopo");
        Assert.That(code, Is.Zero, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var off = lines.Where(l => l.GetProperty("method").GetString() == "kernel").ToList();
        var on = lines.Where(l => l.GetProperty("method").GetString() == "lopo").ToList();
        Assert.That(off.Select(l => l.GetProperty("classifier").GetString()).Concat(on.Select(l => l.GetProperty("classifier").GetString())).Distinct(),
            Is.EqualTo(new[] { "off", "on" }), "the classifier key is kept");
        Assert.That(lines.Count(l => l.GetProperty("method").GetString() == "baseline"), Is.EqualTo(4), "the baseline reference: 3 pairs and the source");
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
