using System.CommandLine;
using ChangeDetection.Cli.Commands;

namespace ChangeDetection.Cli;

/// <summary>
/// The <c>cdx</c> command line. Exit codes for every command: 0 success, 2 bad input or usage
/// (one clear line on stderr, no stack trace), 1 internal error.
/// </summary>
internal static class CdxApp
{
    public const int Ok = 0;
    public const int InternalError = 1;
    public const int BadInput = 2;
    /// <summary>Stopped by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it); the work done so far is kept for a re-run.</summary>
    public const int Interrupted = 130;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = BuildRoot(stdout, stderr);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // Name the help of the subcommand the user was typing: that is where its options are listed.
            string? sub = ReferenceEquals(parsed.CommandResult.Command, root) ? null : parsed.CommandResult.Command.Name;
            stderr.WriteLine($"cdx: {parsed.Errors[0].Message} {Usage.Hint(sub)}");
            return BadInput;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    /// <summary>The root command with every subcommand, writing to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    internal static RootCommand BuildRoot(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("ChangeDetection: two dates of imagery in, verification tasks (核查任务) out.");
        root.Subcommands.Add(InfoCommand.Create(stdout, stderr));
        root.Subcommands.Add(DetectCommand.Create(stdout, stderr));
        root.Subcommands.Add(EvalCommand.Create(stdout, stderr));
        root.Subcommands.Add(ValidateCommand.Create(stdout, stderr));
        root.Subcommands.Add(RunCommand.Create(stdout, stderr));
        root.Subcommands.Add(ExportCommand.Create(stdout, stderr));
        root.Subcommands.Add(DemoCommand.Create(stdout, stderr));
        root.Subcommands.Add(SampleCommand.Create(stdout, stderr));
        root.Subcommands.Add(PolygonizeCommand.Create(stdout, stderr));
        root.Subcommands.Add(TrainCommand.Create(stdout, stderr));
        root.Subcommands.Add(ServeCommand.Create(stdout, stderr));
        root.Subcommands.Add(WorkerCommand.Create(stdout, stderr));
        root.Subcommands.Add(EnqueueCommand.Create(stdout, stderr));
        root.Subcommands.Add(JobsCommand.Create(stdout, stderr));
        root.Subcommands.Add(Review.ReviewCommand.Create(stdout, stderr));
        return root;
    }

    /// <summary>Runs a command body and maps failures to the exit codes and one-line messages users see.</summary>
    public static int Guard(TextWriter stderr, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException stopped) when (stopped.CancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("cdx: stopped. The finished tiles are kept in the output folder's ledger (.work/ledger.db) and the previous results are untouched: run the same command again to resume.");
            return Interrupted;
        }
        catch (Exception e) when (Failures.AsUserError(e) is { } user)
        {
            // Parallel loops wrap failures in AggregateException: Failures unwraps them here, the one place.
            stderr.WriteLine($"cdx: {user.Message}");
            return BadInput;
        }
        catch (Exception caught)
        {
            var e = Failures.Unwrap(caught);
            stderr.WriteLine($"cdx: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("CDX_DEBUG") == "1") stderr.WriteLine(e);
            else stderr.WriteLine("cdx: this is a bug; set CDX_DEBUG=1 for details and report it.");
            return InternalError;
        }
    }
}
