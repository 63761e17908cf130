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
        using var o1 = new StringWriter();
        using var e1 = new StringWriter();
        int first = CdxApp.Run(["demo", "--out", outDir, "--size", "1024", "--seed", "3"], o1, e1);
        Assert.That(first, Is.Zero, e1.ToString());
        using var o2 = new StringWriter();
        using var e2 = new StringWriter();
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

    [Test]
    public void DemoRefusesAFolderThatHoldsSomethingElse()
    {
        using var dir = new TempDir();
        // A real region: its images must not be overwritten by synthetic ones.
        File.WriteAllText(dir.File("region.json"), "{}");
        File.WriteAllText(dir.File("before.tif"), "a real image");
        using var o = new StringWriter();
        using var e = new StringWriter();
        int code = CdxApp.Run(["demo", "--out", dir.Path, "--size", "256"], o, e);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), e.ToString());
            Assert.That(e.ToString(), Does.Contain(dir.Path).And.Contain("no demo made by 'cdx demo'"));
            Assert.That(File.ReadAllText(dir.File("before.tif")), Is.EqualTo("a real image"));
            Assert.That(File.Exists(dir.File("after.tif")), Is.False);
        });
    }
}
