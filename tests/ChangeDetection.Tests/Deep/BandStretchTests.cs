using ChangeDetection.Deep;

namespace ChangeDetection.Tests.Deep;

[TestFixture]
public class BandStretchTests
{
    [Test]
    public void PercentilesComeFromTheSceneHistogramWithoutNoData()
    {
        var histogram = new long[65536];
        // DN 1000..1099 once each, plus 500 nodata zeros that must not count.
        var band = Enumerable.Range(1000, 100).Select(v => (ushort)v).Concat(Enumerable.Repeat((ushort)0, 500)).ToArray();
        BandStretch.AddToHistogram(band, histogram, noData: 0);
        var stretch = BandStretch.FromHistogram(histogram);
        Assert.Multiple(() =>
        {
            Assert.That(histogram[0], Is.Zero);
            Assert.That(stretch.Low, Is.EqualTo(1001), "2 % of 100 values: the 2nd smallest");
            Assert.That(stretch.High, Is.EqualTo(1097), "98 % of 100 values: the 98th smallest");
        });
    }

    [Test]
    public void ApplyMapsLimitsTo0And255AndClips()
    {
        var stretch = new BandStretch(1000, 2000);
        ushort[] dn = [0, 1000, 1500, 2000, 65535];
        var output = new float[dn.Length];
        stretch.Apply(dn, output);
        Assert.That(output, Is.EqualTo(new[] { 0f, 0f, 127.5f, 255f, 255f }).Within(1e-3f));
    }

    [Test]
    public void TilesOfTheSameSceneShareTheStretch()
    {
        // Two tiles with different content, one stretch per band: the same DN gives the same value in both.
        var s = new BandStretch(200, 1200);
        ushort[] a = Enumerable.Repeat((ushort)700, 32 * 32).ToArray();
        ushort[] b = Enumerable.Range(0, 32 * 32).Select(i => i == 0 ? (ushort)700 : (ushort)(200 + i)).ToArray();
        var ta = RgbTile.FromDigitalNumbers(32, 32, a, a, a, s, s, s);
        var tb = RgbTile.FromDigitalNumbers(32, 32, b, b, b, s, s, s);
        Assert.Multiple(() =>
        {
            Assert.That(ta.Red[0], Is.EqualTo(tb.Red[0]));
            Assert.That(ta.Red[0], Is.EqualTo(127.5f).Within(1e-3f));
        });
    }

    [Test]
    public void BadLimitsAndEmptyHistogramsAreRefused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new BandStretch(5, 5), Throws.ArgumentException);
            Assert.That(() => BandStretch.FromHistogram(new long[65536]), Throws.InstanceOf<ChangeDetectionException>().With.Message.Contains("no valid pixels"));
            Assert.That(() => BandStretch.FromHistogram(new long[10]), Throws.ArgumentException);
        });
    }
}
