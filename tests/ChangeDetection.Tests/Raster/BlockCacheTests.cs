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
}
