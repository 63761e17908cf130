namespace ChangeDetection.Cli;

public static class Program
{
    public static int Main(string[] args) => CdxApp.Run(args, Console.Out, Console.Error);
}
