using System.CommandLine;
using ChangeDetection.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx serve --schedule SCHEDULE.json [--storage S] [--urls URL[,URL]] [--token T] [--workers N] [--lost-job-timeout S]</c>.</summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var schedule = new Option<string>("--schedule") { Description = "The schedule file (cron, time zone, region configs).", Required = true };
        var storage = JobsOptions.Storage();
        var urls = new Option<string>("--urls") { Description = $"Dashboard addresses, comma-separated (default {JobsHostOptions.DefaultUrl}, loopback only).", DefaultValueFactory = _ => JobsHostOptions.DefaultUrl };
        var token = new Option<string?>("--token") { Description = $"Dashboard credential, required off loopback (prefer the {JobsHostOptions.TokenVariable} variable)." };
        var workers = JobsOptions.Workers();
        var lostJobTimeout = JobsOptions.LostJobTimeout();
        var cmd = new Command("serve", "Register the quarterly job of a schedule and run jobs, with the dashboard at /hangfire.") { schedule, storage, urls, token, workers, lostJobTimeout };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            // Option values before the schedule file: a usage error comes first.
            var spec = JobsOptions.Spec("serve", r.GetValue(storage), r.GetValue(lostJobTimeout));
            int workerCount = JobsOptions.CheckWorkers("serve", r.GetValue(workers));
            var s = Schedule.Load(r.GetValue(schedule)!);
            var options = new JobsHostOptions
            {
                Storage = spec,
                Schedule = s,
                Urls = r.GetValue(urls)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Token = r.GetValue(token) ?? Environment.GetEnvironmentVariable(JobsHostOptions.TokenVariable),
                WorkerCount = workerCount,
            };
            using var app = JobsHost.BuildServe(options);
            app.Start();
            stdout.WriteLine($"cdx serve: schedule {s.FilePath}: '{s.Cron}' ({s.TimeZoneId}), {s.RegionFiles().Count} region(s)");
            stdout.WriteLine($"  storage {spec.Describe()}; {options.WorkerCount} region job(s) at once");
            foreach (var url in app.Urls) stdout.WriteLine($"  dashboard {url.TrimEnd('/')}{JobsHostOptions.DashboardPath}");
            stdout.WriteLine("  Ctrl+C to stop");
            stdout.Flush();
            app.WaitForShutdown();
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
