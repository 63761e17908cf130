using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class HistogramPassKernelsTests
{
    private static readonly int[] Lengths = [0, 1, 7, 31, 32, 33, 64, 95, 1000];

    [Test]
    public void FlagsOfValidMarkEveryValidPixelOnBothPaths()
    {
        var random = new Random(5);
        foreach (int n in Lengths)
        {
            var valid = new byte[n];
            for (int i = 0; i < n; i++) valid[i] = (byte)(random.Next(3) == 0 ? 0 : random.Next(1, 256));
            var expected = valid.Select(v => v == 0 ? (byte)0 : (byte)0x11).ToArray();
            foreach (bool vectors in new[] { false, true })
            {
                // Stale bytes in the flags must be overwritten.
                var flags = Enumerable.Repeat((byte)0xEE, n).ToArray();
                HistogramPassKernels.FlagsOfValid(valid, 0x11, flags, vectors);
                Assert.That(flags, Is.EqualTo(expected), $"length {n}, vectors {vectors}");
            }
        }
    }

    [Test]
    public void FillInvalidSetsOnlyTheInvalidPixelsOnBothPaths()
    {
        var random = new Random(6);
        foreach (int n in Lengths)
            foreach (double invalidShare in new[] { 0.0, 0.02, 0.5, 1.0 })
            {
                var valid = new byte[n];
                var scores = new float[n];
                for (int i = 0; i < n; i++)
                {
                    valid[i] = (byte)(random.NextDouble() < invalidShare ? 0 : 1);
                    scores[i] = (float)(random.NextDouble() * 10);
                }
                var expected = scores.Select((s, i) => valid[i] == 0 ? -7f : s).ToArray();
                foreach (bool vectors in new[] { false, true })
                {
                    var filled = (float[])scores.Clone();
                    HistogramPassKernels.FillInvalid(filled, valid, -7f, vectors);
                    Assert.That(filled, Is.EqualTo(expected), $"length {n}, invalid share {invalidShare}, vectors {vectors}");
                }
            }
    }

    [Test]
    public void FillInvalidWritesNaNBitsWhereInvalid()
    {
        var valid = Enumerable.Range(0, 70).Select(i => (byte)(i % 5 == 0 ? 0 : 1)).ToArray();
        var scores = Enumerable.Range(0, 70).Select(i => (float)i).ToArray();
        HistogramPassKernels.FillInvalid(scores, valid, ChangeKernel.NoDataScore);
        Assert.Multiple(() =>
        {
            for (int i = 0; i < 70; i++)
                Assert.That(float.IsNaN(scores[i]), Is.EqualTo(i % 5 == 0), $"pixel {i}");
        });
    }

    /// <summary>The flags overload counts exactly what the plain one counts of the scores with the flagged ones set to NaN.</summary>
    [Test]
    public void AddingWithFlagsEqualsAddingTheMaskedCopy()
    {
        var random = new Random(7);
        const int n = 5000;
        var scores = new float[n];
        var flags = new byte[n];
        for (int i = 0; i < n; i++)
        {
            scores[i] = random.Next(20) == 0 ? float.NaN : (float)(random.NextDouble() * 12 - 1);
            flags[i] = (byte)random.Next(8);
        }
        const byte skip = 4;
        var masked = scores.Select((s, i) => (flags[i] & skip) != 0 ? float.NaN : s).ToArray();
        var plain = new ScoreHistogram(64, 10f);
        plain.Add(masked);
        var flagged = new ScoreHistogram(64, 10f);
        flagged.Add(scores, flags, skip);
        Assert.Multiple(() =>
        {
            Assert.That(flagged.Counts.ToArray(), Is.EqualTo(plain.Counts.ToArray()));
            Assert.That(flagged.Total, Is.EqualTo(plain.Total));
            Assert.That(flagged.AboveMax, Is.EqualTo(plain.AboveMax));
            Assert.That(flagged.Total, Is.LessThan(n * 0.9), "some scores were skipped");
            Assert.That(flagged.AboveMax, Is.GreaterThan(0), "some scores lie above the range");
        });
    }
}
