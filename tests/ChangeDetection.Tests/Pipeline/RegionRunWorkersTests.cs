using ChangeDetection.Pipeline;
using static ChangeDetection.Tests.Pipeline.RegionRunSample;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// The stages after the mask pass run side by side (the layers and the chips' stretch limits prepared during the patches,
/// the run's own files beside the packages, the packages' tables beside their chips): one worker, one thing after another,
/// delivers the same bytes.
/// </summary>
[TestFixture]
public class RegionRunWorkersTests
{
    [Test]
    public void One_worker_delivers_the_bytes_of_two()
    {
        using var dir = new TempDir();
        var clean = CleanRun;
        var one = RegionRun.Run(Config, Options(dir.File("one"), workers: 1));
        var expected = RegionRunDeliveryTests.DeliveredSet(clean.OutputFolder);
        var actual = RegionRunDeliveryTests.DeliveredSet(one.OutputFolder);
        Assert.Multiple(() =>
        {
            Assert.That(expected.Keys.Count(k => k.EndsWith(".png", StringComparison.Ordinal)), Is.GreaterThan(0), "the sample's run has chips");
            Assert.That(one.Outputs.Select(o => Path.GetRelativePath(one.OutputFolder, o)), Is.EqualTo(clean.Outputs.Select(o => Path.GetRelativePath(clean.OutputFolder, o))),
                "the outputs in the same order");
            Assert.That(actual.Keys.Order(StringComparer.Ordinal), Is.EqualTo(expected.Keys.Order(StringComparer.Ordinal)));
            foreach (var (name, sha) in expected)
                Assert.That(actual.GetValueOrDefault(name), Is.EqualTo(sha), name);
        });
    }
}
