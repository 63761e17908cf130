using ChangeDetection.Detection;
using ChangeDetection.PixelModel;
using ChangeDetection.Raster;

namespace ChangeDetection.Pipeline;

/// <summary>
/// The pixel model's decision for a run's mask pass, on a pair of its own: the model reads the images as it was
/// trained (not shifted by the detector's co-registration), with the run's bands, its band files
/// (<see cref="RegionConfig.ExtraBands"/>) and morphology.
/// </summary>
internal sealed class PixelDecision : IDisposable
{
    private readonly ScenePair _pair;

    private PixelDecision(ScenePair pair, PixelTileMask decision) => (_pair, Decision) = (pair, decision);

    public PixelTileMask Decision { get; }

    /// <summary>
    /// The decision of <paramref name="run"/>'s pixel model, or null when it has none, with its threshold recorded in
    /// <paramref name="store"/> (the run's ledger) before any mask tile uses it: the first pass computes it (the scene
    /// threshold's whole-scene pass) and records it, a resumed run or another batch of the fan-out reads it back.
    /// </summary>
    public static PixelDecision? Open(RegionRun run, ITileStore store)
    {
        var model = run.LoadedPixelModel();
        if (model is null) return null;
        var config = run.Config;
        var pair = ScenePair.Open(config.Before.Path, config.After.Path, run.PixelPairOptions);
        try
        {
            var decision = new PixelTileMask(pair, model, MaskMorphology.Of(run.Detection))
            {
                SceneWorkers = run.Detection.Workers,
                RecordedThresholds = TileStages.PixelThreshold.TryGet(store, out double recorded) ? [recorded] : null,
            };
            TileStages.PixelThreshold.GetOrAdd(store, decision.Threshold);
            return new PixelDecision(pair, decision);
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    public void Dispose() => _pair.Dispose();
}
