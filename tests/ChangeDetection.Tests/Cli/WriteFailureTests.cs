using System.Security.Cryptography;
using ChangeDetection.Synthetic;
using ChangeDetection.Tests.Vectorization;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

/// <summary>
/// Commands that write a final file on a disk that fills up or is read-only: exit 2 with one line
/// naming the file and what to do, and the file that was there before is left whole.
/// </summary>
[TestFixture]
public class WriteFailureTests
{
    private static TempDir _sample = null!;
    private static SyntheticRegionSummary _region = null!;

    [OneTimeSetUp]
    public void MakeSample()
    {
        _sample = new TempDir();
        _region = SyntheticRegion.Generate(_sample.Path, new SyntheticRegionOptions { Size = 256, Seed = 21 });
    }

    [OneTimeTearDown]
    public void Cleanup() => _sample.Dispose();

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static void AssertOneLineExit2((int Code, string Out, string Err) r, params string[] contains)
    {
        Assert.That(r.Code, Is.EqualTo(2), r.Err);
        // One line of error (progress lines aside).
        Assert.That(r.Err.Split('\n').Where(l => l.StartsWith("cdx:", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(1), r.Err);
        foreach (var c in contains) Assert.That(r.Err, Does.Contain(c));
    }

    [Test]
    public void Polygonize_onto_a_full_disk_exits_2_and_keeps_the_old_file()
    {
        using var fs = SmallFileSystem.MountOrIgnore(1024);
        var mask = new byte[64 * 64];
        for (int y = 10; y < 40; y++) for (int x = 10; x < 40; x++) mask[y * 64 + x] = 1;
        string maskPath = MaskFiles.Write(_sample.File($"mask-{Guid.NewGuid():N}.tif"), mask, 64, 64, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39);
        string output = fs.File("patches.gpkg");
        Assert.That(Cdx("polygonize", maskPath, output).Code, Is.Zero);
        string old = Sha(output);
        fs.Fill();
        var r = Cdx("polygonize", maskPath, output, "--min-area", "0");
        Assert.Multiple(() =>
        {
            AssertOneLineExit2(r, output, "full");
            Assert.That(Sha(output), Is.EqualTo(old), "the old file, whole");
            Assert.That(Directory.GetFiles(fs.Path).Where(f => f.Contains(".partial", StringComparison.Ordinal)), Is.Empty);
        });
    }

    [Test]
    public void Detect_onto_a_full_disk_exits_2_naming_it_and_keeps_the_old_mask()
    {
        using var fs = SmallFileSystem.MountOrIgnore(1024);
        string output = fs.File("mask.tif");
        var first = Cdx("detect", "--before", _region.BeforeImage, "--after", _region.AfterImage, "--out", output, "--tile", "64");
        Assert.That(first.Code, Is.Zero, first.Err);
        string old = Sha(output);
        fs.Fill();
        var r = Cdx("detect", "--before", _region.BeforeImage, "--after", _region.AfterImage, "--out", output, "--tile", "64");
        Assert.Multiple(() =>
        {
            AssertOneLineExit2(r, $"{output}: no space left", "unchanged");
            Assert.That(Sha(output), Is.EqualTo(old), "the old mask, whole");
            Assert.That(Directory.GetFiles(fs.Path).Where(f => f.Contains(".partial", StringComparison.Ordinal)), Is.Empty);
        });
    }

    [Test]
    public void Run_into_a_read_only_folder_exits_2_naming_it()
    {
        using var fs = SmallFileSystem.MountOrIgnore(256);
        fs.MakeReadOnly();
        string output = fs.File("out");
        var r = Cdx("run", _region.RegionFile, "--out", output, "--model", "none");
        AssertOneLineExit2(r, output, "--out");
    }

    [Test]
    public void A_full_disk_is_a_user_error_with_what_to_do_even_wrapped_by_a_parallel_loop()
    {
        Assume.That(File.Exists("/dev/full"), "needs /dev/full");
        var full = Assert.Throws<IOException>(() =>
        {
            using var f = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            f.Write(new byte[16]);
            f.Flush();
        })!;
        var wrapped = Assert.Throws<AggregateException>(() => Parallel.For(0, 4, i => { if (i == 2) throw full; }))!;
        var user = Failures.AsUserError(wrapped);
        Assert.That(user, Is.Not.Null);
        Assert.That(user!.Message, Does.Contain("/dev/full").And.Contain("disk is full").And.Contain("--out"));
    }

    [Test]
    public void A_user_error_inside_a_parallel_loop_wins_over_the_cancellations_around_it()
    {
        var e = new AggregateException(new OperationCanceledException(), new AggregateException(new RasterFormatException("a.tif", "tile 3 is corrupt.")));
        Assert.That(Failures.Unwrap(e), Is.TypeOf<RasterFormatException>());
        Assert.That(Failures.AsUserError(new InvalidOperationException("bug")), Is.Null, "a bug stays a bug");
    }
}
