using ChangeDetection.Cli;

namespace ChangeDetection.Tests.Cli;

/// <summary>Runs the <c>cdx</c> command line in-process and captures what it prints.</summary>
internal static class CdxRunner
{
    public static (int Code, string Out, string Err) Cdx(params string[] args)
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        int code = CdxApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
