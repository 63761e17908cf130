namespace ChangeDetection.Cli;

internal static class CdxApp
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => 0;
}
