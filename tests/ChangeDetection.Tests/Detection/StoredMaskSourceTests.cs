using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tests.Vectorization;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tests.Detection;

/// <summary>
/// The mask read from the stored mask tiles (what the run's patches trace while the mask file is still being assembled)
/// holds the mask file's pixels, and gives the patches and owners the file gives.
/// </summary>
[TestFixture]
public class StoredMaskSourceTests
{
    // Not multiples of the tile: the last column and row of tiles are clipped.
    private const int Width = 150, Height = 110, TileSize = 64;

    /// <summary>A mask of blobs with holes, a few change classes and a nodata border, as the mask pass leaves it.</summary>
    private static byte[] Mask()
    {
        var m = TestMasks.Make("holes", Width, Height, seed: 7);
        var blobs = TestMasks.Make("blobs", Width, Height, seed: 8);
        for (int i = 0; i < m.Length; i++)
        {
            if (blobs[i] != 0 && i % 7 == 0) m[i] = 2;
            int x = i % Width, y = i / Width;
            if (x < 3 || y >= Height - 2) m[i] = Morphology.NoData;
        }
        return m;
    }

    /// <summary>Each tile's core into a store, as the mask pass puts it.</summary>
    private static MemoryTileStore Store(byte[] mask, TileScheme scheme)
    {
        var store = new MemoryTileStore();
        foreach (var tile in scheme.Tiles())
        {
            var core = new byte[tile.Core.PixelCount];
            for (int y = 0; y < tile.Core.Height; y++)
                mask.AsSpan((tile.Core.Y + y) * Width + tile.Core.X, tile.Core.Width).CopyTo(core.AsSpan(y * tile.Core.Width));
            TileStages.Mask.Put(store, tile.Index, core);
        }
        return store;
    }

    private static byte[] Window(byte[] mask, PixelWindow w)
    {
        var result = new byte[w.PixelCount];
        for (int y = 0; y < w.Height; y++) mask.AsSpan((w.Y + y) * Width + w.X, w.Width).CopyTo(result.AsSpan(y * w.Width));
        return result;
    }

    [Test]
    public void Reads_the_pixels_of_any_window()
    {
        var mask = Mask();
        var scheme = new TileScheme(Width, Height, TileSize);
        var source = new StoredMaskSource(Store(mask, scheme), scheme);
        var windows = scheme.Tiles().Select(t => t.Core)
            .Concat([new PixelWindow(0, 0, Width, Height), new PixelWindow(5, 7, 100, 90), new PixelWindow(63, 63, 2, 2), new PixelWindow(149, 0, 1, 110)]);
        Assert.Multiple(() =>
        {
            Assert.That((source.Width, source.Height, source.NoData, source.PreferredTile), Is.EqualTo((Width, Height, (byte?)Morphology.NoData, (TileSize, TileSize))));
            foreach (var w in windows)
            {
                var read = new byte[w.PixelCount];
                source.Read(w, read);
                Assert.That(read, Is.EqualTo(Window(mask, w)), w.ToString());
            }
        });
    }

    [TestCase(1)]
    [TestCase(2)]
    public void Gives_the_patches_and_owners_of_the_mask_file(int workers)
    {
        using var dir = new TempDir();
        var mask = Mask();
        var scheme = new TileScheme(Width, Height, TileSize);
        string path = MaskFiles.Write(dir.File("mask.tif"), mask, Width, Height, MaskFiles.Gk39TwoMetre, MaskFiles.Gk39, noData: Morphology.NoData);
        // Every pixel of change and a few of none: the owners of both must agree.
        var probes = Enumerable.Range(0, Width * Height).Where(i => i % 5 == 0).Select(i => new PixelPoint(i % Width, i / Width)).ToList();
        var options = new PolygonizeOptions { MaxDegreeOfParallelism = workers, MinPixelCount = 3 };
        PolygonizedMask fromFile;
        using (var reader = GeoTiffReader.Open(path))
            fromFile = MaskPolygonizer.PolygonizeWithOwners(new GeoTiffMaskSource(reader), probes, options);
        var stored = MaskPolygonizer.PolygonizeWithOwners(new StoredMaskSource(Store(mask, scheme), scheme), probes, options);
        Assert.That(fromFile.Components, Has.Count.GreaterThan(5), "the mask has patches");
        Assert.That(fromFile.Components.Select(c => c.PixelGeometry).OfType<NetTopologySuite.Geometries.Polygon>().Sum(p => p.NumInteriorRings), Is.GreaterThan(0),
            "and holes");
        Assert.Multiple(() =>
        {
            Assert.That(stored.Components.Select(c => (c.PatchId, c.ClassValue, c.PixelCount)), Is.EqualTo(fromFile.Components.Select(c => (c.PatchId, c.ClassValue, c.PixelCount))));
            for (int i = 0; i < Math.Min(stored.Components.Count, fromFile.Components.Count); i++)
                Assert.That(stored.Components[i].PixelGeometry.EqualsExact(fromFile.Components[i].PixelGeometry), Is.True, $"component {i + 1}");
            Assert.That(stored.Owners.Count, Is.EqualTo(fromFile.Owners.Count).And.GreaterThan(0));
            foreach (var p in probes)
            {
                bool inFile = fromFile.Owners.TryGetOwner(p, out var expected);
                Assert.That(stored.Owners.TryGetOwner(p, out var actual), Is.EqualTo(inFile), p.ToString());
                if (inFile) Assert.That(actual, Is.EqualTo(expected), p.ToString());
            }
        });
    }

    [Test]
    public void A_missing_tile_is_an_error()
    {
        var scheme = new TileScheme(Width, Height, TileSize);
        var store = Store(Mask(), scheme);
        var partial = new MemoryTileStore();
        foreach (var tile in scheme.Tiles().Skip(1)) partial.Put(TileStages.Mask.Name, tile.Index, store.Get(TileStages.Mask.Name, tile.Index)!);
        var source = new StoredMaskSource(partial, scheme);
        var buffer = new byte[TileSize * TileSize];
        Assert.Multiple(() =>
        {
            Assert.That(() => source.Read(scheme[0, 0].Core, buffer), Throws.InvalidOperationException.With.Message.Contains("Mask tile 0"));
            Assert.That(() => source.Read(scheme[1, 0].Core, buffer), Throws.Nothing);
        });
    }
}
