using System.Numerics;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Raster;

[TestFixture]
public class GeoTiffWriterTests
{
    private static readonly GeoTransform Gk39 = new(39_500_000, 0.8, 0, 4_400_000, 0, -0.8);

    private static T[] Random<T>(int n, int seed) where T : unmanaged, INumberBase<T>
    {
        var rng = new Random(seed);
        var a = new T[n];
        for (int i = 0; i < n; i++) a[i] = T.CreateTruncating(rng.Next(0, 60000) - (typeof(T) == typeof(short) ? 30000 : 0));
        return a;
    }

    private static void RoundTrip<T>(RasterDataType type, int bands) where T : unmanaged, INumberBase<T>
    {
        using var dir = new TempDir();
        string path = dir.File($"rt_{type}.tif");
        const int w = 300, h = 170; // partial edge tiles in both directions with tile 128
        var data = Random<T>(w * h * bands, 7);
        string?[] all = ["blue", null, "red", "nir"];
        string?[] names = bands == 1 ? ["score"] : all[..bands];
        using (var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions
               {
                   Width = w, Height = h, BandCount = bands, DataType = type, Transform = Gk39,
                   Crs = new Crs(4527), NoData = 0, BandNames = names, TileSize = 128,
               }))
        {
            writer.WriteWindow(new PixelWindow(0, 0, w, h), data.AsSpan());
        }

