using System.Diagnostics;
using ChangeDetection.Pipeline;
using ChangeDetection.Tests.Kernels;
using static ChangeDetection.Tests.Kernels.Native;
using static ChangeDetection.Tests.Pipeline.RegionRunSample;

namespace ChangeDetection.Tests.Pipeline;

// A cdx run child process killed or signalled in the middle of its mask pass: the run resumes to the bytes of a clean run.
[TestFixture]
public class RegionRunChildProcessTests
{
    /// <summary>kill -9 in the middle of the mask pass, then resume: the outputs match a clean run.</summary>
    [Test]
    [Category("Slow")]
    public void KilledChildProcessResumesToIdenticalOutputs()
    {
        using var dir = new TempDir();
        var clean = CleanRun;

        string output = dir.File("killed");
        using (var child = StartCdx("run", Config.FilePath, "--out", output, "--tile", "64", "--workers", "1", "--write-mask"))
        {
            string ledger = Path.Combine(output, ".work", RunLedger.FileName);
            var clock = Stopwatch.StartNew();
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60) && MaskTiles(ledger) < 3) Thread.Sleep(20);
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        Assert.That(File.Exists(Path.Combine(output, "mask.tif")), Is.False, "the child was killed before it finished");

        var resumed = RegionRun.Run(Config, Options(output) with { TileSize = 64 });
        var reference = CleanRunAtTile64;
        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.GreaterThanOrEqualTo(3));
            Assert.That(Sha(resumed.MaskPath!), Is.EqualTo(Sha(reference.MaskPath!)));
            Assert.That(resumed.ChangedPixels, Is.EqualTo(clean.ChangedPixels), "the tile size does not change the result");
        });
    }

    /// <summary>
    /// Ctrl+C (SIGINT) or a service manager's SIGTERM in the middle of the mask pass: the run stops cleanly (exit 130, one
    /// line saying how to resume, no partial deliverables), and the same command resumes to the bytes of a clean run.
    /// </summary>
    [TestCase("INT")]
    [TestCase("TERM")]
    [Category("Slow")]
    public void SignalledChildProcessStopsCleanlyAndResumesToIdenticalOutputs(string signal)
    {
        using var dir = new TempDir();
        string output = dir.File("stopped");
        var stderr = new System.Text.StringBuilder();
        using (var child = StartCdx(stderr, "run", Config.FilePath, "--out", output, "--tile", "64", "--workers", "1", "--write-mask"))
        {
            string ledger = Path.Combine(output, ".work", RunLedger.FileName);
            var clock = Stopwatch.StartNew();
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60) && MaskTiles(ledger) < 3) Thread.Sleep(5);
            // The mask pass of 64 small tiles takes a fraction of a second: freeze the child at once (kill(2), no helper
            // process), check it is still in its mask pass, queue the signal and let it go on, so that the signal always
            // arrives during the mask pass and not, on a fast machine, after the run has finished.
            Assert.That(Native.Kill(child.Id, SigStop), Is.Zero, "SIGSTOP sent");
            Assert.That(child.HasExited, Is.False, "the run was still going");
            Assert.That(MaskTiles(ledger), Is.LessThan(64), "the run was still in its mask pass");
            Assert.That(Native.Kill(child.Id, signal == "INT" ? SigInt : SigTerm), Is.Zero, "SIG" + signal + " sent");
            Assert.That(Native.Kill(child.Id, SigCont), Is.Zero, "SIGCONT sent");
            Assert.That(child.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, "the run stopped");
            child.WaitForExit();
            string said;
            lock (stderr) said = stderr.ToString();
            Assert.Multiple(() =>
            {
                Assert.That(child.ExitCode, Is.EqualTo(130), said);
                Assert.That(said, Does.Contain("cdx: stopped.").And.Contain("run the same command again to resume"));
                Assert.That(said, Does.Not.Contain("   at "), "no stack trace");
                Assert.That(File.Exists(Path.Combine(output, "mask.tif")), Is.False, "nothing delivered from a stopped run");
                Assert.That(Directory.GetDirectories(Path.Combine(output, ".work"), "delivery.partial*"), Is.Empty, "no staged set left behind");
            });
        }

        var resumed = RegionRun.Run(Config, Options(output) with { TileSize = 64 });
        var reference = CleanRunAtTile64;
        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.GreaterThanOrEqualTo(3), "the tiles finished before the signal were kept");
            Assert.That(Sha(resumed.MaskPath!), Is.EqualTo(Sha(reference.MaskPath!)));
        });
    }
}
