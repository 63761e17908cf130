using ChangeDetection.Cli;

namespace ChangeDetection.Tests.Cli;

[TestFixture]
[Category("Slow")]
public class DemoCommandTests
{
    [Test]
    public void DemoGeneratesTheSampleRunsItAndReusesItTheSecondTime()
    {
        using var dir = new TempDir();
        string outDir = dir.File("demo");
        var (o1, e1) = (new StringWriter(), new StringWriter());
        int first = CdxApp.Run(["demo", "--out", outDir, "--size", "1024", "--seed", "3"], o1, e1);
        Assert.That(first, Is.Zero, e1.ToString());
        var (o2, e2) = (new StringWriter(), new StringWriter());
        int second = CdxApp.Run(["demo", "--out", outDir, "--size", "1024", "--seed", "3"], o2, e2);
        Assert.Multiple(() =>
        {
            Assert.That(o1.ToString(), Does.Contain("generating the sample region").And.Contain("monitoring patches"));
            Assert.That(File.Exists(Path.Combine(outDir, "out", "patches.gpkg")), Is.True);
            Assert.That(File.Exists(Path.Combine(outDir, "out", "run.json")), Is.True);
            Assert.That(second, Is.Zero, e2.ToString());
            Assert.That(o2.ToString(), Does.Contain("using the sample region already"));
            Assert.That(o2.ToString(), Does.Contain("resumed"), "the second run finds every tile in the ledger");
        });
    }
}
