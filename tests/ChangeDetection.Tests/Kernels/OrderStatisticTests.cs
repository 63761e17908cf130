using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class OrderStatisticTests
{
    [TestCase(1, 0)]
    [TestCase(2, 1)]
    [TestCase(50, 2)]
    [TestCase(1000, 3)]
    [TestCase(4097, 4)]
    public void EveryIndexHoldsWhatTheSortedArrayHolds(int length, int seed)
    {
        var random = new Random(seed);
        // Few distinct values (long runs of equals), NaNs and infinities, as well as spread-out values.
        var values = Enumerable.Range(0, length).Select(_ => random.Next(10) switch
        {
            0 => float.NaN,
            1 => float.PositiveInfinity,
            2 or 3 => random.Next(3),
            _ => (float)(random.NextDouble() * 100 - 20),
        }).ToArray();
        var sorted = (float[])values.Clone();
        Array.Sort(sorted);
        var ks = length <= 1000 ? Enumerable.Range(0, length) : Enumerable.Range(0, 50).Select(_ => random.Next(length)).Append(length - 1).Append(0);
        foreach (int k in ks)
        {
            var work = (float[])values.Clone();
            Assert.That(OrderStatistic.Select(work, k), Is.EqualTo(sorted[k]), $"index {k}");
        }
    }

    [Test]
    public void SortedAndConstantInputs()
    {
        var ascending = Enumerable.Range(0, 10_000).Select(i => (float)i).ToArray();
        var constant = Enumerable.Repeat(2.5f, 10_000).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(OrderStatistic.Select((float[])ascending.Clone(), 9_990), Is.EqualTo(9_990f));
            Assert.That(OrderStatistic.Select(ascending.Reverse().ToArray(), 17), Is.EqualTo(17f));
            Assert.That(OrderStatistic.Select(constant, 9_999), Is.EqualTo(2.5f));
        });
    }

    [Test]
    public void AnIndexOutsideTheArrayIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderStatistic.Select(new float[3], 3));
}
