using ChangeDetection.Jobs;
using ChangeDetection.Pipeline;
using static ChangeDetection.Tests.Cli.CdxRunner;
using static ChangeDetection.Tests.Pipeline.RegionRunSample;

namespace ChangeDetection.Tests.Pipeline;

// The region lock: only a lock held by another run means busy; every other failure is an error naming the folder.
[TestFixture]
public class RegionRunLockTests
{
    /// <summary>An output folder whose lock file cannot be opened (a link into a folder that does not exist), as an unwritable folder would.</summary>
    private static string BrokenLockFolder(TempDir dir)
    {
        string output = dir.File("out");
        Directory.CreateDirectory(Path.Combine(output, ".work"));
        File.CreateSymbolicLink(Path.Combine(output, ".work", RegionLock.FileName), dir.File("missing/folder/job.lock"));
        return output;
    }

    [Test]
    public void A_lock_file_that_cannot_be_opened_is_an_error_naming_the_folder_not_busy()
    {
        using var dir = new TempDir();
        string output = BrokenLockFolder(dir);
        var e = Assert.Throws<ChangeDetectionException>(() => RegionLock.TryAcquire(output));
        Assert.That(e!.Message, Does.StartWith(output).And.Contain("--out"));
    }

    [Test]
    public void A_region_job_whose_output_folder_cannot_be_written_fails_instead_of_being_skipped()
    {
        using var dir = new TempDir();
        // The region is a copy of the shared sample: the fixtures that share it run at the same time and copy it whole.
        var sample = CopyOfSample(dir);
        // A copy of the sample's config next to it (its relative paths still hold) with the output moved to the broken folder.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sample.FilePath))!;
        json["output"] = BrokenLockFolder(dir);
        string region = Path.Combine(Path.GetDirectoryName(sample.FilePath)!, $"region-{Guid.NewGuid():N}.json");
        File.WriteAllText(region, json.ToJsonString());
        Assume.That(RegionConfig.Load(region).Output, Is.EqualTo(dir.File("out")), "the config points at the broken folder");
        var e = Assert.Throws<ChangeDetectionException>(() => new RegionJobs().Run(region, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain(dir.File("out")).And.Contain(RegionLock.FileName));
    }

    [Test]
    public void A_second_cdx_run_on_a_folder_another_run_holds_is_refused_with_exit_2()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        using (var held = RegionLock.TryAcquire(output))
        {
            Assert.That(held, Is.Not.Null);
            var (code, _, stderr) = Cdx("run", Config.FilePath, "--out", output, "--tile", "128");
            Assert.Multiple(() =>
            {
                Assert.That(code, Is.EqualTo(2), stderr);
                Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
                Assert.That(stderr, Does.Contain(output).And.Contain("another run is writing this output folder"));
                Assert.That(File.Exists(Path.Combine(output, "run.json")), Is.False, "nothing written");
            });
        }
        var (after, _, err) = Cdx("run", Config.FilePath, "--out", output, "--tile", "128", "--model", "none");
        Assert.That(after, Is.Zero, err);
    }
}
