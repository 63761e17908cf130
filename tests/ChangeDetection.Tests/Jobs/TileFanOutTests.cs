using System.Diagnostics;
using ChangeDetection.Jobs;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using Hangfire;

namespace ChangeDetection.Tests.Jobs;

/// <summary>One region fanned out as one job per batch of mask tiles, joined once, on real Hangfire (SQLite).</summary>
// Runs next to other fixtures (not [NonParallelizable]): its storage is its own SQLite file, its server is given that
// storage (nothing goes through Hangfire's global JobStorage.Current), and it waits up to 60 s for jobs of seconds.
public sealed class TileFanOutTests
{
    [Test]
    public void The_join_is_claimed_once_per_ledger_and_again_by_the_same_claimant()
    {
        using var dir = new TempDir();
        using (var ledger = RunLedger.Open(dir.Path, "f", force: false))
        {
            Assert.That(ledger.Claim("join", "job:7"), Is.True);
            Assert.That(ledger.Claim("join", "job:8"), Is.False);
        }
        using var reopened = RunLedger.Open(dir.Path, "f", force: false);
        Assert.That(reopened.Claim("join", "job:7"), Is.True, "a retry of the claimant");
        Assert.That(reopened.Claim("join", "job:9"), Is.False);
    }

    [Test]
    public void A_region_already_running_in_another_job_is_skipped()
    {
        using var dir = new TempDir();
        SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 9 });
        using (var held = RegionLock.TryAcquire(dir.File("region/out")))
        {
            Assert.That(held, Is.Not.Null);
            Assert.That(RegionLock.TryAcquire(dir.File("region/out")), Is.Null, "one holder at a time");
            Assert.That(new RegionJobs().Run(dir.File("region/region.json"), CancellationToken.None), Does.Contain("skipped, another job is running this region"));
            Assert.That(File.Exists(dir.File("region/out/run.json")), Is.False);
        }
        using var again = RegionLock.TryAcquire(dir.File("region/out"));
        Assert.That(again, Is.Not.Null, "released with its holder");
    }

    /// <summary>
    /// Hangfire cancels a job's token when its server shuts down: the job stops with <see cref="OperationCanceledException"/>
    /// (Hangfire then leaves it to be picked up again), delivers nothing, and the next attempt gives a direct run's outputs.
    /// </summary>
    [Test]
    public void A_cancelled_region_job_stops_without_delivering_and_the_next_attempt_completes()
    {
        using var dir = new TempDir();
        SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 9 });
        string config = dir.File("region/region.json");
        using (var stop = new CancellationTokenSource())
        {
            stop.Cancel();
            Assert.Throws<OperationCanceledException>(() => new RegionJobs().Run(config, stop.Token));
        }
        Assert.That(File.Exists(dir.File("region/out/patches.gpkg")), Is.False, "nothing delivered by the cancelled attempt");
        string done = new RegionJobs().Run(config, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(done, Does.Contain("patches"));
            Assert.That(RunRecord.Read(dir.File("region/out/run.json")).Status, Is.EqualTo(RunRecord.Complete));
        });
    }

    [Test, Category("Slow")]
    public void Tile_batches_then_one_join_give_the_outputs_of_a_direct_run()
    {
        using var dir = new TempDir();
        // 256² at tile 64: the same 16 tiles as 512² at tile 128, a quarter of the pixels (3 tasks, two provinces).
        SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 8 });
        string regionJson = dir.File("region/region.json");
        File.WriteAllText(regionJson, File.ReadAllText(regionJson).Replace("\"tileSize\": 1024", "\"tileSize\": 64", StringComparison.Ordinal));
        var storage = (JobStorageSpec.Parse("sqlite:" + dir.File("jobs.db")) with { QueuePollInterval = TimeSpan.FromMilliseconds(200) }).Open();

        string id = TileJobs.Enqueue(new BackgroundJobClient(storage), regionJson, tilesPerJob: 5);
        var monitor = storage.GetMonitoringApi();
        using (var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = 2, ServerName = "fanout" }, storage))
        {
            // 16 tiles: fan-out, 4 batches (5+5+5+1), one join.
            var clock = Stopwatch.StartNew();
            while (monitor.SucceededListCount() < 6 && monitor.FailedCount() == 0 && clock.Elapsed < TimeSpan.FromSeconds(60))
                Thread.Sleep(100);
            // A second join would be enqueued with the first (both follow the last batch): wait until nothing is queued or
            // running, so that it has succeeded or failed by the time the counts below are read.
            while ((monitor.ProcessingCount() > 0 || monitor.EnqueuedCount("default") > 0) && clock.Elapsed < TimeSpan.FromSeconds(60))
                Thread.Sleep(50);
            Assert.That(monitor.FailedCount(), Is.Zero, () => string.Join("\n", monitor.FailedJobs(0, 5).Select(j => j.Value.ExceptionMessage)));
            server.SendStop();
        }
        var succeeded = monitor.SucceededJobs(0, 20).Select(j => j.Value.Job.Method.Name).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(succeeded.Count(m => m == nameof(TileJobs.FanOut)), Is.EqualTo(1));
            Assert.That(succeeded.Count(m => m == nameof(TileJobs.RunTiles)), Is.EqualTo(4));
            Assert.That(succeeded.Count(m => m == nameof(RegionJobs.Run)), Is.EqualTo(1), "exactly one join");
            Assert.That(monitor.EnqueuedCount("default"), Is.Zero);
            Assert.That(monitor.JobDetails(id).History[0].StateName, Is.EqualTo("Succeeded"));
        });
        Assert.That(File.ReadAllText(dir.File("region/out/run.json")), Does.Contain("\"tiles_resumed\": 16"), "the join found every tile done");

        var reference = RegionRun.Run(RegionConfig.Load(regionJson), new RegionRunOptions { Output = dir.File("direct") });
        Assert.That(RecurringScheduleTests.Deliverables(dir.File("region/out")), Is.EqualTo(RecurringScheduleTests.Deliverables(reference.OutputFolder)));
    }
}
