using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class ScoreHistogramRowsTests
{
    /// <summary>
    /// A window of rows counted at once (four interleaved sub-histograms) gives the counts, total and above-max count of
    /// the rows added one by one: NaN, negative, in-range, edge and above-range scores, flagged pixels skipped, widths
    /// around the four lanes, runs of one bin.
    /// </summary>
    [Test]
    public void RowsAtOnceCountAsRowByRow()
    {
        var random = new Random(18);
        const byte skip = 4;
        foreach (var (width, height, stride, first) in new[] { (1, 1, 1, 0), (3, 5, 7, 2), (17, 9, 20, 3), (64, 4, 64, 0), (33, 33, 40, 41) })
        {
            int n = first + (height - 1) * stride + width + 5;
            var scores = new float[n];
            var flags = new byte[n];
            for (int i = 0; i < n; i++)
            {
                scores[i] = random.Next(8) switch
                {
                    0 => float.NaN,
                    1 => -random.NextSingle(),
                    2 => 10f + random.NextSingle() * 5f,
                    3 => 10f,
                    4 => 2.5f,
                    _ => random.NextSingle() * 10f,
                };
                flags[i] = (byte)(random.Next(4) == 0 ? skip | 1 : 1);
            }
            var byRow = new ScoreHistogram(64, 10f);
            for (int r = 0; r < height; r++)
                byRow.Add(scores.AsSpan(first + r * stride, width), flags.AsSpan(first + r * stride, width), skip);
            var atOnce = new ScoreHistogram(64, 10f);
            atOnce.AddRows(scores, flags, skip, first, width, height, stride);
            string where = $"{width}×{height} every {stride} from {first}";
            Assert.Multiple(() =>
            {
                Assert.That(atOnce.Counts.ToArray(), Is.EqualTo(byRow.Counts.ToArray()), where);
                Assert.That(atOnce.Total, Is.EqualTo(byRow.Total), where);
                Assert.That(atOnce.AboveMax, Is.EqualTo(byRow.AboveMax), where);
                Assert.That(byRow.Total, Is.GreaterThan(0), where);
            });
        }
    }

    /// <summary>A window beyond the planes is refused, not read past.</summary>
    [Test]
    public void RowsBeyondThePlanesAreRefused()
    {
        var histogram = new ScoreHistogram(16, 1f);
        Assert.Throws<ArgumentException>(() => histogram.AddRows(new float[10], new byte[10], 4, 2, 4, 3, 4));
    }
}
