using Hangfire.Logging;

namespace ChangeDetection.Jobs;

/// <summary>
/// Hangfire's log lines on stderr (stdout carries what the commands print), from
/// <paramref name="minimum"/> up. Independent of any host, so it outlives the hosts of a process.
/// </summary>
internal sealed class StderrLogProvider(LogLevel minimum) : ILogProvider
{
    public ILog GetLogger(string name) => new Logger(name, minimum);

    private sealed class Logger(string name, LogLevel minimum) : ILog
    {
        public bool Log(LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            if (logLevel < minimum) return false;
            if (messageFunc is null) return true; // "is this level enabled?"
            string where = name[(name.LastIndexOf('.') + 1)..];
            string error = exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})";
            Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} hangfire {logLevel.ToString().ToLowerInvariant()}: {where}: {messageFunc()}{error}");
            return true;
        }
    }
}
