using System.Diagnostics;
using System.Globalization;
using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

/// <summary>
/// The dispatcher under reduced instruction sets: each case starts a child <c>dotnet test</c> of
/// this project, filtered to <see cref="ChangeKernelDispatchProbe"/>, with runtime switches that
/// hide AVX-512, AVX2 or all hardware intrinsics, and checks that the child picked the expected
/// path (the probe writes it to a file) and that the probe passed (its output equals scalar).
/// </summary>
/// <remarks>
/// .NET 10 groups the AVX-512 subsets: <c>DOTNET_EnableAVX512F=0</c> alone no longer turns
/// Vector512 acceleration off (checked on .NET 10.0.12), <c>DOTNET_EnableAVX512=0</c> does; both
/// are set so the case also holds on runtimes that know only the older name.
/// </remarks>
[TestFixture]
[Category("Slow")]
[NonParallelizable] // each case starts a child dotnet test of the whole assembly
public class ChangeKernelDispatchTests
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(3);

    [TestCase("DOTNET_EnableAVX512F=0;DOTNET_EnableAVX512=0", KernelPath.Vector256, TestName = "WithoutAvx512PicksAtMostVector256")]
    [TestCase("DOTNET_EnableAVX2=0", KernelPath.Vector128, TestName = "WithoutAvx2PicksAtMostVector128")]
    [TestCase("DOTNET_EnableHWIntrinsic=0", KernelPath.Scalar, TestName = "WithoutHardwareIntrinsicsPicksScalar")]
    public void ChildProcessPicksTheNarrowerPath(string switches, KernelPath cap)
    {
        // A machine narrower than the cap stays at its own widest path.
        var expected = (KernelPath)Math.Min((int)cap, (int)ChangeKernel.ActivePath);
        string project = FindTestProject();
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string work = Directory.CreateTempSubdirectory("cdx-dispatch-").FullName;
        try
        {
            string report = Path.Combine(work, "active-path.txt");
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { "test", project, "-c", configuration, "--no-build", "--nologo",
                         "--filter", $"FullyQualifiedName~{nameof(ChangeKernelDispatchProbe)}", "--results-directory", Path.Combine(work, "results") })
                start.ArgumentList.Add(arg);
            foreach (string pair in switches.Split(';'))
            {
                var parts = pair.Split('=');
                start.Environment[parts[0]] = parts[1];
            }
            start.Environment[ChangeKernelDispatchProbe.ExpectVariable] = ((int)expected).ToString(CultureInfo.InvariantCulture);
            start.Environment[ChangeKernelDispatchProbe.ReportVariable] = report;
            // No MSBuild nodes left behind by the child.
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

            using var child = Process.Start(start)!;
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            if (!child.WaitForExit(ChildTimeout))
            {
                child.Kill(entireProcessTree: true);
                Assert.Fail($"The child dotnet test did not finish within {ChildTimeout}.");
            }
            child.WaitForExit();
            string output = $"{stdout.Result}\n{stderr.Result}";

            Assert.That(child.ExitCode, Is.Zero, $"child dotnet test failed:\n{output}");
            Assert.That(File.Exists(report), Is.True, $"the probe did not run (skipped or filtered out):\n{output}");
            Assert.That(File.ReadAllText(report).Trim(), Is.EqualTo(expected.ToString()), output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>tests/ChangeDetection.Tests/ChangeDetection.Tests.csproj under the folder that holds ChangeDetection.sln.</summary>
    private static string FindTestProject()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChangeDetection.sln")))
            {
                string project = Path.Combine(dir.FullName, "tests", "ChangeDetection.Tests", "ChangeDetection.Tests.csproj");
                Assert.That(File.Exists(project), Is.True, $"{project} is missing");
                return project;
            }
        }
        Assert.Fail($"No ChangeDetection.sln above {AppContext.BaseDirectory}.");
        return "";
    }
}

/// <summary>
/// Runs only inside the child process of <see cref="ChangeKernelDispatchTests"/> (ignored when
/// <see cref="ExpectVariable"/> is unset): asserts the dispatcher's path and that the dispatched
/// output equals the scalar reference bit for bit under the reduced instruction set.
/// </summary>
[TestFixture]
public class ChangeKernelDispatchProbe
{
    /// <summary>Expected <see cref="KernelPath"/> as its number (512, 256, 128, 0).</summary>
    public const string ExpectVariable = "CDX_EXPECT_MAX_VECTOR";

    /// <summary>File the probe writes the active path to, so the parent knows the probe really ran.</summary>
    public const string ReportVariable = "CDX_PROBE_REPORT";

    [Test]
    public void DispatcherPathMatchesExpectationAndScalar()
    {
        string? expectedText = Environment.GetEnvironmentVariable(ExpectVariable);
        if (string.IsNullOrEmpty(expectedText))
            Assert.Ignore($"Runs only as the child process of {nameof(ChangeKernelDispatchTests)} ({ExpectVariable} is unset).");
        var expected = (KernelPath)int.Parse(expectedText, CultureInfo.InvariantCulture);

        if (Environment.GetEnvironmentVariable(ReportVariable) is { Length: > 0 } report)
            File.WriteAllText(report, ChangeKernel.ActivePath.ToString());
        Assert.That(ChangeKernel.ActivePath, Is.EqualTo(expected));

        var random = new Random(99);
        foreach (int width in new[] { 1, 7, 15, 17, 33, 1001 })
        {
            var options = KernelTestData.Options(random, 5, KernelTestData.Indices.Both, 0, 0);
            var before = KernelTestData.Row(random, 5, width, width, 0);
            var after = KernelTestData.Row(random, 5, width, width, 0);
            var scalar = new float[width];
            var dispatched = new float[width];
            ChangeKernel.ComputeScalar(before, after, width, width, options, scalar);
            ChangeKernel.Compute(before, after, width, width, options, dispatched);
            Assert.That(KernelTestData.Bits(dispatched), Is.EqualTo(KernelTestData.Bits(scalar)), $"width {width}");
        }
    }
}
