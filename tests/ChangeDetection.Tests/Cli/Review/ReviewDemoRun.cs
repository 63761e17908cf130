using ChangeDetection.Cli;

namespace ChangeDetection.Tests.Cli.Review;

/// <summary>
/// One small demo run (<c>cdx demo --size 1024</c>, ~15 s) shared by the review tests of this namespace, made
/// once before the first of them and deleted after the last. Each fixture reviews its own copy of the run
/// folder (<see cref="Copy"/>) so that verdicts of one never show in another.
/// </summary>
[SetUpFixture]
public sealed class ReviewDemoRun
{
    private static TempDir? _dir;

    /// <summary>The demo's run folder (DEMO/out).</summary>
    public static string RunFolder => Path.Combine(_dir?.Path ?? throw new InvalidOperationException("the demo run is made by the set-up fixture"), "demo", "out");

    [OneTimeSetUp]
    public void MakeTheDemoRun()
    {
        _dir = new TempDir();
        using var o = new StringWriter();
        using var e = new StringWriter();
        int code = CdxApp.Run(["demo", "--out", _dir.File("demo"), "--size", "1024", "--seed", "3"], o, e);
        Assert.That(code, Is.Zero, e.ToString());
    }

    [OneTimeTearDown]
    public void Delete() => _dir?.Dispose();

    /// <summary>A copy of the run folder in <paramref name="dir"/> (the images stay where run.json says they are).</summary>
    internal static string Copy(TempDir dir)
    {
        string target = dir.File("run");
        foreach (string file in Directory.EnumerateFiles(RunFolder, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(RunFolder, file);
            if (relative.StartsWith(".work", StringComparison.Ordinal)) continue;
            string to = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }
}
