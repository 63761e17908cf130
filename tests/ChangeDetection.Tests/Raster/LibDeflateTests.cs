using System.IO.Compression;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Raster;

/// <summary>
/// libdeflate (the system library, when it loads) against ZLibStream: the same bytes from the same streams, and a refusal
/// (−1, so the reader falls back to ZLibStream and its messages) for a corrupt, truncated or oversized stream.
/// </summary>
[TestFixture]
public class LibDeflateTests
{
    private static void RequireLibrary()
    {
        if (!LibDeflate.Available) Assert.Ignore("libdeflate.so.0 is not installed (apt-get install libdeflate0); the reader inflates with ZLibStream alone.");
    }

    private static (byte[] Raw, byte[] Stream) Sample(int seed, int length)
    {
        var random = new Random(seed);
        var raw = new byte[length];
        // Smooth uint16-like data with noise: what image blocks look like to the codec (runs, matches and literals).
        for (int i = 0; i < length; i += 2)
        {
            int v = 1000 + (int)(500 * Math.Sin(i / 300.0)) + random.Next(40);
            raw[i] = (byte)v;
            if (i + 1 < length) raw[i + 1] = (byte)(v >> 8);
        }
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal)) z.Write(raw);
        return (raw, ms.ToArray());
    }

    [Test]
    public void InflatesTheBytesZLibStreamDoes()
    {
        RequireLibrary();
        foreach (int length in new[] { 1, 1000, 131_072 })
        {
            var (raw, stream) = Sample(length, length);
            var into = new byte[length + 64];
            int got = LibDeflate.TryInflate(stream, into);
            Assert.Multiple(() =>
            {
                Assert.That(got, Is.EqualTo(length));
                Assert.That(into.AsSpan(0, length).SequenceEqual(raw), Is.True, $"{length} bytes");
            });
        }
    }

    [Test]
    public void RefusesCorruptTruncatedAndOversizedStreams()
    {
        RequireLibrary();
        var (raw, stream) = Sample(7, 20_000);
        var truncated = stream.AsSpan(0, stream.Length / 2).ToArray();
        var badChecksum = (byte[])stream.Clone();
        badChecksum[^1] ^= 0x5A;
        Assert.Multiple(() =>
        {
            Assert.That(LibDeflate.TryInflate(truncated, new byte[raw.Length]), Is.EqualTo(-1), "truncated");
            Assert.That(LibDeflate.TryInflate(badChecksum, new byte[raw.Length]), Is.EqualTo(-1), "Adler-32 wrong");
            Assert.That(LibDeflate.TryInflate(stream, new byte[raw.Length - 1]), Is.EqualTo(-1), "does not fit");
            Assert.That(LibDeflate.TryInflate(stream, new byte[raw.Length]), Is.EqualTo(raw.Length), "fits exactly");
        });
    }

    /// <summary>
    /// Whole DEFLATE files (tiled with edge tiles, BigTIFF) read through a block cache, i.e. in whole blocks, give the same
    /// samples with libdeflate as with ZLibStream alone.
    /// </summary>
    [TestCase("tiled256_deflate_pixel_u16.tif")]
    [TestCase("bigtiff_tiled_deflate_u16.tif")]
    public void ReaderGivesTheSameSamplesWithAndWithoutLibDeflate(string file)
    {
        RequireLibrary();
        string path = Path.Combine(SharedData.RequireDir("geotiff"), file);
        ushort[] Read()
        {
            using var reader = GeoTiffReader.Open(path, 64L << 20);
            var all = new ushort[reader.Info.Bounds.PixelCount * reader.Info.BandCount];
            reader.Read(reader.Info.Bounds, all.AsSpan());
            return all;
        }
        var fast = Read();
        ushort[] plain;
        try
        {
            LibDeflate.Disabled = true;
            plain = Read();
        }
        finally
        {
            LibDeflate.Disabled = false;
        }
        Assert.That(fast, Is.EqualTo(plain));
    }
}
