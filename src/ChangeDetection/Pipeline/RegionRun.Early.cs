using ChangeDetection.Detection;
using ChangeDetection.Raster;

namespace ChangeDetection.Pipeline;

public sealed partial class RegionRun
{
    /// <summary>
    /// Pass 1 (co-registration and the statistics: <see cref="ChangeDetector.Prepare"/>) started on its own scene pair
    /// before the run's check, lock, fingerprint and ledger, which do not need it: it reads the images and writes
    /// nothing, so it can run beside them and the histogram pass starts once both are done. Only worth it when the
    /// ledger cannot hold a model yet (<see cref="Speculates"/>); the model is recorded in the ledger as
    /// <see cref="TilePasses"/> would have recorded it, so the run's bytes are the same.
    /// </summary>
    /// <remarks>
    /// A run that stops before it needs the model (a failed check, a folder in use, a stop) cancels the pass and waits
    /// for its windows in flight, then closes the pair: nothing outlives the run.
    /// </remarks>
    private sealed class EarlyModel : IDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task<DetectionModel> _work;
        private ScenePair? _pair;

        private EarlyModel(RegionRun run, ChangeDetector detector, IProgress<StageProgress>? progress, CancellationToken cancellationToken)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var token = _stop.Token;
            _work = Task.Run(() =>
            {
                _pair = run.OpenPair();
                return detector.Prepare(_pair, progress, token);
            }, token);
        }

        /// <summary>Starts pass 1 of <paramref name="run"/> on a thread-pool thread.</summary>
        public static EarlyModel Start(RegionRun run, ChangeDetector detector, IProgress<StageProgress>? progress, CancellationToken cancellationToken) =>
            new(run, detector, progress, cancellationToken);

        /// <summary>
        /// The pair (aligned with the model) and the model, once pass 1 has finished; what opening the pair or the pass threw,
        /// at the point where the run would have opened and prepared them itself. The pair stays this object's to dispose.
        /// </summary>
        public (ScenePair Pair, DetectionModel Model) Result()
        {
            var model = _work.GetAwaiter().GetResult();
            return (_pair!, model);
        }

        public void Dispose()
        {
            _stop.Cancel();
            // Its error, if any, was rethrown by Result, or matters less than the one that stopped the run before it.
            try { _work.Wait(); } catch (AggregateException) { }
            _pair?.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>
    /// Whether pass 1 is started before the ledger is open (<see cref="EarlyModel"/>): when the ledger cannot hold a model,
    /// because there is none in the output folder or <c>--force</c> discards it. Only a cost when wrong: a resumed run
    /// reads its model back from the ledger and starts pass 1 only if it finds none.
    /// </summary>
    private bool Speculates => Options.Force || !File.Exists(Path.Combine(OutputFolder, ".work", RunLedger.FileName));

    /// <summary>The run's scene pair: the config's images and band numbers.</summary>
    private ScenePair OpenPair() => ScenePair.Open(Config.Before.Path, Config.After.Path, new ScenePairOptions { BandNumbers = Config.Bands });
}
