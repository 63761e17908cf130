using ChangeDetection.Cli;

namespace ChangeDetection.Tests.Cli;

/// <summary>Runs the <c>cdx</c> command line in-process and captures what it prints.</summary>
internal static class CdxRunner
{
    public static (int Code, string Out, string Err) Cdx(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CdxApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
