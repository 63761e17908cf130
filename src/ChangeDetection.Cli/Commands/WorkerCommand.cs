using System.CommandLine;
using ChangeDetection.Jobs;
using Microsoft.Extensions.Hosting;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx worker [--storage S] [--workers N] [--lost-job-timeout S]</c>: runs jobs from the storage, no dashboard.</summary>
internal static class WorkerCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var storage = JobsOptions.Storage();
        var workers = JobsOptions.Workers();
        var lostJobTimeout = JobsOptions.LostJobTimeout();
        var cmd = new Command("worker", "Run region jobs from the job storage (start several against one PostgreSQL to scale out).") { storage, workers, lostJobTimeout };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var spec = JobsOptions.Spec("worker", r.GetValue(storage), r.GetValue(lostJobTimeout));
            var options = new JobsHostOptions { Storage = spec, WorkerCount = JobsOptions.CheckWorkers("worker", r.GetValue(workers)) };
            using var host = JobsHost.BuildWorker(options);
            host.Start();
            stdout.WriteLine($"cdx worker {options.ServerName}: storage {spec.Describe()}; {options.WorkerCount} region job(s) at once; Ctrl+C to stop");
            stdout.Flush();
            host.WaitForShutdown();
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
