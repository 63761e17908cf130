using System.Text.Json;
using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Pipeline;

namespace ChangeDetection.Tests.Pipeline;

[TestFixture]
public class RunFingerprintTests
{
    /// <summary>
    /// The ledger key spells the detection settings with the source-generated serializer; it must give the reflection
    /// serializer's text (what keyed every ledger before it), or existing ledgers would stop resuming.
    /// </summary>
    [Test]
    public void DetectionTextIsTheReflectionSerializersText()
    {
        var variants = new[]
        {
            new ChangeDetectionOptions(),
            new ChangeDetectionOptions { TileSize = 256, Threshold = ThresholdRule.Percentile(97.5), OpenRadius = 0, CloseRadius = 2, Workers = 7 },
            new ChangeDetectionOptions { SmoothRadius = 3, SmoothMetres = 2.5, Register = true, Normalization = RadiometricFit.MeanStd },
            new ChangeDetectionOptions { NdviWeight = 0.25f, WaterWeight = 1.5f, StatisticsWindows = 16, HistogramBins = 1024, Threshold = ThresholdRule.Fixed(3.25) },
        };
        Assert.Multiple(() =>
        {
            foreach (var options in variants)
            {
                string reflection = JsonSerializer.Serialize(options with { Workers = 1 });
                Assert.That(RunFingerprint.DetectionText(options), Is.EqualTo(reflection));
            }
        });
        // Not a constant: the settings are in it, and the worker count is not.
        Assert.That(RunFingerprint.DetectionText(variants[0]), Is.Not.EqualTo(RunFingerprint.DetectionText(variants[1])));
        Assert.That(RunFingerprint.DetectionText(variants[0] with { Workers = 5 }), Is.EqualTo(RunFingerprint.DetectionText(variants[0])));
    }
}
