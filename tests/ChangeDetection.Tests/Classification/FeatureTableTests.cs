using ChangeDetection.Classification;

namespace ChangeDetection.Tests.Classification;

[TestFixture]
public class FeatureTableTests
{
    private static float[] Vector(float start)
    {
        var f = new float[PatchFeatures.Length];
        for (int k = 0; k < f.Length; k++) f[k] = start + k * 0.1f;
        return f;
    }

    [Test]
    public void RoundTripKeepsValuesAndMissingOnes()
    {
        using var dir = new TempDir();
        var a = Vector(1);
        a[3] = float.NaN;
        var b = Vector(-2.5f);
        FeatureTable.Write(dir.File("f.csv"), [("p1", new LabelledFeatures(a, "pond")), ("p2", new LabelledFeatures(b, "pseudo"))]);
        var rows = FeatureTable.Read(dir.File("f.csv"));
        Assert.That(rows, Has.Count.EqualTo(2));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows[0].Label, Is.EqualTo("pond"));
            Assert.That(rows[0].Features, Is.EqualTo(a));
            Assert.That(float.IsNaN(rows[0].Features[3]), Is.True);
            Assert.That(rows[1].Label, Is.EqualTo("pseudo"));
            Assert.That(rows[1].Features, Is.EqualTo(b));
        }
    }

    [Test]
    public void UnlabelledRowsAreSkippedAndColumnOrderIsFree()
    {
        using var dir = new TempDir();
        string path = dir.File("f.csv");
        var names = PatchFeatures.Names.Reverse().ToList();
        var lines = new List<string> { "note," + string.Join(",", names) + ",label" };
        lines.Add("x," + string.Join(",", names.Select(n => PatchFeatures.IndexOf(n).ToString(System.Globalization.CultureInfo.InvariantCulture))) + ",road");
        lines.Add("y," + string.Join(",", names.Select(_ => "0")) + ",");
        File.WriteAllLines(path, lines);
        var rows = FeatureTable.Read(path);
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0].Features, Is.EqualTo(Enumerable.Range(0, PatchFeatures.Length).Select(i => (float)i).ToArray()));
    }

    [Test]
    public void QuotedCellsMayHoldCommasQuotesAndBlankLinesAreSkipped()
    {
        using var dir = new TempDir();
        string path = dir.File("f.csv");
        var names = PatchFeatures.Names;
        var lines = new List<string>
        {
            "id,note,label," + string.Join(",", names),
            "\"p,1\",\"checked by \"\"Li, W.\"\"\",road," + string.Join(",", names.Select((_, k) => k.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            "   ",
            "p2,,pond," + string.Join(",", names.Select(_ => "2")),
        };
        File.WriteAllLines(path, lines);
        var rows = FeatureTable.ReadRows(path);
        Assert.That(rows, Has.Count.EqualTo(2));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows[0].Id, Is.EqualTo("p,1"));
            Assert.That(rows[0].Label, Is.EqualTo("road"));
            Assert.That(rows[0].Features, Is.EqualTo(Enumerable.Range(0, PatchFeatures.Length).Select(i => (float)i).ToArray()));
            Assert.That((rows[1].Id, rows[1].Line), Is.EqualTo(("p2", 4)));
        }
    }

    [Test]
    public void AnUnclosedQuoteIsAClearError()
    {
        using var dir = new TempDir();
        string path = dir.File("f.csv");
        FeatureTable.Write(path, [("p1", new LabelledFeatures(Vector(1), "pond"))]);
        string[] good = File.ReadAllLines(path);
        File.WriteAllLines(path, [good[0], "\"p1" + good[1][2..]]);
        Assert.That(() => FeatureTable.ReadRows(path), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("f.csv"));
    }

    [Test]
    public void BadTablesAreRefusedWithFileAndLine()
    {
        using var dir = new TempDir();
        string path = dir.File("f.csv");
        FeatureTable.Write(path, [("p1", new LabelledFeatures(Vector(1), "pond"))]);
        string[] good = File.ReadAllLines(path);
        File.WriteAllLines(path, [good[0], good[1].Replace(",pond,", ",house,", StringComparison.Ordinal)]);
        Assert.That(() => FeatureTable.Read(path), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("f.csv:2").And.Message.Contains("house"));
        File.WriteAllLines(path, [good[0].Replace(",ndvi_after", ",ndvi_later", StringComparison.Ordinal), good[1]]);
        Assert.That(() => FeatureTable.Read(path), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("'ndvi_after'"));
    }
}
