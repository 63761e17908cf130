using ChangeDetection.Raster;

namespace ChangeDetection.Tests.Raster;

[TestFixture]
public class TileSchemeTests
{
    [TestCase(1000, 700, 256, 3)]
    [TestCase(17, 17, 17, 0)]
    [TestCase(100, 50, 7, 5)]
    public void CoresPartitionTheGridAndReadWindowsAddTheClippedHalo(int w, int h, int size, int halo)
    {
        var scheme = new TileScheme(w, h, size, halo);
        var covered = new int[w * h];
        foreach (var t in scheme.Tiles())
        {
            for (int y = t.Core.Y; y < t.Core.Bottom; y++)
                for (int x = t.Core.X; x < t.Core.Right; x++)
                    covered[y * w + x]++;
            Assert.That(t.Read, Is.EqualTo(t.Core.Expand(halo, new PixelWindow(0, 0, w, h))));
            Assert.That(t.Read.Contains(t.Core), Is.True);
        }
        Assert.Multiple(() =>
        {
            Assert.That(covered.All(c => c == 1), Is.True, "every pixel in exactly one core");
            Assert.That(scheme.Count, Is.EqualTo(scheme.Tiles().Count()));
        });
    }

    [Test]
    public void InteriorTileReadsTheFullHaloAndEdgeTileIsClipped()
    {
        var scheme = new TileScheme(1000, 1000, 100, 4);
        Assert.Multiple(() =>
        {
            Assert.That(scheme[5, 5].Read, Is.EqualTo(new PixelWindow(496, 496, 108, 108)));
            Assert.That(scheme[0, 0].Read, Is.EqualTo(new PixelWindow(0, 0, 104, 104)));
            Assert.That(scheme[0, 0].CoreInRead, Is.EqualTo(new PixelWindow(0, 0, 100, 100)));
            Assert.That(scheme[5, 5].CoreInRead, Is.EqualTo(new PixelWindow(4, 4, 100, 100)));
        });
    }
}
