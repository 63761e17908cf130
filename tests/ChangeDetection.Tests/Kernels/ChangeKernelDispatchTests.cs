using System.Diagnostics;
using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

/// <summary>
/// The dispatcher under reduced instruction sets: each case starts the probe program
/// (tests/ChangeDetection.KernelProbe) with runtime switches that hide AVX-512, AVX2 or all hardware
/// intrinsics, and checks that it picked the expected path and that its output equals scalar.
/// </summary>
/// <remarks>
/// .NET 10 groups the AVX-512 subsets: <c>DOTNET_EnableAVX512F=0</c> alone no longer turns
/// Vector512 acceleration off (checked on .NET 10.0.12), <c>DOTNET_EnableAVX512=0</c> does; both
/// are set so the case also holds on runtimes that know only the older name.
/// </remarks>
[TestFixture]
[Category("Slow")]
public class ChangeKernelDispatchTests
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(2);

    [TestCase("DOTNET_EnableAVX512F=0;DOTNET_EnableAVX512=0", KernelPath.Vector256, TestName = "WithoutAvx512PicksAtMostVector256")]
    [TestCase("DOTNET_EnableAVX2=0", KernelPath.Vector128, TestName = "WithoutAvx2PicksAtMostVector128")]
    [TestCase("DOTNET_EnableHWIntrinsic=0", KernelPath.Scalar, TestName = "WithoutHardwareIntrinsicsPicksScalar")]
    public void ChildProcessPicksTheNarrowerPath(string switches, KernelPath cap)
    {
        // A machine narrower than the cap stays at its own widest path.
        var expected = (KernelPath)Math.Min((int)cap, (int)ChangeKernel.ActivePath);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(FindProbe());
        foreach (string pair in switches.Split(';'))
        {
            var parts = pair.Split('=');
            start.Environment[parts[0]] = parts[1];
        }

        using var child = Process.Start(start)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(ChildTimeout))
        {
            child.Kill(entireProcessTree: true);
            Assert.Fail($"The probe did not finish within {ChildTimeout}.");
        }
        child.WaitForExit();
        string output = $"{stdout.Result}\n{stderr.Result}";
        string[] lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Assert.Multiple(() =>
        {
            Assert.That(lines, Is.Not.Empty, output);
            Assert.That(lines.FirstOrDefault(), Is.EqualTo(expected.ToString()), output);
            Assert.That(child.ExitCode, Is.Zero, $"the dispatched path differs from scalar:\n{output}");
        });
    }

    /// <summary>The probe built for this configuration, under the folder that holds ChangeDetection.sln.</summary>
    private static string FindProbe()
    {
        // bin/<Configuration>/<tfm>/ of the test assembly: the probe is built with the same two.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = output.Name, configuration = output.Parent!.Name;
        string probe = Repository.File(Path.Combine("tests", "ChangeDetection.KernelProbe", "bin", configuration, tfm, "ChangeDetection.KernelProbe.dll"));
        Assert.That(File.Exists(probe), Is.True, $"{probe} is missing: build the solution (the test project references the probe)");
        return probe;
    }
}
