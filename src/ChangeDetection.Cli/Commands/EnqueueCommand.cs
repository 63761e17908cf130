using System.CommandLine;
using ChangeDetection.Jobs;
using ChangeDetection.Pipeline;
using Hangfire;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx enqueue REGION.json [--storage S]</c>: queue one region run for the workers.</summary>
internal static class EnqueueCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var region = new Argument<string>("region") { Description = "The region config (JSON)." };
        var storage = JobsOptions.Storage();
        var cmd = new Command("enqueue", "Queue a run of a region for the workers (cdx serve / cdx worker).") { region, storage };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            // Check the config here, so a typo is reported now rather than by a worker later.
            var config = RegionConfig.Load(r.GetValue(region)!);
            var spec = JobStorageSpec.Parse(r.GetValue(storage));
            string id = RegionJobs.Enqueue(new BackgroundJobClient(spec.Open()), config.FilePath);
            stdout.WriteLine($"enqueued job {id}: region {config.RegionCode} {config.RegionName}, {config.Quarter} ({config.FilePath}); storage {spec.Describe()}");
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
