using ChangeDetection.Export;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

[TestFixture]
[Category("Slow")]
public class RunExportCommandTests
{
    [Test]
    public void RunThenExportOneProvinceInGbk()
    {
        using var dir = new TempDir();
        var sample = SyntheticRegion.Generate(dir.Path, new SyntheticRegionOptions { Size = 768, Seed = 11 });
        string output = dir.File("out");
        var (code, stdout, stderr) = Cdx("run", sample.RegionFile, "--out", output, "--tile", "256");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("verification tasks"));
        string folder = Directory.GetDirectories(Path.Combine(output, "provinces")).First();
        string province = Path.GetFileName(folder)[..2];
        Assert.That(Path.GetFileName(folder), Is.EqualTo(ProvincePackage.FolderName(province)), "the folder carries code and name");
        string prefix = ProvincePackage.Prefix(province, RegionConfig.Load(sample.RegionFile).Quarter);

        Assert.That(File.ReadAllText(Path.Combine(folder, prefix + "tasks.prj")), Does.Contain("3-degree Gauss-Kruger zone"), "default delivery: a 3° zone");
        var (exportCode, exportOut, exportErr) = Cdx("export", output, "--province", province, "--encoding", "gbk", "--crs", "gk6");
        Assert.Multiple(() =>
        {
            Assert.That(exportCode, Is.Zero, exportErr);
            Assert.That(exportOut, Does.Contain("resumed"));
            Assert.That(File.ReadAllText(Path.Combine(folder, prefix + "tasks.cpg")).Trim(), Is.EqualTo("GBK"));
            Assert.That(File.ReadAllText(Path.Combine(folder, prefix + "tasks.prj")), Does.Contain("CGCS2000 / Gauss-Kruger zone"), "--crs gk6: a 6° zone");
        });
    }

    [TestCase("--encoding", "latin1", "--encoding 'latin1'")]
    [TestCase("--province", "3", "--province '3'")]
    [TestCase("--crs", "utm", "--crs 'utm' is not gk3")]
    public void BadExportOptionsExitWithTwo(string option, string value, string message)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("run.json"), """{"config":{"path":"/nowhere/region.json"}}""");
        var (code, _, stderr) = Cdx("export", dir.Path, option, value);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain(message));
        });
    }

    [Test]
    public void ExportOfAFolderWithoutARunIsAClearError()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Cdx("export", dir.Path);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("no run.json"));
        });
    }
}
