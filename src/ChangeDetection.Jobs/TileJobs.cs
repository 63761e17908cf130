using System.ComponentModel;
using ChangeDetection.Pipeline;
using Hangfire;
using Hangfire.Server;

namespace ChangeDetection.Jobs;

/// <summary>
/// One region spread over many workers: <see cref="FanOut"/> prepares the run (statistics,
/// histogram) and enqueues one job per batch of mask tiles; the batch job that finds every tile
/// finished in the run ledger enqueues the join (<see cref="RegionJobs.Run"/>, which resumes with
/// every tile done and writes the outputs). The join is claimed in the ledger, so it is enqueued
/// once however many batches finish together; a retried batch re-enqueues it only if it was the
/// claimant. Needs the output folder on storage that every worker sees.
/// </summary>
public sealed class TileJobs
{
    /// <summary>Enqueues the fan-out of <paramref name="regionConfig"/> with <paramref name="tilesPerJob"/> mask tiles per job.</summary>
    public static string Enqueue(IBackgroundJobClient client, string regionConfig, int tilesPerJob)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (tilesPerJob < 1) throw new ChangeDetectionException($"--tiles-per-job {tilesPerJob}: use 1 or more.");
        string full = Path.GetFullPath(regionConfig);
        return client.Enqueue<TileJobs>(j => j.FanOut(full, tilesPerJob, null, CancellationToken.None));
    }

    [DisplayName("fan-out {0} ({1} tiles per job)")]
    [AutomaticRetry(Attempts = 3, OnAttemptsExceeded = AttemptsExceededAction.Fail, ExceptOn = [typeof(ConfigException)])]
    public int FanOut(string regionConfig, int tilesPerJob, PerformContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        int tiles;
        try
        {
            tiles = new RegionRun(RegionConfig.Load(regionConfig)).PrepareMask(cancellationToken: cancellationToken);
        }
        catch (Exception e) when (RegionJobs.AsReported(e) is { } user)
        {
            throw user;
        }
        var client = new BackgroundJobClient(context.Storage);
        for (int first = 0; first < tiles; first += tilesPerJob)
        {
            int from = first, count = Math.Min(tilesPerJob, tiles - first);
            client.Enqueue<TileJobs>(j => j.RunTiles(regionConfig, from, count, null, CancellationToken.None));
        }
        return tiles;
    }

    [DisplayName("tiles {1}+{2} of {0}")]
    [AutomaticRetry(Attempts = 3, OnAttemptsExceeded = AttemptsExceededAction.Fail, ExceptOn = [typeof(ConfigException)])]
    public string RunTiles(string regionConfig, int first, int count, PerformContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        MaskBatchResult result;
        try
        {
            result = new RegionRun(RegionConfig.Load(regionConfig)).RunMaskBatch(first, count, "job:" + context.BackgroundJob.Id, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (RegionJobs.AsReported(e) is { } user)
        {
            throw user;
        }
        if (!result.JoinClaimed) return $"{result.Finished} of {result.Tiles} tiles finished";
        string join = RegionJobs.Enqueue(new BackgroundJobClient(context.Storage), regionConfig);
        return $"all {result.Tiles} tiles finished; join job {join}";
    }
}
