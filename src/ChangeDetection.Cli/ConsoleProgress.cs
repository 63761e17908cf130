using Spectre.Console;

namespace ChangeDetection.Cli;

/// <summary>
/// Renders <see cref="StageProgress"/>: Spectre.Console bars (done/total, rate, ETA) in an
/// interactive terminal; plain lines, at most one per stage every few seconds, when output is
/// redirected, so logs carry no escape codes.
/// </summary>
internal static class ConsoleProgress
{
    /// <summary>Runs <paramref name="work"/> while showing its progress on <paramref name="stderr"/>.</summary>
    public static T Run<T>(TextWriter stderr, Func<IProgress<StageProgress>, T> work)
    {
        bool interactive = !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error) && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive) return work(new PlainProgress(stderr));

        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var gate = new object();
                result = work(new Progress(p =>
                {
                    lock (gate)
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task))
                            tasks[p.Stage] = task = ctx.AddTask(p.Stage, maxValue: Math.Max(1, p.Total));
                        task.Value = p.Done;
                    }
                }));
            });
        return result;
    }

    private sealed class Progress(Action<StageProgress> report) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => report(value);
    }

    private sealed class PlainProgress(TextWriter output) : IProgress<StageProgress>
    {
        private readonly object _gate = new();
        private readonly Dictionary<string, (DateTime Start, DateTime Last)> _stages = [];

        public void Report(StageProgress p)
        {
            lock (_gate)
            {
                var now = DateTime.UtcNow;
                if (!_stages.TryGetValue(p.Stage, out var s)) s = (now, DateTime.MinValue);
                bool last = p.Done >= p.Total;
                if (!last && (now - s.Last).TotalSeconds < 5) { _stages[p.Stage] = s; return; }
                double elapsed = (now - s.Start).TotalSeconds;
                double rate = elapsed > 0 ? p.Done / elapsed : 0;
                string eta = rate > 0 && !last ? $", ETA {TimeSpan.FromSeconds((p.Total - p.Done) / rate):hh\\:mm\\:ss}" : "";
                output.WriteLine($"{p.Stage}: {p.Done}/{p.Total}{(rate > 0 ? $" ({rate:0.#}/s{eta})" : "")}");
                _stages[p.Stage] = (s.Start, now);
            }
        }
    }
}
