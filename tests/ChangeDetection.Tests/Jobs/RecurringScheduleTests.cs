using System.Diagnostics;
using System.Security.Cryptography;
using ChangeDetection.Jobs;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using Hangfire;
using Hangfire.Storage;

namespace ChangeDetection.Tests.Jobs;

/// <summary>The quarterly job end to end with real Hangfire on SQLite storage in a temp folder.</summary>
// Runs next to other fixtures (not [NonParallelizable]): its storage is its own SQLite file, its server is given that
// storage (nothing goes through Hangfire's global JobStorage.Current), and it waits up to 60 s for jobs of seconds.
public sealed class RecurringScheduleTests
{
    private static JobStorage Storage(TempDir dir) =>
        (JobStorageSpec.Parse("sqlite:" + dir.File("jobs.db")) with { QueuePollInterval = TimeSpan.FromMilliseconds(200) }).Open();

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>The deliverables compared between runs: the patch layer and every province package file.</summary>
    internal static Dictionary<string, string> Deliverables(string output)
    {
        var files = new[] { Path.Combine(output, "patches.gpkg") }
            .Concat(Directory.EnumerateFiles(Path.Combine(output, "provinces"), "*", SearchOption.AllDirectories));
        return files.ToDictionary(f => Path.GetRelativePath(output, f).Replace('\\', '/'), Sha, StringComparer.Ordinal);
    }

    [Test]
    public void The_recurring_job_is_registered_with_the_schedule_cron_and_time_zone()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("r"));
        File.WriteAllText(dir.File("r/region.json"), "{}");
        File.WriteAllText(dir.File("schedule.json"), """{ "cron": "15 4 1 1,4,7,10 *", "regions": ["r/*.json"] }""");
        var storage = Storage(dir);
        var schedule = Schedule.Load(dir.File("schedule.json"));
        string id = ScheduleJobs.Register(new RecurringJobManager(storage), schedule);
        ScheduleJobs.Register(new RecurringJobManager(storage), schedule); // idempotent

        using var connection = storage.GetConnection();
        var jobs = connection.GetRecurringJobs();
        Assert.That(jobs, Has.Count.EqualTo(1));
        var job = jobs[0];
        Assert.Multiple(() =>
        {
            Assert.That(job.Id, Is.EqualTo(id));
            Assert.That(job.Cron, Is.EqualTo("15 4 1 1,4,7,10 *"));
            Assert.That(job.TimeZoneId, Is.EqualTo("Asia/Shanghai"));
            Assert.That(job.Job.Type, Is.EqualTo(typeof(ScheduleJobs)));
            Assert.That(job.Job.Args[0], Is.EqualTo(dir.File("schedule.json")));
            // Next run: 04:15 Beijing time on the first day of a quarter = 20:15 UTC the day before.
            Assert.That(job.NextExecution?.ToUniversalTime().TimeOfDay, Is.EqualTo(new TimeSpan(20, 15, 0)));
        });
    }

    [Test]
    public void A_cron_that_Hangfire_rejects_is_a_clear_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("r.json"), "{}");
        File.WriteAllText(dir.File("schedule.json"), """{ "regions": ["r.json"] }""");
        // Load refuses this cron already (ScheduleTests); a schedule built in code still meets Hangfire's check.
        var schedule = Schedule.Load(dir.File("schedule.json")) with { Cron = "99 2 1 1 *" };
        var e = Assert.Throws<ChangeDetectionException>(() => ScheduleJobs.Register(new RecurringJobManager(Storage(dir)), schedule));
        Assert.That(e!.Message, Does.Contain("\"cron\" '99 2 1 1 *'"));
    }

    [Test, Category("Slow")]
    public void Triggering_the_schedule_runs_every_region_like_a_direct_run()
    {
        using var dir = new TempDir();
        // 256² regions (2 tasks each): what is checked is that every region runs as a direct run does, not how big it is.
        SyntheticRegion.Generate(dir.File("regions/a"), new SyntheticRegionOptions { Size = 256, Seed = 3 });
        SyntheticRegion.Generate(dir.File("regions/b"), new SyntheticRegionOptions { Size = 256, Seed = 4 });
        File.WriteAllText(dir.File("schedule.json"), """{ "regions": ["regions/*/region.json"] }""");
        var storage = Storage(dir);
        var manager = new RecurringJobManager(storage);
        string id = ScheduleJobs.Register(manager, Schedule.Load(dir.File("schedule.json")));

        var serverOptions = new BackgroundJobServerOptions { WorkerCount = 2, SchedulePollingInterval = TimeSpan.FromMilliseconds(200), ServerName = "test" };
        using (var server = new BackgroundJobServer(serverOptions, storage))
        {
            manager.Trigger(id);
            var monitor = storage.GetMonitoringApi();
            var clock = Stopwatch.StartNew();
            while (monitor.SucceededListCount() < 3 && monitor.FailedCount() == 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
                Thread.Sleep(100);
            Assert.That(monitor.FailedCount(), Is.Zero, () => string.Join("\n", monitor.FailedJobs(0, 5).Select(j => j.Value.ExceptionMessage)));
            Assert.That(monitor.SucceededListCount(), Is.EqualTo(3), "the schedule job and one job per region");
            server.SendStop();
        }

        foreach (string name in new[] { "a", "b" })
        {
            string regionJson = dir.File($"regions/{name}/region.json");
            string reference = dir.File($"direct-{name}");
            RegionRun.Run(RegionConfig.Load(regionJson), new RegionRunOptions { Output = reference });
            var viaJobs = Deliverables(dir.File($"regions/{name}/out"));
            Assert.That(viaJobs, Is.Not.Empty);
            Assert.That(viaJobs, Is.EqualTo(Deliverables(reference)), name);
        }
    }
}
