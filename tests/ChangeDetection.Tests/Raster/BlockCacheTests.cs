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

    /// <summary>
    /// While holding, blocks go apart from the cache, beyond its capacity up to twice it, and reads leave them there; once
    /// no longer holding, the first read of each moves it into the cache as the most recently used, where it is evicted as
    /// any block is, and the cache's arrays stay within the capacity.
    /// </summary>
    [Test]
    public void HeldBlocksStayUntilReadAfterHoldingThenMoveIntoTheCache()
    {
        var cache = new BlockCache(4 * 256) { Holding = true };
        byte[] Block(int i) => Enumerable.Range(0, 256).Select(v => (byte)(v + i)).ToArray();
        for (int i = 0; i < 10; i++) cache.Add(i, Block(i));
        var got = new byte[256];
        Assert.Multiple(() =>
        {
            Assert.That(cache.HeldBytes, Is.EqualTo(8 * 256), "twice the capacity held apart");
            Assert.That(cache.ArrayBytes, Is.EqualTo(2 * 256), "the two beyond it went into the cache");
            Assert.That(cache.TryCopy(0, got), Is.True);
            Assert.That(got, Is.EqualTo(Block(0)));
            Assert.That(cache.HeldBytes, Is.EqualTo(8 * 256), "a read while holding leaves the block held");
        });
        cache.Holding = false;
        // Many blocks through the cache: none of the held ones is evicted.
        for (int i = 100; i < 120; i++) cache.Add(i, Block(i));
        for (int i = 0; i < 8; i++)
        {
            Assert.That(cache.TryCopy(i, got), Is.True, $"block {i}");
            Assert.That(got, Is.EqualTo(Block(i)), $"block {i}");
        }
        Assert.Multiple(() =>
        {
            Assert.That(cache.HeldBytes, Is.Zero, "each read moved its block into the cache");
            Assert.That(cache.ArrayBytes, Is.LessThanOrEqualTo(4 * 256));
            Assert.That(cache.TryCopy(7, got), Is.True, "the last read is cached");
            Assert.That(cache.TryCopy(0, got), Is.False, "the first read was evicted from the cache as any block is");
        });
        cache.Holding = true;
        cache.Add(50, Block(50));
        cache.ReleaseHeld();
        Assert.That(cache.TryCopy(50, got), Is.False, "released");
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

    /// <summary>
    /// Evicted arrays are reused for later blocks, of the same length or shorter (edge rows of varying lengths), and every
    /// block read back holds its own bytes, not those of the block whose array it took.
    /// </summary>
    [Test]
    public void ReusedArraysHoldTheNewBlocksBytes()
    {
        var cache = new BlockCache(4 * 256);
        static byte[] Block(int index, int length) => Enumerable.Range(0, length).Select(i => (byte)(index * 31 + i)).ToArray();
        for (int index = 0; index < 12; index++) cache.Add(index, Block(index, index % 3 == 2 ? 100 : 256));
        var got = new byte[256];
        Assert.Multiple(() =>
        {
            for (int index = 0; index < 12; index++)
            {
                int length = index % 3 == 2 ? 100 : 256;
                bool held = cache.TryCopy(index, length, 0, got.AsSpan(0, length));
                // The last blocks added fit the capacity (1024 bytes: at least the last three); the first ones were evicted.
                if (index >= 9) Assert.That(held, Is.True, $"block {index} held");
                if (index <= 5) Assert.That(held, Is.False, $"block {index} evicted");
                if (held) Assert.That(got.AsSpan(0, length).ToArray(), Is.EqualTo(Block(index, length)), $"block {index}");
            }
        });
    }

    /// <summary>
    /// The arrays held and kept for reuse together never pass the capacity, whatever the mix of block lengths (edge rows of
    /// 1 to 16 rows, whole blocks, longer edges replacing shorter ones), and the cache serves each block it holds.
    /// </summary>
    [Test]
    public void ArraysHeldAndKeptStayWithinTheCapacity()
    {
        const long capacity = 64 * 512;
        var cache = new BlockCache(capacity);
        var random = new Random(5);
        var lengths = new Dictionary<int, int>();
        long most = 0;
        for (int step = 0; step < 2000; step++)
        {
            int index = random.Next(40), length = 512 * random.Next(1, 17);
            var block = Enumerable.Range(0, length).Select(i => (byte)(index + i)).ToArray();
            cache.Add(index, block);
            most = Math.Max(most, cache.ArrayBytes);
            var back = new byte[length];
            if (cache.TryCopyWithin(index, 0, back)) Assert.That(back, Is.EqualTo(block), $"step {step}: block {index}");
            else Assert.Fail($"step {step}: block {index} of {length} bytes was just added");
        }
        Assert.That(most, Is.InRange(capacity / 2, capacity));
        cache.Clear();
        Assert.That(cache.ArrayBytes, Is.Zero);
    }

    /// <summary>A block's last rows, kept as many as wanted, serve a read that starts that many bytes or fewer before the block's end.</summary>
    [Test]
    public void CopiesFromTheEndOfWhatIsHeld()
    {
        var cache = new BlockCache(1 << 20);
        var block = Enumerable.Range(0, 64).Select(i => (byte)(i + 1)).ToArray();
        cache.Add(5, block.AsSpan(48));
        var part = new byte[8];
        Assert.Multiple(() =>
        {
            Assert.That(cache.TryCopyFromEnd(5, 16, part), Is.True);
            Assert.That(part, Is.EqualTo(block.Skip(48).Take(8).ToArray()));
            Assert.That(cache.TryCopyFromEnd(5, 8, part), Is.True);
            Assert.That(part, Is.EqualTo(block.Skip(56).ToArray()));
            Assert.That(cache.TryCopyFromEnd(5, 24, part), Is.False, "more rows than held");
            Assert.That(cache.TryCopyFromEnd(5, 4, part), Is.False, "the read runs past the end");
            Assert.That(cache.TryCopyFromEnd(6, 8, part), Is.False, "not held");
        });
    }
}
