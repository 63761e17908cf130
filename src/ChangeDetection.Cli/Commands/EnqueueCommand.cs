using System.CommandLine;
using ChangeDetection.Jobs;
using ChangeDetection.Pipeline;
using Hangfire;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx enqueue REGION.json [--storage S] [--tiles-per-job N]</c>: queue one region run for the workers.</summary>
internal static class EnqueueCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var region = new Argument<string>("region") { Description = "The region config (JSON)." };
        var storage = JobsOptions.Storage();
        var tilesPerJob = new Option<int?>("--tiles-per-job") { Description = "Spread the mask pass of this region over many workers: one job per N mask tiles, then one join job (default: one job for the region)." };
        var cmd = new Command("enqueue", "Queue a run of a region for the workers (cdx serve / cdx worker).") { region, storage, tilesPerJob };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            // Check the config and what it names here (as a run will), so a mistake is reported now rather than by a worker later.
            var config = RegionConfig.Load(r.GetValue(region)!);
            new RegionRun(config).Check();
            var spec = JobStorageSpec.Parse(r.GetValue(storage));
            int? perJob = r.GetValue(tilesPerJob);
            if (perJob is < 1) throw Usage.Error("enqueue", $"--tiles-per-job {perJob}: use 1 or more.");
            var client = new BackgroundJobClient(spec.Open());
            string id = perJob is int n ? TileJobs.Enqueue(client, config.FilePath, n) : RegionJobs.Enqueue(client, config.FilePath);
            stdout.WriteLine($"enqueued job {id}{(perJob is int k ? $" (fan-out, {k} mask tiles per job)" : "")}: region {config.RegionCode} {config.RegionName}, {config.Quarter} ({config.FilePath}); storage {spec.Describe()}");
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
