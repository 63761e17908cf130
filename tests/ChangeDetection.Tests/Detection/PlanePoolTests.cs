using ChangeDetection.Detection;

namespace ChangeDetection.Tests.Detection;

/// <summary>The detector's plane pool: arrays kept between tiles, of size classes finer than powers of two, at most a few.</summary>
[TestFixture]
public class PlanePoolTests
{
    [Test]
    public void SizeClassesRoundUpToAnEighthOfThePowerOfTwo()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PlanePool<byte>.SizeClass(0), Is.EqualTo(4096));
            Assert.That(PlanePool<byte>.SizeClass(4097), Is.EqualTo(8192));
            Assert.That(PlanePool<byte>.SizeClass(1 << 20), Is.EqualTo(1 << 20), "a power of two is its own class");
            // A 1032² × 4-band plane and the 1028² one of a corner tile share a class, 5/8 of the power of two above.
            Assert.That(PlanePool<ushort>.SizeClass(1032 * 1032 * 4), Is.EqualTo(5 << 20));
            Assert.That(PlanePool<ushort>.SizeClass(1028 * 1028 * 4), Is.EqualTo(5 << 20));
            Assert.That(PlanePool<ushort>.SizeClass(1032 * 1032 * 4), Is.LessThan(1 << 23), "ArrayPool.Create's pool gives 2²³");
        });
    }

    /// <summary>A returned array comes back for the next rent it fits (the smallest that does), and no more than the bound are kept.</summary>
    [Test]
    public void ReturnedArraysAreRentedAgainWithinTheBound()
    {
        var pool = new PlanePool<float>(2);
        var small = pool.Rent(5000);
        var large = pool.Rent(20000);
        Assert.That(small.Length, Is.GreaterThanOrEqualTo(5000));
        Assert.That(large.Length, Is.GreaterThanOrEqualTo(20000));
        pool.Return(large);
        pool.Return(small);
        Assert.Multiple(() =>
        {
            Assert.That(pool.Rent(4000), Is.SameAs(small), "the smallest array that fits");
            Assert.That(pool.Rent(4000), Is.SameAs(large), "then the larger one");
            Assert.That(pool.Count, Is.Zero);
        });
        var third = pool.Rent(30000);
        pool.Return(small);
        pool.Return(large);
        pool.Return(third);
        Assert.Multiple(() =>
        {
            Assert.That(pool.Count, Is.EqualTo(2), "beyond the bound the smallest goes");
            Assert.That(pool.Rent(1), Is.SameAs(large));
            Assert.That(pool.Rent(1), Is.SameAs(third));
            Assert.That(pool.Rent(1), Is.Not.SameAs(small));
        });
    }
}
