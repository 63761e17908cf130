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
            Assert.That(exportOut, Does.Contain($"province {province}: "));
            Assert.That(File.ReadAllText(Path.Combine(folder, prefix + "tasks.cpg")).Trim(), Is.EqualTo("GBK"));
            Assert.That(File.ReadAllText(Path.Combine(folder, prefix + "tasks.prj")), Does.Contain("CGCS2000 / Gauss-Kruger zone"), "--crs gk6: a 6° zone");
        });
    }

    /// <summary>Every option of <c>cdx run</c> that shapes the tasks or the packages, then an export with the config gone: the run's bytes.</summary>
    [Test]
    public void ExportAfterARunWithOptionsGivesItsPackagesWithoutTheConfig()
    {
        using var dir = new TempDir();
        var sample = SyntheticRegion.Generate(dir.Path, new SyntheticRegionOptions { Size = 512, Seed = 5 });
        string output = dir.File("out");
        var (code, _, stderr) = Cdx("run", sample.RegionFile, "--out", output, "--tile", "128", "--threshold", "p97", "--pseudo-confidence", "0.3", "--crs", "gk6");
        Assert.That(code, Is.Zero, stderr);
        string provinces = Path.Combine(output, ProvincePackage.ProvincesFolder);
        var delivered = Files(provinces);
        Assert.That(delivered, Is.Not.Empty);
        File.Delete(sample.RegionFile);
        Directory.Delete(provinces, recursive: true);

        var (exportCode, exportOut, exportErr) = Cdx("export", output);
        Assert.Multiple(() =>
        {
            Assert.That(exportCode, Is.Zero, exportErr);
            Assert.That(exportOut, Does.Contain("exported"));
            Assert.That(Files(provinces), Is.EqualTo(delivered));
        });
    }

    /// <summary><c>cdx demo</c> records its model in region.json: <c>cdx run</c> of it gives the demo's tasks in the demo's folder, and its export the demo's packages.</summary>
    [Test]
    public void TheDemosConfigReproducesTheDemoAndItsRunExports()
    {
        using var dir = new TempDir();
        string demo = dir.File("demo");
        using var o = new StringWriter();
        using var e = new StringWriter();
        Assert.That(ChangeDetection.Cli.CdxApp.Run(["demo", "--out", demo, "--size", "512", "--seed", "5", "--model", "none"], o, e), Is.Zero, e.ToString());
        string output = Path.Combine(demo, "out"), provinces = Path.Combine(output, ProvincePackage.ProvincesFolder);
        var demoPackages = Files(provinces);
        string demoTasks = File.ReadAllText(Path.Combine(output, RunTasks.FileName));
        Assert.That(RegionConfig.Load(Path.Combine(demo, "region.json")).Model, Is.Null, "region.json says \"model\": \"none\"");

        Directory.Delete(provinces, recursive: true);
        var (exportCode, _, exportErr) = Cdx("export", output);
        Assert.Multiple(() =>
        {
            Assert.That(exportCode, Is.Zero, exportErr);
            Assert.That(Files(provinces), Is.EqualTo(demoPackages), "export of the demo's run");
        });

        var (runCode, _, runErr) = Cdx("run", Path.Combine(demo, "region.json"));
        Assert.Multiple(() =>
        {
            Assert.That(runCode, Is.Zero, runErr);
            Assert.That(File.ReadAllText(Path.Combine(output, RunTasks.FileName)), Is.EqualTo(demoTasks), "the demo's tasks");
            Assert.That(Files(provinces), Is.EqualTo(demoPackages));
        });
    }

    private static Dictionary<string, string> Files(string folder) => Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
        .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

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
