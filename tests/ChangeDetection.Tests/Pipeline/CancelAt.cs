using ChangeDetection.Pipeline;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// A deterministic Ctrl+C for the resume tests: cancels its token once a stage's progress reaches a count. A run reports
/// progress on the thread that finished the tile, so with one worker exactly that many tiles are done when it stops.
/// </summary>
internal sealed class CancelAt(string stage, long done) : IProgress<StageProgress>, IDisposable
{
    private readonly CancellationTokenSource _source = new();

    public CancellationToken Token => _source.Token;

    public void Report(StageProgress value)
    {
        if (value.Stage == stage && value.Done >= done) _source.Cancel();
    }

    public void Dispose() => _source.Dispose();

    /// <summary>Runs <paramref name="config"/> and stops it after <paramref name="maskTiles"/> mask tiles; the run must throw.</summary>
    public static void StopAfterMaskTiles(RegionConfig config, RegionRunOptions options, int maskTiles)
    {
        using var stop = new CancelAt("mask", maskTiles);
        Assert.Throws<OperationCanceledException>(() => RegionRun.Run(config, options, stop, stop.Token));
    }
}
