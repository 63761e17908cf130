using System.Diagnostics;
using System.Text.Json;
using ChangeDetection.Pipeline;
using static ChangeDetection.Tests.Pipeline.RegionRunSample;

namespace ChangeDetection.Tests.Pipeline;

// The deliverable set: staged and swapped in whole, run.json "running" while it is replaced, leftovers of killed runs cleaned.
[TestFixture]
public class RegionRunDeliveryTests
{
    private static JsonElement RunRecord(string output)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "run.json")));
        return doc.RootElement.Clone();
    }

    /// <summary>The deliverable set by relative path and hash (patches, features, mask, provinces/), run.json and the scratch folder .work aside.</summary>
    internal static Dictionary<string, string> DeliveredSet(string output) =>
        Directory.GetFiles(output, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(output, f))
            .Where(f => !f.StartsWith(".work", StringComparison.Ordinal) && f != "run.json")
            .ToDictionary(f => f, f => Sha(Path.Combine(output, f)));

    [Test]
    public void A_forced_rerun_leaves_no_province_folder_or_file_of_the_earlier_run()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        RegionRun.Run(Config, Options(output));
        // What an earlier run over other inputs could have left: a province (99) this run has no task in.
        Directory.CreateDirectory(Path.Combine(output, "provinces", "99"));
        File.WriteAllText(Path.Combine(output, "provinces", "99", "manifest.json"), """{"Province":"99","TaskCount":1,"Files":[]}""");
        var forced = RegionRun.Run(Config, Options(output) with { Force = true, WriteMask = false, Model = "none" });
        Assert.Multiple(() =>
        {
            Assert.That(Directory.Exists(Path.Combine(output, "provinces", "99")), Is.False, "stale province 99");
            Assert.That(Directory.GetDirectories(Path.Combine(output, "provinces")).Select(Path.GetFileName),
                Is.EquivalentTo(forced.TasksByProvince.Keys.Select(ChangeDetection.Export.ProvincePackage.FolderName)), "the provinces of run.json, no others");
            Assert.That(File.Exists(Path.Combine(output, "mask.tif")), Is.True, "a mask already there is refreshed, never left from another run");
            Assert.That(RunRecord(output).GetProperty("status").GetString(), Is.EqualTo("complete"));
        });
    }

    [Test]
    public void A_failed_rerun_leaves_the_previous_set_whole_and_run_json_says_running()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        var first = RegionRun.Run(Config, Options(output));
        var before = DeliveredSet(output);
        CancelAt.StopAfterMaskTiles(Config, Options(output) with { Force = true, Model = "none" }, 2);
        var record = RunRecord(output);
        Assert.Multiple(() =>
        {
            Assert.That(DeliveredSet(output), Is.EqualTo(before), "the previous set, untouched");
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("running"));
            Assert.That(record.GetProperty("config").GetProperty("path").GetString(), Is.EqualTo(Config.FilePath), "what cdx export needs");
            var previous = record.GetProperty("previous");
            Assert.That(previous.GetProperty("status").GetString(), Is.EqualTo("complete"));
            Assert.That(previous.GetProperty("counts").GetProperty("patches").GetInt32(), Is.EqualTo(first.Patches), "the record of the set still in the folder");
        });
    }

    [Test]
    public void Leftovers_of_killed_runs_are_removed_at_the_next_start()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        string[] leftovers =
        [
            Path.Combine(output, "patches.gpkg.partial-999999"),
            Path.Combine(output, "mask.tif.partial"),
            Path.Combine(output, ".work", "mask.tif.partial-999999"),
            Path.Combine(output, "provinces", "32.partial-999999", "tasks.csv"),
            Path.Combine(output, "provinces", "32.old-999999", "tasks.csv"),
            Path.Combine(output, ".work", "delivery.partial-999999", "patches.gpkg"),
        ];
        foreach (var f in leftovers)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(f)!);
            File.WriteAllText(f, "left by a killed run");
        }
        RegionRun.Run(Config, Options(output) with { Model = "none" });
        var remaining = Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories)
            .Where(e => e.Contains(".partial", StringComparison.Ordinal) || e.Contains(".old-", StringComparison.Ordinal) || e.Contains("delivery.", StringComparison.Ordinal));
        Assert.That(remaining, Is.Empty);
    }

    /// <summary>kill -9 of a --force re-run while it writes the deliverables: the old set stays whole; the run then resumes to the bytes of a clean run.</summary>
    [Test]
    [Category("Slow")]
    public void A_rerun_killed_during_export_leaves_the_old_complete_set_and_resumes_to_identical_bytes()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        RegionRun.Run(Config, Options(output));
        var old = DeliveredSet(output);
        string oldRecord = File.ReadAllText(Path.Combine(output, "run.json"));

        bool killedInExport;
        using (var child = StartCdx("run", Config.FilePath, "--out", output, "--tile", "128", "--workers", "2", "--write-mask", "--force", "--model", "none"))
        {
            string staging = Path.Combine(output, ".work", $"delivery.partial-{child.Id}");
            var clock = Stopwatch.StartNew();
            // Kill once the staged set holds its first province package: the export stage is well under way.
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120) && !Directory.Exists(Path.Combine(staging, "provinces"))) Thread.Sleep(5);
            killedInExport = !child.HasExited;
            if (killedInExport) child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        Assert.That(killedInExport, Is.True, "the child was killed during its export");
        Assert.Multiple(() =>
        {
            Assert.That(DeliveredSet(output), Is.EqualTo(old), "the old complete set, whole");
            var record = RunRecord(output);
            Assert.That(record.GetProperty("status").GetString(), Is.EqualTo("running"), "run.json does not claim a complete new set");
            Assert.That(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(record.GetProperty("previous").GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(oldRecord)), Is.True, "the old record is kept whole");
        });

        var resumed = RegionRun.Run(Config, Options(output) with { Model = "none" });
        var reference = CleanRunWithoutModel;
        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.EqualTo(resumed.Tiles), "the killed run had finished every tile");
            Assert.That(DeliveredSet(output), Is.EqualTo(DeliveredSet(reference.OutputFolder)));
            Assert.That(Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories).Where(e => e.Contains(".partial", StringComparison.Ordinal)), Is.Empty);
        });
    }

    /// <summary>A tile that went bad on disk after pass 1, found by the parallel mask pass of a resumed run.</summary>
    [Test]
    public void A_corrupt_block_found_mid_run_by_the_parallel_mask_pass_is_one_line_exit_2_naming_the_file()
    {
        using var dir = new TempDir();
        var config = CopyOfSample(dir);
        string output = dir.File("out");
        CancelAt.StopAfterMaskTiles(config, Options(output, workers: 1) with { Model = "none" }, 1);
        ChangeDetection.Tests.Raster.CorruptTiles.BreakLastTile(config.After.Path);

        var thrown = Assert.Catch(() => RegionRun.Run(config, Options(output) with { Model = "none" }));
        Assert.That(thrown, Is.TypeOf<AggregateException>(), "found inside a parallel loop");
        var (code, _, stderr) = ChangeDetection.Tests.Cli.CdxRunner.Cdx("run", config.FilePath, "--out", output, "--tile", "128", "--model", "none");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), stderr);
            var errors = stderr.Split('\n').Where(l => l.StartsWith("cdx:", StringComparison.Ordinal)).ToList();
            Assert.That(errors, Has.Count.EqualTo(1), stderr);
            Assert.That(errors[0], Does.Contain(config.After.Path).And.Contain("corrupt"));
        });
    }

    [Test]
    public void A_rerun_that_fills_the_disk_during_export_is_exit_2_and_leaves_the_old_set_whole()
    {
        using var fs = SmallFileSystem.MountOrIgnore(16 * 1024);
        string output = fs.File("out");
        var first = ChangeDetection.Tests.Cli.CdxRunner.Cdx("run", Config.FilePath, "--out", output, "--tile", "128");
        Assert.That(first.Code, Is.Zero, first.Err);
        var old = DeliveredSet(output);
        string oldRecord = File.ReadAllText(Path.Combine(output, "run.json"));
        // No room for a new set of packages.
        fs.Fill(leaveBytes: 64 * 1024);
        var (code, _, stderr) = ChangeDetection.Tests.Cli.CdxRunner.Cdx("export", output);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), stderr);
            var errors = stderr.Split('\n').Where(l => l.StartsWith("cdx:", StringComparison.Ordinal)).ToList();
            Assert.That(errors, Has.Count.EqualTo(1), stderr);
            Assert.That(errors[0], Does.Contain("full").Or.Contain("no space"));
            Assert.That(DeliveredSet(output), Is.EqualTo(old), "the old set, whole");
            Assert.That(File.ReadAllText(Path.Combine(output, "run.json")), Is.EqualTo(oldRecord), "an export leaves the run's record as it was");
            Assert.That(Directory.GetDirectories(Path.Combine(output, ".work")).Where(d => d.Contains("delivery", StringComparison.Ordinal)), Is.Empty, "the staged set is thrown away");
        });
    }
}
