using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Raster;

[TestFixture]
public class BlockCacheTests
{
    /// <summary>A read of a few rows of a cached block copies those bytes of it, and only from a block of the expected length.</summary>
    [Test]
    public void CopiesAPartOfAHeldBlock()
    {
        var cache = new BlockCache(1 << 20);
        var block = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        cache.Add(7, block);
        var part = new byte[32];
        Assert.Multiple(() =>
        {
            Assert.That(cache.TryCopy(7, 256, 64, part), Is.True);
            Assert.That(part, Is.EqualTo(block.Skip(64).Take(32).ToArray()));
            Assert.That(cache.TryCopy(7, 128, 0, part), Is.False, "a block held with another length (a last, shorter strip) is not it");
            Assert.That(cache.TryCopy(8, 256, 0, part), Is.False, "not held");
        });
    }

    /// <summary>The first or last rows kept of a block serve any read within them, and a longer run of first rows replaces a shorter one.</summary>
    [Test]
    public void CopiesWithinWhatIsHeldAndKeepsTheLongerEdge()
    {
        var cache = new BlockCache(1 << 20);
        var rows = Enumerable.Range(0, 64).Select(i => (byte)(i + 1)).ToArray();
        cache.Add(3, rows.AsSpan(0, 16));
        var part = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(cache.TryCopyWithin(3, 8, part), Is.True);
            Assert.That(part, Is.EqualTo(rows.Skip(8).Take(8).ToArray()));
            Assert.That(cache.TryCopyWithin(3, 12, part), Is.False, "beyond what is held");
            Assert.That(cache.TryCopyWithin(4, 0, part), Is.False, "not held");
        });
        cache.Add(3, rows.AsSpan(0, 32));
        cache.Add(3, rows.AsSpan(0, 8));
        Assert.Multiple(() =>
        {
            Assert.That(cache.TryCopyWithin(3, 24, part), Is.True, "the longer edge replaced the shorter, and a shorter one did not replace it");
            Assert.That(part, Is.EqualTo(rows.Skip(24).Take(8).ToArray()));
        });
    }
}
