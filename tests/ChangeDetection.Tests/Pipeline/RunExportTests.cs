using ChangeDetection.Export;
using ChangeDetection.Pipeline;
using static ChangeDetection.Tests.Pipeline.RegionRunSample;

namespace ChangeDetection.Tests.Pipeline;

// Re-export: the packages again from run.json and run_tasks.json, without detection or the config.
[TestFixture]
public class RunExportTests
{
    /// <summary>Every file of provinces/ (packages, manifests, chips) by relative path and hash.</summary>
    private static Dictionary<string, string> Packages(string output) => Hashes(Path.Combine(output, ProvincePackage.ProvincesFolder));

    /// <summary>Runs, then takes away what a re-export must not need: the config, the ledger, the packages themselves.</summary>
    private static Dictionary<string, string> RunThenRemoveConfigLedgerAndPackages(RegionConfig config, RegionRunOptions options)
    {
        var result = RegionRun.Run(config, options);
        Assert.That(result.TasksByProvince.Values.Sum(), Is.GreaterThan(0), "the sample gives tasks");
        var delivered = Packages(result.OutputFolder);
        File.Delete(config.FilePath);
        File.Delete(Path.Combine(result.OutputFolder, ".work", "ledger.db"));
        Directory.Delete(Path.Combine(result.OutputFolder, ProvincePackage.ProvincesFolder), recursive: true);
        return delivered;
    }

    [TestCase(null, null, null)]
    [TestCase("none", null, null)]
    [TestCase(null, 0.2, null)]
    [TestCase(null, null, "gk6")]
    [TestCase("none", null, "EPSG:4490")]
    public void ReExportGivesTheRunsPackagesByteForByte(string? model, double? pseudoConfidence, string? crs)
    {
        using var dir = new TempDir();
        var config = CopyOfSample(dir);
        var options = Options(dir.File("out")) with
        {
            Model = model, PseudoConfidence = pseudoConfidence, DeliveryCrs = crs is null ? null : DeliveryCrs.Parse(crs),
        };
        var delivered = RunThenRemoveConfigLedgerAndPackages(config, options);
        string record = File.ReadAllText(dir.File("out/run.json"));

        var export = RunExport.Execute(dir.File("out"));
        Assert.Multiple(() =>
        {
            Assert.That(Packages(dir.File("out")), Is.EqualTo(delivered), "every file of provinces/, manifests and chips included");
            Assert.That(export.TasksByProvince.Values.Sum(), Is.EqualTo(ChangeDetection.Pipeline.RunRecord.Read(dir.File("out/run.json")).Counts!.Tasks));
            Assert.That(File.ReadAllText(dir.File("out/run.json")), Is.EqualTo(record), "run.json still describes the run");
            Assert.That(File.Exists(dir.File("out/patches.gpkg")) && File.Exists(dir.File("out/mask.tif")), Is.True, "an export keeps the rest of the set");
        });
    }

    [Test]
    public void ReExportOfOneProvinceRewritesItAloneWithTheRunsBytes()
    {
        using var dir = new TempDir();
        var config = CopyOfSample(dir);
        var result = RegionRun.Run(config, Options(dir.File("out")) with { Model = "none" });
        Assert.That(result.TasksByProvince, Has.Count.GreaterThanOrEqualTo(2), "the sample spans two provinces");
        var delivered = Packages(result.OutputFolder);
        string one = result.TasksByProvince.Keys.First(), other = result.TasksByProvince.Keys.Last();
        string provinces = Path.Combine(result.OutputFolder, ProvincePackage.ProvincesFolder);
        Directory.Delete(Path.Combine(provinces, ProvincePackage.FolderName(one)), recursive: true);
        File.Delete(config.FilePath);

        var export = RunExport.Execute(result.OutputFolder, new RunExportOptions { Province = one });
        Assert.Multiple(() =>
        {
            Assert.That(export.TasksByProvince.Keys, Is.EqualTo(new[] { one }));
            Assert.That(Packages(result.OutputFolder), Is.EqualTo(delivered), "the province again, the other untouched");
            Assert.That(Directory.Exists(Path.Combine(provinces, ProvincePackage.FolderName(other))), Is.True);
        });
    }

