using System.ComponentModel;
using ChangeDetection;
using ChangeDetection.Pipeline;
using Hangfire;

namespace ChangeDetection.Jobs;

/// <summary>
/// The Hangfire job that runs one region and quarter: the same code path as <c>cdx run</c>. The run
/// resumes from its ledger (<c>&lt;output&gt;/.work/ledger.db</c>), so a retried job redoes only
/// the unfinished tiles and ends with the same outputs. A <see cref="ConfigException"/> (found by the
/// check a run makes before its raster work) fails the job at once: retrying cannot fix a config.
/// Every job method takes the <see cref="CancellationToken"/> Hangfire passes in (cancelled when the server shuts
/// down or the job is deleted): the tiles in flight are recorded and the job stops, to resume where it stopped.
/// </summary>
public sealed class RegionJobs
{
    /// <summary>Runs (or resumes) the region of <paramref name="regionConfig"/> (an absolute path to its region.json).</summary>
    [DisplayName("region {0}")]
    [AutomaticRetry(Attempts = 3, OnAttemptsExceeded = AttemptsExceededAction.Fail, ExceptOn = [typeof(ConfigException)])]
    public string Run(string regionConfig, CancellationToken cancellationToken)
    {
        // The quarter, scenes and output folder all come from the config.
        var config = RegionConfig.Load(regionConfig);
        RegionRunResult result;
        try
        {
            // The run takes the region lock itself: only a lock held by another run means skip.
            result = RegionRun.Run(config, new RegionRunOptions(), cancellationToken: cancellationToken);
        }
        catch (RegionBusyException)
        {
            return $"{config.RegionCode} {config.Quarter}: skipped, another job is running this region now ({config.Output})";
        }
        catch (Exception e) when (AsReported(e) is { } user)
        {
            throw user;
        }
        return $"{config.RegionCode} {config.Quarter}: {result.Patches} patches, {result.TasksByProvince.Values.Sum()} tasks; {result.RunJson}";
    }

    /// <summary>
    /// The user error a job should fail with instead of <paramref name="e"/> (a full disk, a folder that cannot be
    /// written, a corrupt block wrapped by a parallel loop), so the dashboard shows the one line an operator can act
    /// on; null when <paramref name="e"/> is already that, or a bug.
    /// </summary>
    internal static ChangeDetectionException? AsReported(Exception e) =>
        Failures.AsUserError(e) is { } user && !ReferenceEquals(user, e) ? user : null;

    /// <summary>Enqueues a run of <paramref name="regionConfig"/>; the path is made absolute so any worker sharing the storage can find it.</summary>
    public static string Enqueue(IBackgroundJobClient client, string regionConfig)
    {
        ArgumentNullException.ThrowIfNull(client);
        string full = Path.GetFullPath(regionConfig);
        return client.Enqueue<RegionJobs>(j => j.Run(full, CancellationToken.None));
    }
}
