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

    [TestCase(1, 1)]
    [TestCase(1, 7)]
    [TestCase(7, 1)]
    [TestCase(33, 17)]
    [TestCase(372, 372)]
    public void DecodesToThePixelsWritten(int width, int height)
    {
        var pixels = Pixels(width, height, width * 31 + height);
        using var stream = new MemoryStream();
        ChipPng.Write(stream, pixels, width, height);
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

    [Test]
    public void RefusesTooFewPixels() =>
        Assert.Throws<ArgumentException>(() => ChipPng.Write(new MemoryStream(), new Rgb24[5], 3, 2));
}
