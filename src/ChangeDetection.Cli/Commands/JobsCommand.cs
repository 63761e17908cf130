using System.CommandLine;
using System.Globalization;
using ChangeDetection.Jobs;
using Hangfire.Common;
using Hangfire.Storage;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx jobs [--storage S] [--count N]</c>: recent jobs and their states, from Hangfire's monitoring API.</summary>
internal static class JobsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var storage = JobsOptions.Storage();
        var count = new Option<int>("--count") { Description = "Jobs listed per state (default 10).", DefaultValueFactory = _ => 10 };
        var cmd = new Command("jobs", "List recurring schedules, servers and recent jobs with their states.") { storage, count };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            int n = r.GetValue(count);
            if (n is < 1 or > 1000) throw new ChangeDetectionException($"--count {n}: use 1..1000.");
            var spec = JobStorageSpec.Parse(r.GetValue(storage));
            Print(stdout, spec, n);
            return CdxApp.Ok;
        }));
        return cmd;
    }

    private static string Time(DateTime? t) => t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    /// <summary>What a job does, in words: "region /path/region.json", "schedule /path/schedule.json".</summary>
    internal static string Describe(Job? job) => job switch
    {
        null => "(job type no longer loadable)",
        { Type.Name: nameof(RegionJobs) } => $"region {job.Args[0]}",
        { Type.Name: nameof(ScheduleJobs) } => $"schedule {job.Args[0]}",
        { Type.Name: nameof(TileJobs), Method.Name: nameof(TileJobs.FanOut) } => $"fan-out {job.Args[0]} ({job.Args[1]} tiles per job)",
        { Type.Name: nameof(TileJobs) } => $"tiles {job.Args[1]}+{job.Args[2]} of {job.Args[0]}",
        _ => $"{job.Type.Name}.{job.Method.Name}",
    };

    private static void Print(TextWriter o, JobStorageSpec spec, int n)
    {
        var storage = spec.Open();
        var monitor = storage.GetMonitoringApi();
        var stats = monitor.GetStatistics();
        o.WriteLine($"storage {spec.Describe()}: {stats.Servers} server(s); enqueued {stats.Enqueued}, processing {stats.Processing}, scheduled {stats.Scheduled}, succeeded {stats.Succeeded}, failed {stats.Failed}");
        using (var connection = storage.GetConnection())
        {
            foreach (var rj in connection.GetRecurringJobs())
                o.WriteLine($"recurring {rj.Id}: '{rj.Cron}' ({rj.TimeZoneId}); next {Time(rj.NextExecution)}; last {Time(rj.LastExecution)} {rj.LastJobState ?? ""}".TrimEnd());
        }
        var rows = new List<(string Id, string State, DateTime? At, string What, string? Note)>();
        rows.AddRange(monitor.ProcessingJobs(0, n).Select(j => (j.Key, "Processing", j.Value.StartedAt, Describe(j.Value.Job), (string?)$"on {j.Value.ServerId}")));
        foreach (var queue in monitor.Queues())
            rows.AddRange(monitor.EnqueuedJobs(queue.Name, 0, n).Select(j => (j.Key, "Enqueued", j.Value.EnqueuedAt, Describe(j.Value.Job), (string?)null)));
        rows.AddRange(monitor.ScheduledJobs(0, n).Select(j => (j.Key, "Scheduled", (DateTime?)j.Value.EnqueueAt, Describe(j.Value.Job), (string?)null)));
        rows.AddRange(monitor.FailedJobs(0, n).Select(j => (j.Key, "Failed", j.Value.FailedAt, Describe(j.Value.Job), (string?)j.Value.ExceptionMessage)));
        rows.AddRange(monitor.SucceededJobs(0, n).Select(j => (j.Key, "Succeeded", j.Value.SucceededAt, Describe(j.Value.Job), j.Value.TotalDuration is long ms ? (string?)$"{ms / 1000.0:0.0} s" : null)));
        if (rows.Count == 0) o.WriteLine("no jobs");
        foreach (var row in rows)
            o.WriteLine($"{row.Id,6}  {row.State,-10}  {Time(row.At)}  {row.What}{(row.Note is null ? "" : "  (" + row.Note + ")")}");
    }
}