        using var reader = GeoTiffReader.Open(path);
        var info = reader.Info;
        Assert.Multiple(() =>
        {
            Assert.That(info.Width, Is.EqualTo(w));
            Assert.That(info.Height, Is.EqualTo(h));
            Assert.That(info.BandCount, Is.EqualTo(bands));
            Assert.That(info.DataType, Is.EqualTo(type));
            Assert.That(info.Transform, Is.EqualTo(Gk39));
            Assert.That(info.Crs.Epsg, Is.EqualTo(4527));
            Assert.That(info.NoData, Is.EqualTo(0));
            Assert.That(info.BandNames, Is.EqualTo(names));
            Assert.That(info.Tiled, Is.True);
            Assert.That(info.Compression, Is.EqualTo("DEFLATE"));
        });
        var back = new T[w * h * bands];
        reader.Read(info.Bounds, back.AsSpan());
        Assert.That(back, Is.EqualTo(data));
    }

    [Test] public void RoundTripsUInt8() => RoundTrip<byte>(RasterDataType.UInt8, 1);
    [Test] public void RoundTripsUInt16FourBands() => RoundTrip<ushort>(RasterDataType.UInt16, 4);
    [Test] public void RoundTripsInt16() => RoundTrip<short>(RasterDataType.Int16, 2);
    [Test] public void RoundTripsFloat32() => RoundTrip<float>(RasterDataType.Float32, 1);
    [Test] public void RoundTripsFloat64() => RoundTrip<double>(RasterDataType.Float64, 1);
    [Test] public void RoundTripsInt32() => RoundTrip<int>(RasterDataType.Int32, 3);

    [Test]
    public void TilesWrittenOutOfOrderAndFromThreadsReadBackInPlace()
    {
        using var dir = new TempDir();
        string path = dir.File("threads.tif");
        const int w = 1000, h = 700, ts = 256;
        var data = Random<ushort>(w * h, 3);
        using (var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions { Width = w, Height = h, DataType = RasterDataType.UInt16, TileSize = ts, Crs = new Crs(4527), Transform = Gk39 }))
        {
            var (across, down) = writer.TileGrid;
            Parallel.For(0, across * down, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                int t = across * down - 1 - i; // reverse order
                var win = writer.TileWindow(t % across, t / across);
                var tile = new ushort[win.PixelCount];
                for (int r = 0; r < win.Height; r++)
                    data.AsSpan((win.Y + r) * w + win.X, win.Width).CopyTo(tile.AsSpan(r * win.Width));
                writer.WriteTile<ushort>(t % across, t / across, tile);
            });
        }
        using var reader = GeoTiffReader.Open(path);
        Assert.That(reader.ReadBand<ushort>(0), Is.EqualTo(data));
    }

    [Test]
    public void TilesNeverWrittenHoldNoData()
    {
        using var dir = new TempDir();
        string path = dir.File("partial.tif");
        using (var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions { Width = 64, Height = 32, DataType = RasterDataType.UInt8, TileSize = 32, NoData = 255 }))
        {
            writer.WriteTile<byte>(0, 0, Enumerable.Repeat((byte)1, 32 * 32).ToArray());
        }
        using var reader = GeoTiffReader.Open(path);
        var band = reader.ReadBand<byte>(0);
        Assert.Multiple(() =>
        {
            Assert.That(band[0], Is.EqualTo(1));
            Assert.That(band[40], Is.EqualTo(255), "the unwritten right tile");
            Assert.That(band.Count(v => v == 255), Is.EqualTo(32 * 32));
        });
    }

    [Test]
    public void GeographicCrsAndForcedBigTiffRoundTrip()
    {
        using var dir = new TempDir();
        string path = dir.File("geo_big.tif");
        var gt = new GeoTransform(116.25, 1e-5, 0, 40, 0, -1e-5);
        using (var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions { Width = 40, Height = 20, DataType = RasterDataType.UInt8, Transform = gt, Crs = Crs.Cgcs2000, BigTiff = true, TileSize = 16 }))
        {
            writer.WriteWindow<byte>(new PixelWindow(0, 0, 40, 20), Enumerable.Range(0, 800).Select(i => (byte)i).ToArray());
        }
        using var reader = GeoTiffReader.Open(path);
        Assert.Multiple(() =>
        {
            Assert.That(reader.Info.BigTiff, Is.True);
            Assert.That(reader.Info.Crs.Epsg, Is.EqualTo(4490));
            Assert.That(reader.Info.Crs.IsGeographic, Is.True);
            Assert.That(reader.Info.Transform, Is.EqualTo(gt));
            Assert.That(reader.ReadBand<byte>(0)[799], Is.EqualTo((byte)(799 % 256)));
        });
    }

    [Test]
    public void BigTiffIsChosenWhenThePixelsComeNearFourGiB()
    {
        var small = new GeoTiffWriterOptions { Width = 30_000, Height = 30_000, BandCount = 1, DataType = RasterDataType.UInt16 };
        var large = small with { BandCount = 4 }; // 7.2 GB of pixels
        Assert.Multiple(() =>
        {
            Assert.That(GeoTiffWriter.NeedsBigTiff(small), Is.False);
            Assert.That(GeoTiffWriter.NeedsBigTiff(large), Is.True);
            Assert.That(GeoTiffWriter.NeedsBigTiff(large with { BigTiff = false }), Is.False);
        });
    }

    [Test]
    public void RejectsMisalignedWindowAndWrongType()
    {
        using var dir = new TempDir();
        using var writer = GeoTiffWriter.Create(dir.File("x.tif"), new GeoTiffWriterOptions { Width = 64, Height = 64, DataType = RasterDataType.UInt8, TileSize = 32 });
        Assert.Multiple(() =>
        {
            Assert.That(() => writer.WriteWindow<byte>(new PixelWindow(5, 0, 10, 10), new byte[100]), Throws.ArgumentException.With.Message.Contains("tile grid"));
            Assert.That(() => writer.WriteTile<ushort>(0, 0, new ushort[32 * 32]), Throws.ArgumentException.With.Message.Contains("uint8"));
            Assert.That(() => new GeoTiffWriterOptions { Width = 10, Height = 10, DataType = RasterDataType.UInt8, TileSize = 100 }.Validate(), Throws.ArgumentException.With.Message.Contains("multiple of 16"));
        });
    }
}
