using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ChangeDetection.Jobs;
using Hangfire.Common;
using Hangfire.Storage;
using Hangfire.Storage.Monitoring;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx jobs [--storage S] [--count N] [--json]</c>: recent jobs and their states, from Hangfire's monitoring API.</summary>
internal static class JobsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var storage = JobsOptions.Storage();
        var count = new Option<int>("--count") { Description = "Jobs listed per state (default 10).", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var cmd = new Command("jobs", "List recurring schedules, servers and recent jobs with their states.") { storage, count, json };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            int n = r.GetValue(count);
            if (n is < 1 or > 1000) throw Usage.Error("jobs", $"--count {n}: use 1..1000.");
            var spec = JobStorageSpec.Parse(r.GetValue(storage));
            var listing = Read(spec, n);
            if (r.GetValue(json)) JsonOutput.Write(stdout, Json(listing));
            else Print(stdout, listing);
            return CdxApp.Ok;
        }));
        return cmd;
    }

    /// <summary>One job line: its id, state, when it entered the state (UTC), what it does and a note (server, error, duration).</summary>
    private sealed record JobRow(string Id, string State, DateTime? At, string What, string? Note);

    /// <summary>What the command reports: storage statistics, recurring schedules and recent jobs.</summary>
    private sealed record Listing(string Storage, StatisticsDto Stats, IReadOnlyList<RecurringJobDto> Recurring, IReadOnlyList<JobRow> Jobs);

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

    private static Listing Read(JobStorageSpec spec, int n)
    {
        var storage = spec.Open();
        var monitor = storage.GetMonitoringApi();
        var stats = monitor.GetStatistics();
        List<RecurringJobDto> recurring;
        using (var connection = storage.GetConnection()) recurring = connection.GetRecurringJobs();
        var rows = new List<JobRow>();
        rows.AddRange(monitor.ProcessingJobs(0, n).Select(j => new JobRow(j.Key, "Processing", j.Value.StartedAt, Describe(j.Value.Job), $"on {j.Value.ServerId}")));
        foreach (var queue in monitor.Queues())
            rows.AddRange(monitor.EnqueuedJobs(queue.Name, 0, n).Select(j => new JobRow(j.Key, "Enqueued", j.Value.EnqueuedAt, Describe(j.Value.Job), null)));
        rows.AddRange(monitor.ScheduledJobs(0, n).Select(j => new JobRow(j.Key, "Scheduled", j.Value.EnqueueAt, Describe(j.Value.Job), null)));
        rows.AddRange(monitor.FailedJobs(0, n).Select(j => new JobRow(j.Key, "Failed", j.Value.FailedAt, Describe(j.Value.Job), j.Value.ExceptionMessage)));
        rows.AddRange(monitor.SucceededJobs(0, n).Select(j => new JobRow(j.Key, "Succeeded", j.Value.SucceededAt, Describe(j.Value.Job), j.Value.TotalDuration is long ms ? $"{ms / 1000.0:0.0} s" : null)));
        return new Listing(spec.Describe(), stats, recurring, rows);
    }

    private static void Print(TextWriter o, Listing l)
    {
        var stats = l.Stats;
        o.WriteLine($"storage {l.Storage}: {stats.Servers} server(s); enqueued {stats.Enqueued}, processing {stats.Processing}, scheduled {stats.Scheduled}, succeeded {stats.Succeeded}, failed {stats.Failed}");
        foreach (var rj in l.Recurring)
            o.WriteLine($"recurring {rj.Id}: '{rj.Cron}' ({rj.TimeZoneId}); next {Time(rj.NextExecution)}; last {Time(rj.LastExecution)} {rj.LastJobState ?? ""}".TrimEnd());
        if (l.Jobs.Count == 0) o.WriteLine("no jobs");
        foreach (var row in l.Jobs)
            o.WriteLine($"{row.Id,6}  {row.State,-10}  {Time(row.At)}  {row.What}{(row.Note is null ? "" : "  (" + row.Note + ")")}");
    }

    /// <summary>The <c>--json</c> object: the same figures as the text, times as ISO 8601 UTC (null when unknown).</summary>
    private static JsonObject Json(Listing l) => new()
    {
        ["storage"] = l.Storage,
        ["servers"] = l.Stats.Servers,
        ["enqueued"] = l.Stats.Enqueued,
        ["processing"] = l.Stats.Processing,
        ["scheduled"] = l.Stats.Scheduled,
        ["succeeded"] = l.Stats.Succeeded,
        ["failed"] = l.Stats.Failed,
        ["recurring"] = new JsonArray(l.Recurring.Select(rj => (JsonNode?)new JsonObject
        {
            ["id"] = rj.Id, ["cron"] = rj.Cron, ["time_zone"] = rj.TimeZoneId,
            ["next"] = JsonOutput.Time(rj.NextExecution), ["last"] = JsonOutput.Time(rj.LastExecution), ["last_state"] = rj.LastJobState,
        }).ToArray()),
        ["jobs"] = new JsonArray(l.Jobs.Select(j => (JsonNode?)new JsonObject
        {
            ["id"] = j.Id, ["state"] = j.State, ["at"] = JsonOutput.Time(j.At), ["what"] = j.What, ["note"] = j.Note,
        }).ToArray()),
    };
}
