using ChangeDetection.Detection;
using ChangeDetection.Raster;

namespace ChangeDetection.Pipeline;

/// <summary>What one batch of mask tiles left in the ledger.</summary>
/// <param name="Tiles">Mask tiles of the run.</param>
/// <param name="Finished">Mask tiles finished in the ledger (by any batch) after this one.</param>
/// <param name="JoinClaimed">True for the one claimant that found every tile finished: it starts the join (the rest of the run).</param>
public sealed record MaskBatchResult(int Tiles, int Finished, bool JoinClaimed);

/// <summary>
/// Fan-out of the mask pass over many workers: <see cref="PrepareMask"/> records the statistics,
/// histogram and threshold in the ledger, <see cref="RunMaskBatch"/> computes a range of mask tiles (any number at
/// once, from any process that sees the output folder), and the batch that finds every tile done
/// claims the join, which is an ordinary <see cref="Execute"/>: it resumes with every tile finished
/// and ends with the same bytes as a run in one piece.
/// </summary>
public sealed partial class RegionRun
{
    private const string JoinClaim = "join";

    /// <summary>
    /// Statistics, histogram and the threshold (recorded in the ledger, each tile's scores in <c>.work/scores</c>);
    /// returns the number of mask tiles.
    /// </summary>
    /// <exception cref="ConfigException">The <see cref="Check"/> found a problem; nothing was computed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the finished tiles are kept.</exception>
    public int PrepareMask(IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Check();
        using var session = Session.Open(this);
        var passes = OpenPasses(session.Ledger, session.Pair, progress, cancellationToken);
        passes.Threshold();
        return passes.MaskTiles.Count;
    }

    /// <summary>
    /// Computes the mask tiles <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1
    /// that are not finished yet, with the one threshold recorded in the ledger (<see cref="PrepareMask"/>); when every
    /// tile of the run is then finished, claims the join for <paramref name="claimant"/> (once per ledger: the same
    /// claimant may claim again, as a retry must).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the finished tiles are kept.</exception>
    public MaskBatchResult RunMaskBatch(int first, int count, string claimant, IProgress<StageProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        using var session = Session.Open(this);
        var passes = OpenPasses(session.Ledger, session.Pair, progress, cancellationToken);
        float threshold = passes.Threshold();
        var todo = passes.UnfinishedMaskTiles(t => t.Index >= first && t.Index < first + count);
        using (var pixel = todo.Count > 0 ? PixelDecision.Open(this, session.Ledger) : null)
            passes.MaskPass(todo, threshold, pixel?.Decision);
        int total = TileStages.Mask.Finished(session.Ledger).Count;
        bool claimed = total == passes.MaskTiles.Count && session.Ledger.Claim(JoinClaim, claimant);
        return new MaskBatchResult(passes.MaskTiles.Count, total, claimed);
    }

    /// <summary>The ledger and the pair of a fan-out step.</summary>
    private sealed class Session : IDisposable
    {
        public required RunLedger Ledger { get; init; }
        public required ScenePair Pair { get; init; }

        public static Session Open(RegionRun run)
        {
            string work = Path.Combine(run.OutputFolder, ".work");
            Directory.CreateDirectory(work);
            var ledger = RunLedger.Open(work, RunFingerprint.RasterOf(run.Config, run.Detection, run.PixelModelPath), run.Options.Force);
            try
            {
                var pair = ScenePair.Open(run.Config.Before.Path, run.Config.After.Path, new ScenePairOptions { BandNumbers = run.Config.Bands });
                return new Session { Ledger = ledger, Pair = pair };
            }
            catch
            {
                ledger.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Pair.Dispose();
            Ledger.Dispose();
        }
    }
}
