using System.Diagnostics;
using ChangeDetection.Jobs;
using ChangeDetection.Synthetic;
using Hangfire;
using Hangfire.States;

namespace ChangeDetection.Tests.Jobs;

/// <summary>A region job whose config is wrong fails at once, before raster work, and is not retried.</summary>
// Runs next to other fixtures (not [NonParallelizable]): its storage is its own SQLite file, it sets nothing process-wide,
// and it waits up to 30 s for a job that fails at once.
public sealed class ConfigErrorJobTests
{
    [Test]
    public void AConfigErrorFailsTheRegionJobAtOnceWithoutRetries()
    {
        using var dir = new TempDir();
        var region = SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 2, Workers = 1 });
        // A layer file broken after the config was written (enqueue checked it, the worker finds it broken).
        File.WriteAllText(region.PermanentFarmlandFile, "{ \"type\": \"FeatureCollection\", \"features\": [");
        var storage = (JobStorageSpec.Parse("sqlite:" + dir.File("jobs.db")) with { QueuePollInterval = TimeSpan.FromMilliseconds(200) }).Open();
        string id = RegionJobs.Enqueue(new BackgroundJobClient(storage), region.RegionFile);

        var options = new BackgroundJobServerOptions { WorkerCount = 1, SchedulePollingInterval = TimeSpan.FromMilliseconds(200), ServerName = "config-error-test" };
        string? state;
        using (var server = new BackgroundJobServer(options, storage))
        {
            using var connection = storage.GetConnection();
            var clock = Stopwatch.StartNew();
            // A retried job goes Failed → Scheduled (delayed retry) instead; it would never settle in Failed here.
            while ((state = connection.GetStateData(id)?.Name) != FailedState.StateName && clock.Elapsed < TimeSpan.FromSeconds(30))
                Thread.Sleep(100);
            server.SendStop();
        }
        using var c = storage.GetConnection();
        var failed = storage.GetMonitoringApi().FailedJobs(0, 1).Single().Value;
        Assert.Multiple(() =>
        {
            Assert.That(state, Is.EqualTo(FailedState.StateName));
            Assert.That(c.GetJobParameter(id, "RetryCount"), Is.Null, "no retry was scheduled");
            Assert.That(failed.ExceptionType, Does.Contain(nameof(ConfigException)));
            Assert.That(failed.ExceptionMessage, Does.Contain(region.PermanentFarmlandFile));
            Assert.That(File.Exists(Path.Combine(region.Directory, "out", ".work", "ledger.db")), Is.False, "no raster work was done");
        });
    }
}
