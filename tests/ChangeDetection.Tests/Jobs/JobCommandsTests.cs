using ChangeDetection.Synthetic;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Jobs;

/// <summary><c>cdx enqueue</c>, <c>cdx jobs</c> and the argument checks of <c>cdx serve</c> / <c>cdx worker</c>.</summary>
// Runs next to other fixtures (not [NonParallelizable]): no server, each test's storage is its own SQLite file.
public sealed class JobCommandsTests
{
    [Test]
    public void Enqueue_then_jobs_lists_the_region_as_enqueued()
    {
        using var dir = new TempDir();
        SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 2 });
        string storage = "sqlite:" + dir.File("jobs.db");
        var (code, stdout, stderr) = Cdx("enqueue", dir.File("region/region.json"), "--storage", storage);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.StartWith("enqueued job ").And.Contain("2026Q3"));

        (code, stdout, stderr) = Cdx("jobs", "--storage", storage);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("enqueued 1").And.Contain("Enqueued").And.Contain("region " + dir.File("region/region.json")));
    }

    [Test]
    public void Enqueue_with_tiles_per_job_queues_a_fan_out()
    {
        using var dir = new TempDir();
        SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 2 });
        string storage = "sqlite:" + dir.File("jobs.db");
        var (code, stdout, stderr) = Cdx("enqueue", dir.File("region/region.json"), "--storage", storage, "--tiles-per-job", "4");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("(fan-out, 4 mask tiles per job)"));
        (_, stdout, _) = Cdx("jobs", "--storage", storage);
        Assert.That(stdout, Does.Contain("fan-out " + dir.File("region/region.json") + " (4 tiles per job)"));
        (code, _, stderr) = Cdx("enqueue", dir.File("region/region.json"), "--storage", storage, "--tiles-per-job", "0");
        Assert.That((code, stderr.Trim()), Is.EqualTo((2, "cdx: --tiles-per-job 0: use 1 or more. (see 'cdx enqueue --help')")));
    }

    [Test]
    public void Jobs_on_an_empty_storage_says_so()
    {
        using var dir = new TempDir();
        var (code, stdout, _) = Cdx("jobs", "--storage", "sqlite:" + dir.File("jobs.db"));
        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Contain("0 server(s)").And.Contain("no jobs"));
    }

    [Test]
    public void Enqueue_checks_the_region_config_first()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Cdx("enqueue", dir.File("missing.json"), "--storage", "sqlite:" + dir.File("jobs.db"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("cdx: ").And.Contain("region config not found"));
        Assert.That(File.Exists(dir.File("jobs.db")), Is.False);
    }

    [TestCase("jobs", "--storage", "redis:x", "unknown storage 'redis'")]
    [TestCase("worker", "--storage", "postgres:", "no connection string")]
    [TestCase("worker", "--workers", "0", "--workers 0")]
    public void Bad_options_are_one_line_errors(string command, string option, string value, string expected)
    {
        var (code, _, stderr) = Cdx(command, option, value);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr.Trim(), Does.StartWith("cdx: ").And.Contain(expected));
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void Serve_refuses_a_public_address_without_a_token()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("r.json"), "{}");
        File.WriteAllText(dir.File("schedule.json"), """{ "regions": ["r.json"] }""");
        var (code, _, stderr) = Cdx("serve", "--schedule", dir.File("schedule.json"), "--storage", "sqlite:" + dir.File("jobs.db"), "--urls", "http://0.0.0.0:5080");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("refusing to serve the job dashboard beyond this machine without credentials"));
    }

    [Test]
    public void Serve_reports_a_bad_schedule()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("schedule.json"), """{ "regions": ["nowhere/*/region.json"] }""");
        var (code, _, stderr) = Cdx("serve", "--schedule", dir.File("schedule.json"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("matches no file"));
    }
}
