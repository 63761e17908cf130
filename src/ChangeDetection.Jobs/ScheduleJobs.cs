using System.ComponentModel;
using Hangfire;
using Hangfire.Server;

namespace ChangeDetection.Jobs;

/// <summary>
/// The quarterly recurring job of a schedule: when it fires it re-reads the schedule, expands the
/// region patterns and enqueues one <see cref="RegionJobs"/> job per region, so regions run in
/// parallel on every worker attached to the storage.
/// </summary>
public sealed class ScheduleJobs
{
    /// <summary>The recurring job id of a schedule file.</summary>
    public static string RecurringJobId(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return "schedule:" + schedule.FilePath;
    }

    /// <summary>Registers (or updates) the recurring job of <paramref name="schedule"/> with its cron and time zone.</summary>
    /// <exception cref="ChangeDetectionException">Hangfire rejects the cron expression.</exception>
    public static string Register(IRecurringJobManager manager, Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(schedule);
        string id = RecurringJobId(schedule);
        string file = schedule.FilePath;
        try
        {
            manager.AddOrUpdate<ScheduleJobs>(id, j => j.Expand(file, null), schedule.Cron, new RecurringJobOptions { TimeZone = schedule.TimeZone });
        }
        catch (ArgumentException e)
        {
            throw new ChangeDetectionException($"{file}: \"cron\" '{schedule.Cron}' is not accepted by the scheduler ({e.Message}).", e);
        }
        return id;
    }

    /// <summary>Expands the schedule and enqueues one region job per region config; returns their job ids.</summary>
    [DisplayName("schedule {0}")]
    [AutomaticRetry(Attempts = 0)]
    public IReadOnlyList<string> Expand(string scheduleFile, PerformContext? context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var schedule = Schedule.Load(scheduleFile);
        var client = new BackgroundJobClient(context.Storage);
        return [.. schedule.RegionFiles().Select(r => RegionJobs.Enqueue(client, r))];
    }
}
