using System.Runtime.InteropServices;

namespace ChangeDetection.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM as a cancellation token for the commands that resume (<c>run</c>, <c>demo</c>) and for <c>export</c>: the first
/// signal lets the tiles in flight finish into the ledger and stops before the next stage, so the same command resumes
/// from there; a second Ctrl+C ends the process at once (what the ledger holds is still consistent).
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly TextWriter _stderr;
    private readonly string _message;
    private readonly PosixSignalRegistration? _term;
    private int _signals;

    /// <summary>What the first signal prints for a run: the tiles in flight are recorded, then it stops.</summary>
    internal const string RunMessage = "cdx: stopping once the tiles in progress are recorded (Ctrl+C again to quit at once)…";

    /// <summary>What the first signal prints for <c>cdx export</c>: the chips in flight finish, then it stops, the packages as they were.</summary>
    internal const string ExportMessage = "cdx: stopping once the chips in progress are written; the packages already delivered stay as they are (Ctrl+C again to quit at once)…";

    private Interrupt(TextWriter stderr, string message)
    {
        _stderr = stderr;
        _message = message;
        Console.CancelKeyPress += OnCancelKeyPress;
        // Schedulers and service managers stop a process with SIGTERM: it deserves the same clean stop.
        _term = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Request();
        });
    }

    public CancellationToken Token => _source.Token;

    /// <summary>Runs <paramref name="work"/> with a token that the first Ctrl+C or SIGTERM cancels.</summary>
    public static T Run<T>(TextWriter stderr, Func<CancellationToken, T> work, string message = RunMessage)
    {
        using var interrupt = new Interrupt(stderr, message);
        return work(interrupt.Token);
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        // The second Ctrl+C is not held back: the user wants out now.
        e.Cancel = Interlocked.Increment(ref _signals) == 1;
        Request();
    }

    private void Request()
    {
        if (_source.IsCancellationRequested) return;
        _stderr.WriteLine(_message);
        _source.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _term?.Dispose();
        _source.Dispose();
    }
}
