namespace ChangeDetection.Cli;

/// <summary>
/// Usage errors of a subcommand: a bad option value or a combination that cannot work. The message ends
/// with the subcommand's help (<c>see 'cdx run --help'</c>) so the user knows where the options are listed.
/// </summary>
internal static class Usage
{
    /// <summary>The help hint of <paramref name="command"/> (null or empty: the root command).</summary>
    public static string Hint(string? command) => string.IsNullOrEmpty(command) ? "(see 'cdx --help')" : $"(see 'cdx {command} --help')";

    /// <summary>An error for <see cref="CdxApp.Guard"/> (exit 2, one line): <paramref name="message"/> and the help of <paramref name="command"/>.</summary>
    public static ChangeDetectionException Error(string command, string message) => new($"{message} {Hint(command)}");
}
