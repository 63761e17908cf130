using System.Text.Json;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.PixelModel;

[TestFixture]
public class PixelModelCliTests
{
    private static readonly string[] LevirPairs = ["test_102_0512_0000", "test_121_0768_0256", "test_55_0256_0000"];

    private static List<JsonElement> JsonLines(string stdout) =>
        [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    private static string Method(JsonElement l) => l.GetProperty("method").GetString()!;

    /// <summary>Three LEVIR-CD pairs of three groups: train → eval with the model, and eval --classifier lopo with the pixel model left out by group.</summary>
    [Test]
    public void TrainThenEvalOnLevirPairs()
    {
        string levir = SharedData.RequireDir(Path.Combine("real", "levir-cd"));
        using var tmp = new TempDir();
        string csv = tmp.File("pairs.csv");
        File.WriteAllLines(csv, ["source,pair,dir,group", .. LevirPairs.Select(p => $"levir-cd,{p},{Path.Combine(levir, p)},levir-cd/{p}")]);
        string model = tmp.File("pixel.zip");

        var train = Cdx("train", "--pairs", csv, "--pixel-model", model);
        Assert.That(train.Code, Is.Zero, train.Err);
        Assert.That(File.Exists(model), Is.True);
        Assert.That(train.Out, Does.Contain("pixel model:").And.Contain("bands blue,green,red"));

        var eval = Cdx("eval", "--pairs", csv, "--classifier", "off", "--pixel-model", model, "--json");
        Assert.That(eval.Code, Is.Zero, eval.Err);
        var lines = JsonLines(eval.Out);
        var pixel = lines.Where(l => Method(l) == "pixel-model").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(pixel, Has.Count.EqualTo(LevirPairs.Length + 1), "a line per pair and the source total");
            Assert.That(lines.Count(l => Method(l) == "baseline"), Is.EqualTo(LevirPairs.Length + 1), "next to the baseline");
            Assert.That(pixel.All(l => l.GetProperty("f1").GetDouble() > 0.3), Is.True, "the model finds the buildings it was trained on");
        });

        var lopo = Cdx("eval", "--pairs", csv, "--classifier", "lopo", "--json");
        Assert.That(lopo.Code, Is.Zero, lopo.Err);
        var lopoLines = JsonLines(lopo.Out);
        var held = lopoLines.Where(l => Method(l) == "pixel-lopo").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(held, Has.Count.EqualTo(LevirPairs.Length + 1));
            Assert.That(lopoLines.Count(l => Method(l) == "lopo"), Is.EqualTo(LevirPairs.Length + 1), "the patch classifier's lines stay");
            Assert.That(held.Where(l => l.GetProperty("pair").ValueKind != JsonValueKind.Null).All(l => l.GetProperty("holdout").GetString() == "group"), Is.True);
            Assert.That(held.Single(l => l.GetProperty("pair").ValueKind == JsonValueKind.Null).TryGetProperty("f1_mean", out _), Is.True);
            Assert.That(held.All(l => l.GetProperty("f1").GetDouble() > 0), Is.True, "held-out pairs still show change");
        });
    }

    [Test]
    public void ThePixelModelNeedsLabelledPairs()
    {
        using var tmp = new TempDir();
        var (code, _, stderr) = Cdx("train", "--pixel-model", tmp.File("p.zip"), "--synthetic-seeds", "1");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Not.Zero);
            Assert.That(stderr, Does.Contain("--pairs"));
        });
    }

    [Test]
    public void TrainWithoutAnyModelFileIsAUsageError()
    {
        var (code, _, stderr) = Cdx("train", "--synthetic-seeds", "1");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Not.Zero);
            Assert.That(stderr, Does.Contain("--out").And.Contain("--pixel-model"));
        });
    }
}