    [Test]
    public void ReExportWithAnotherCrsOrEncodingChangesOnlyWhatWasAsked()
    {
        using var dir = new TempDir();
        var result = RegionRun.Run(Config, Options(dir.File("out")) with { Model = "none" });
        string code = result.TasksByProvince.Keys.First();
        string folder = Path.Combine(result.OutputFolder, ProvincePackage.ProvincesFolder, ProvincePackage.FolderName(code));
        string prefix = ProvincePackage.Prefix(code, Config.Quarter);
        string csv = File.ReadAllText(Path.Combine(folder, prefix + "tasks.csv"));

        RunExport.Execute(result.OutputFolder, new RunExportOptions { ShapefileEncoding = DbfEncoding.Gbk, Crs = DeliveryCrs.Parse("gk6") });
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(Path.Combine(folder, prefix + "tasks.cpg")).Trim(), Is.EqualTo("GBK"));
            Assert.That(File.ReadAllText(Path.Combine(folder, prefix + "tasks.prj")), Does.Contain("CGCS2000 / Gauss-Kruger zone"), "a 6° zone");
            Assert.That(File.ReadAllText(Path.Combine(folder, prefix + "tasks.csv")), Is.Not.EqualTo(csv), "centroids in the 6° zone");
        });
    }

    [Test]
    public void RunJsonIsATypedRecordWithTheModelByHashAndEverySettingAnExportNeeds()
    {
        using var dir = new TempDir();
        var result = RegionRun.Run(Config, Options(dir.File("out")) with { PseudoConfidence = 0.7, DeliveryCrs = DeliveryCrs.Parse("gk6") });
        var record = ChangeDetection.Pipeline.RunRecord.Read(result.RunJson);
        string model = Config.Model!;
        Assert.Multiple(() =>
        {
            Assert.That(record.Status, Is.EqualTo(ChangeDetection.Pipeline.RunRecord.Complete));
            Assert.That(record.Parameters.Model, Is.EqualTo(model));
            Assert.That(record.Parameters.ModelSha256, Is.EqualTo(Sha(model)));
            Assert.That(record.Input("model")!.Sha256, Is.EqualTo(Sha(model)));
            Assert.That(record.Parameters.PseudoConfidence, Is.EqualTo(0.7));
            Assert.That(record.Parameters.DeliveryCrs, Is.EqualTo("gk6"));
            Assert.That(record.Parameters.TileSize, Is.EqualTo(128));
            Assert.That(record.Parameters.Layers!.Select(l => l.Name), Is.EqualTo(Config.Layers.Select(l => l.Name)));
            Assert.That(record.Dates, Is.EqualTo(new RunDates(Config.Before.Date, Config.After.Date)));
            Assert.That(record.Counts!.TasksByProvince, Is.EqualTo(result.TasksByProvince));
            Assert.That(record.Threshold, Is.EqualTo(result.Threshold));
            Assert.That(record.ToJson(), Is.EqualTo(File.ReadAllText(result.RunJson)), "read and written in one place, nothing lost");
        });
    }

    [Test]
    public void ExportOfAFolderWhoseLastRunStoppedExportsTheCompleteSetItHolds()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        var first = RegionRun.Run(Config, Options(output));
        var delivered = Packages(output);
        CancelAt.StopAfterMaskTiles(Config, Options(output) with { Force = true, Model = "none" }, 1);
        Assert.That(ChangeDetection.Pipeline.RunRecord.Read(Path.Combine(output, "run.json")).Status, Is.EqualTo(ChangeDetection.Pipeline.RunRecord.Running));
        Directory.Delete(Path.Combine(output, ProvincePackage.ProvincesFolder), recursive: true);

        var export = RunExport.Execute(output);
        Assert.Multiple(() =>
        {
            Assert.That(Packages(output), Is.EqualTo(delivered), "the packages of the set still in the folder");
            Assert.That(export.TasksByProvince, Is.EqualTo(first.TasksByProvince));
        });
    }

    [Test]
    public void ExportRefusesARunWhoseImagesChangedSince()
    {
        using var dir = new TempDir();
        var config = CopyOfSample(dir);
        var result = RegionRun.Run(config, Options(dir.File("out")) with { Model = "none" });
        File.SetLastWriteTimeUtc(config.After.Path, DateTime.UtcNow.AddDays(1));
        var e = Assert.Throws<ChangeDetectionException>(() => RunExport.Execute(result.OutputFolder));
        Assert.That(e!.Message, Does.StartWith(config.After.Path).And.Contain("changed since the run"));
    }
}
