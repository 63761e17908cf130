using System.CommandLine;
using ChangeDetection.Jobs;

namespace ChangeDetection.Cli.Commands;

/// <summary>Options shared by the job commands (serve, worker, enqueue, jobs).</summary>
internal static class JobsOptions
{
    public static Option<string> Storage() => new("--storage")
    {
        Description = $"Job storage: sqlite:PATH (one machine) or postgres:CONNECTION (several workers). Default: {JobStorageSpec.Default}.",
        DefaultValueFactory = _ => JobStorageSpec.Default,
    };

    public static Option<int> Workers() => new("--workers")
    {
        Description = "Region jobs this process runs at once (each region run uses every core). Default: 1.",
        DefaultValueFactory = _ => 1,
    };

    public static Option<int> LostJobTimeout() => new("--lost-job-timeout")
    {
        Description = "Seconds after which a job whose worker died is taken by another worker (default 300; on PostgreSQL live workers keep extending it, on SQLite a longer run may be fetched again and is then skipped by the region lock).",
        DefaultValueFactory = _ => 300,
    };

    /// <summary>The storage of <paramref name="text"/> with the lost-job timeout of <paramref name="seconds"/>.</summary>
    public static JobStorageSpec Spec(string command, string? text, int seconds) =>
        seconds is >= 5 and <= 86_400
            ? JobStorageSpec.Parse(text) with { InvisibilityTimeout = TimeSpan.FromSeconds(seconds) }
            : throw Usage.Error(command, $"--lost-job-timeout {seconds}: use 5..86400 seconds.");

    public static int CheckWorkers(string command, int n) =>
        n is >= 1 and <= 64 ? n : throw Usage.Error(command, $"--workers {n}: use 1..64 region jobs at once.");
}
