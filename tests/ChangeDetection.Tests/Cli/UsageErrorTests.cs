using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

/// <summary>
/// A usage error (a bad option value, options that do not go together) is one line, exit 2, that names the
/// option and ends with the subcommand's help, where its options are listed. None of these reads a file.
/// </summary>
[TestFixture]
public sealed class UsageErrorTests
{
    [TestCase("eval", "--pseudo-confidence", "eval", "--before", "a.tif", "--after", "b.tif", "--truth", "t.tif", "--model", "none", "--pseudo-confidence", "0.5")]
    [TestCase("eval", "--classifier off", "eval", "--pairs", "pairs.csv", "--classifier", "off", "--pseudo-confidence", "0.9")]
    [TestCase("eval", "--pairs", "eval")]
    [TestCase("eval", "--classifier 'maybe'", "eval", "--pairs", "pairs.csv", "--classifier", "maybe")]
    [TestCase("detect", "--threshold", "detect", "--before", "a.tif", "--after", "b.tif", "--out", "m.tif", "--threshold", "median")]
    [TestCase("detect", "Tile size 17", "detect", "--before", "a.tif", "--after", "b.tif", "--out", "m.tif", "--tile", "17")]
    [TestCase("train", "--out", "train")]
    [TestCase("train", "--synthetic-seeds", "train", "--out", "m.zip", "--synthetic-seeds", "1,x")]
    [TestCase("polygonize", "--min-area", "polygonize", "mask.tif", "out.gpkg", "--min-area", "-1")]
    [TestCase("worker", "--lost-job-timeout", "worker", "--lost-job-timeout", "1")]
    [TestCase("serve", "--lost-job-timeout", "serve", "--schedule", "schedule.json", "--lost-job-timeout", "1")]
    [TestCase("jobs", "--count", "jobs", "--count", "0")]
    [TestCase("run", "--pseudo-confidence", "run", "region.json", "--pseudo-confidence", "1.5")]
    public void Names_the_option_and_the_subcommands_help(string command, string named, params string[] args)
    {
        var (code, stdout, stderr) = Cdx(args);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stdout, Is.Empty);
            Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr, Does.StartWith("cdx: ").And.Contain(named));
            Assert.That(stderr.TrimEnd(), Does.EndWith($"(see 'cdx {command} --help')"));
        });
    }
}
