using ChangeDetection.Pipeline;
using ChangeDetection.Tests.Kernels;
using static ChangeDetection.Tests.Kernels.Native;
using static ChangeDetection.Tests.Pipeline.RegionRunSample;

namespace ChangeDetection.Tests.Cli;

/// <summary>
/// <c>cdx export</c> passes Ctrl+C and SIGTERM to the export's cancellation as <c>cdx run</c> does: a signal while the packages
/// are staged stops it cleanly (exit 130, one line, no stack trace), with the run's packages as they were and nothing staged
/// left behind.
/// </summary>
[TestFixture]
public class ExportCommandInterruptTests
{
    [TestCase("INT")]
    [TestCase("TERM")]
    [Category("Slow")]
    public void ASignalledExportStopsCleanlyAndKeepsThePackages(string signal)
    {
        using var dir = new TempDir();
        var config = CopyOfSample(dir);
        string output = dir.File("run");
        RegionRun.Run(config, Options(output));
        string provinces = Path.Combine(output, "provinces");
        var before = Hashes(provinces);
        Assert.That(before, Is.Not.Empty);

        var stderr = new System.Text.StringBuilder();
        string work = Path.Combine(output, ".work");
        using (var child = StartCdx(stderr, "export", output))
        {
            // The export stages its packages in .work/delivery.partial-<pid> from the moment it starts writing them: freeze
            // the child as soon as that folder is there, check it still is, queue the signal and let the child go on.
            while (!child.HasExited && Staged(work).Length == 0) Thread.Sleep(1);
            Assert.That(Native.Kill(child.Id, SigStop), Is.Zero, "SIGSTOP sent");
            Assert.That(child.HasExited, Is.False, "the export was still going");
            Assert.That(Staged(work), Is.Not.Empty, "the export was writing its packages");
            Assert.That(Native.Kill(child.Id, signal == "INT" ? SigInt : SigTerm), Is.Zero, "SIG" + signal + " sent");
            Assert.That(Native.Kill(child.Id, SigCont), Is.Zero, "SIGCONT sent");
            Assert.That(child.WaitForExit(TimeSpan.FromSeconds(120)), Is.True, "the export stopped");
            child.WaitForExit();
            string said;
            lock (stderr) said = stderr.ToString();
            Assert.Multiple(() =>
            {
                Assert.That(child.ExitCode, Is.EqualTo(130), said);
                Assert.That(said, Does.Contain("stopping once the chips in progress are written").And.Contain("cdx: stopped."), "the export's own handler, not the runtime's default");
                Assert.That(said, Does.Not.Contain("   at "), "no stack trace");
                Assert.That(Staged(work), Is.Empty, "no staged set left behind");
                Assert.That(Hashes(provinces), Is.EqualTo(before), "the packages as they were");
            });
        }
    }

    private static string[] Staged(string work) =>
        Directory.Exists(work) ? Directory.GetDirectories(work, "delivery.partial*") : [];
}
