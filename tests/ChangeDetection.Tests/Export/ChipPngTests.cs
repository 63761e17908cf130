using ChangeDetection.Export;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Tests.Export;

[TestFixture]
public class ChipPngTests
{
    /// <summary>Random pixels with runs of repeated rows and pixels (as an enlarged chip has), of odd and tiny sizes.</summary>
    private static Rgb24[] Pixels(int width, int height, int seed)
    {
        var random = new Random(seed);
        var pixels = new Rgb24[width * height];
        for (int y = 0; y < height; y++)
        {
            if (y > 0 && random.Next(3) > 0)
            {
                Array.Copy(pixels, (y - 1) * width, pixels, y * width, width);
                continue;
            }
            for (int x = 0; x < width; x++)
                pixels[y * width + x] = x > 0 && random.Next(2) == 0 ? pixels[y * width + x - 1] : new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        }
        return pixels;
    }

    [TestCase(1, 1, true)]
    [TestCase(1, 7, true)]
    [TestCase(7, 1, true)]
    [TestCase(33, 17, true)]
    [TestCase(372, 372, true)]
    [TestCase(1, 1, false)]
    [TestCase(33, 17, false)]
    [TestCase(372, 372, false)]
    public void DecodesToThePixelsWritten(int width, int height, bool libDeflate)
    {
        var pixels = Pixels(width, height, width * 31 + height);
        using var stream = new MemoryStream();
        ChipPng.Write(stream, pixels, width, height, libDeflate);
        stream.Position = 0;
        using var image = Image.Load<Rgb24>(stream, out var format);
        Assert.That(format.Name, Is.EqualTo("PNG"));
        Assert.That((image.Width, image.Height), Is.EqualTo((width, height)));
        int wrong = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                if (image[x, y] != pixels[y * width + x]) wrong++;
        Assert.That(wrong, Is.Zero);
    }

    [Test]
    public void ChunksCarryTheirCrc32()
    {
        using var stream = new MemoryStream();
        ChipPng.Write(stream, Pixels(20, 10, 1), 20, 10);
        var bytes = stream.ToArray();
        // IEND's CRC-32 is the same in every PNG: AE 42 60 82 (the CRC of the bytes "IEND").
        Assert.That(bytes[^12..], Is.EqualTo(new byte[] { 0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82 }));
        Assert.That(ChipPng.Crc32.Append(0xFFFFFFFFu, "123456789"u8) ^ 0xFFFFFFFFu, Is.EqualTo(0xCBF43926u), "the CRC-32 check value");
    }

    /// <summary>libdeflate (when installed, as on CI) compresses the chips: its stream differs from zlib-ng's, its CRCs are the managed ones.</summary>
    [Test]
    public void LibDeflateCompressesWhenInstalled()
    {
        if (!PngDeflate.Available) Assert.Ignore("libdeflate.so.0 is not installed (apt-get install libdeflate0).");
        var pixels = Pixels(300, 200, 5);
        using var fast = new MemoryStream();
        using var zlib = new MemoryStream();
        ChipPng.Write(fast, pixels, 300, 200, libDeflate: true);
        ChipPng.Write(zlib, pixels, 300, 200, libDeflate: false);
        Assert.That(fast.ToArray(), Is.Not.EqualTo(zlib.ToArray()), "another compressor");
        Assert.That(PngDeflate.Crc32(0, "123456789"u8), Is.EqualTo(0xCBF43926u), "the CRC-32 check value");
        Assert.That(PngDeflate.Crc32(0xCBF43926u, []), Is.EqualTo(0xCBF43926u), "nothing more: the CRC so far (IEND has no data)");
        var data = new byte[100_003];
        new Random(3).NextBytes(data);
        Assert.That(PngDeflate.Crc32(PngDeflate.Crc32(0, data.AsSpan(0, 777))!.Value, data.AsSpan(777)), Is.EqualTo(ChipPng.Crc32.Append(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu), "continued, as the managed one");
    }

    [Test]
    public void RefusesTooFewPixels() =>
        Assert.Throws<ArgumentException>(() => ChipPng.Write(new MemoryStream(), new Rgb24[5], 3, 2));
}
