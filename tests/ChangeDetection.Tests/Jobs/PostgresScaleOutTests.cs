using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using System.Text;
using ChangeDetection.Jobs;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using Hangfire;
using Hangfire.Storage;
using Npgsql;

namespace ChangeDetection.Tests.Jobs;

/// <summary>
/// Scale-out on PostgreSQL with real <c>cdx worker</c> processes: the worker running a region is
/// killed with SIGKILL, another worker takes the job over and the run resumes from its ledger to the
/// same outputs as a direct run. Needs a PostgreSQL server: set <c>CDX_TEST_POSTGRES</c> to an admin
/// connection string (e.g. <c>Host=127.0.0.1;Username=postgres;Password=postgres</c>); the test
/// creates and drops its own database. Without it the test is skipped.
/// </summary>
[Category("Slow")]
[Category("PostgreSQL")]
// Runs next to other fixtures (not [NonParallelizable]): its database and worker processes are its own, it sets nothing
// process-wide, and its waits (20 to 60 s) are for steps that take seconds; most of its time is the workers' start and
// the lost-job timeout, wall-clock waits during which the other fixture of the pair uses the cores.
public sealed class PostgresScaleOutTests
{
    public const string Variable = "CDX_TEST_POSTGRES";

    private sealed class Worker(Process process, StringBuilder log) : IDisposable
    {
        public Process Process { get; } = process;
        public string Log { get { lock (log) return log.ToString(); } }

        public void Dispose()
        {
            try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            Process.WaitForExit(5000);
            Process.Dispose();
        }
    }

    private static Worker StartWorker(string storage)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "cdx"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "worker", "--storage", storage, "--workers", "1", "--lost-job-timeout", "10" }) info.ArgumentList.Add(a);
        var log = new StringBuilder();
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new Worker(p, log);
    }

    private static long MaskTilesDone(string ledger)
    {
        if (!File.Exists(ledger)) return 0;
        try
        {
            using var c = new SqliteConnection($"Data Source={ledger};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM results WHERE stage = 'mask'";
            return (long)cmd.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0; // not created yet
        }
    }

    private static void Execute(string connection, string sql)
    {
        using var c = new NpgsqlConnection(connection);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    [Test]
    public void A_killed_worker_s_region_is_finished_by_another_worker_with_the_same_outputs()
    {
        string? admin = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(admin)) Assert.Ignore($"set {Variable} to a PostgreSQL admin connection string to run this test");
        string database = "cdx_test_" + Guid.NewGuid().ToString("N")[..12];
        Execute(admin, $"CREATE DATABASE {database}");
        try
        {
            using var dir = new TempDir();
            SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 512, Seed = 21 });
            string regionJson = dir.File("region/region.json");
            File.WriteAllText(regionJson, File.ReadAllText(regionJson).Replace("\"tileSize\": 1024", "\"tileSize\": 64", StringComparison.Ordinal));

            string connection = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
            var spec = JobStorageSpec.Parse("postgres:" + connection) with { QueuePollInterval = TimeSpan.FromMilliseconds(200), InvisibilityTimeout = TimeSpan.FromSeconds(10) };
            var storage = spec.Open(); // creates the schema before the workers start
            using var first = StartWorker("postgres:" + connection);
            using var second = StartWorker("postgres:" + connection);
            var monitor = storage.GetMonitoringApi();
            var clock = Stopwatch.StartNew();
            while (monitor.Servers().Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(100);
            Assert.That(monitor.Servers(), Has.Count.EqualTo(2), () => first.Log + second.Log);

            string id = RegionJobs.Enqueue(new BackgroundJobClient(storage), regionJson);
            string? server = null;
            while (server is null && clock.Elapsed < TimeSpan.FromSeconds(40))
            {
                server = monitor.ProcessingJobs(0, 10).Where(j => j.Key == id).Select(j => j.Value.ServerId).FirstOrDefault();
                Thread.Sleep(50);
            }
            Assert.That(server, Is.Not.Null, "the job never started");
            var victim = new[] { first, second }.Single(w => server!.Contains($":{w.Process.Id}:", StringComparison.Ordinal));
            // Into the mask pass: some tiles finished (in the ledger), others not.
            string ledger = dir.File("region/out/.work/ledger.db");
            while (MaskTilesDone(ledger) < 6 && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
            victim.Process.Kill(); // SIGKILL: no shutdown, no state change
            victim.Process.WaitForExit();

            string? state = null;
            clock.Restart();
            while (state is not ("Succeeded" or "Failed") && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                Thread.Sleep(200);
                state = monitor.JobDetails(id).History.FirstOrDefault()?.StateName;
            }
            var survivor = first == victim ? second : first;
            Assert.That(state, Is.EqualTo("Succeeded"), () => survivor.Log);
            var processing = monitor.JobDetails(id).History.Where(h => h.StateName == "Processing").Select(h => h.Data["ServerId"]).ToList();
            Assert.That(processing[0], Does.Contain($":{survivor.Process.Id}:"), "the last processing was on the surviving worker");

            var resumed = Regex.Match(File.ReadAllText(dir.File("region/out/run.json")), "\"tiles_resumed\": (\\d+)");
            Assert.That(int.Parse(resumed.Groups[1].Value, CultureInfo.InvariantCulture), Is.InRange(6, 63), "the second worker resumed the tiles the first had finished");
            var reference = RegionRun.Run(RegionConfig.Load(regionJson), new RegionRunOptions { Output = dir.File("direct") });
            Assert.That(RecurringScheduleTests.Deliverables(dir.File("region/out")), Is.EqualTo(RecurringScheduleTests.Deliverables(reference.OutputFolder)));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Execute(admin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }
}
