using System.Text.Json;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Raster;

/// <summary>Files written by our writer, checked by GDAL itself (gdalinfo -json and the Python bindings).</summary>
[TestFixture]
[Category("Gdal")]
public class GdalInteropTests
{
    private static string WriteSample(TempDir dir, RasterDataType type, int bands, Crs crs, GeoTransform gt, double? nodata, bool bigTiff = false)
    {
        string path = dir.File($"sample_{type}_{bands}.tif");
        const int w = 333, h = 210;
        var rng = new Random(11);
        using var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions
        {
            Width = w, Height = h, BandCount = bands, DataType = type, Crs = crs, Transform = gt, NoData = nodata,
            BandNames = Enumerable.Range(0, bands).Select(b => (string?)$"band{b}").ToArray(), TileSize = 128, BigTiff = bigTiff,
        });
        switch (type)
        {
            case RasterDataType.UInt8: writer.WriteWindow(new PixelWindow(0, 0, w, h), Enumerable.Range(0, w * h * bands).Select(_ => (byte)rng.Next(256)).ToArray().AsSpan()); break;
            case RasterDataType.UInt16: writer.WriteWindow(new PixelWindow(0, 0, w, h), Enumerable.Range(0, w * h * bands).Select(_ => (ushort)rng.Next(65536)).ToArray().AsSpan()); break;
            case RasterDataType.Float32: writer.WriteWindow(new PixelWindow(0, 0, w, h), Enumerable.Range(0, w * h * bands).Select(_ => (float)rng.NextDouble() * 100).ToArray().AsSpan()); break;
            default: throw new NotSupportedException();
        }
        return path;
    }

    public static IEnumerable<TestCaseData> Samples()
    {
        yield return new TestCaseData(RasterDataType.UInt8, 1, 4527, new[] { 39_500_000, 0.8, 0, 4_400_000, 0, -0.8 }, 255.0, false).SetName("Gdal reads uint8 mask, CGCS2000 GK zone 39");
        yield return new TestCaseData(RasterDataType.UInt16, 4, 4527, new[] { 39_500_000, 0.8, 0, 4_400_000, 0, -0.8 }, 0.0, false).SetName("Gdal reads uint16 4-band");
        yield return new TestCaseData(RasterDataType.Float32, 1, 32650, new[] { 400_000, 4.0, 0, 3_500_000, 0, -4.0 }, -9999.0, false).SetName("Gdal reads float32 UTM");
        yield return new TestCaseData(RasterDataType.UInt8, 2, 4490, new[] { 116.25, 1e-5, 0, 40, 0, -1e-5 }, null, true).SetName("Gdal reads BigTIFF geographic CGCS2000");
    }

    [TestCaseSource(nameof(Samples))]
    public void GdalinfoReadsOurGeoTiffExactly(RasterDataType type, int bands, int epsg, double[] gt, double? nodata, bool bigTiff)
    {
        string gdalinfo = ExternalTools.RequireTool("gdalinfo");
        using var dir = new TempDir();
        var crs = new Crs(epsg, IsGeographic: epsg == 4490);
        string path = WriteSample(dir, type, bands, crs, GeoTransform.FromArray(gt), nodata, bigTiff);

        var (code, stdout, stderr) = ExternalTools.Run(gdalinfo, ["-json", path]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stderr, Does.Not.Contain("Warning").And.Not.Contain("ERROR"));
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        string gdalType = type switch { RasterDataType.UInt8 => "Byte", RasterDataType.UInt16 => "UInt16", _ => "Float32" };
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("size").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 333, 210 }));
            Assert.That(root.GetProperty("geoTransform").EnumerateArray().Select(e => e.GetDouble()), Is.EqualTo(gt));
            Assert.That(root.GetProperty("stac").GetProperty("proj:epsg").GetInt32(), Is.EqualTo(epsg));
            Assert.That(root.GetProperty("metadata").GetProperty("IMAGE_STRUCTURE").GetProperty("COMPRESSION").GetString(), Is.EqualTo("DEFLATE"));
            var bandsJson = root.GetProperty("bands").EnumerateArray().ToList();
            Assert.That(bandsJson, Has.Count.EqualTo(bands));
            for (int b = 0; b < bands; b++)
            {
                Assert.That(bandsJson[b].GetProperty("type").GetString(), Is.EqualTo(gdalType));
                Assert.That(bandsJson[b].GetProperty("description").GetString(), Is.EqualTo($"band{b}"));
                Assert.That(bandsJson[b].GetProperty("block").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 128, 128 }));
                if (nodata is double nd) Assert.That(bandsJson[b].GetProperty("noDataValue").GetDouble(), Is.EqualTo(nd));
                else Assert.That(bandsJson[b].TryGetProperty("noDataValue", out _), Is.False);
            }
        });
    }

    [TestCaseSource(nameof(Samples))]
    public void GdalSeesTheSamePixels(RasterDataType type, int bands, int epsg, double[] gt, double? nodata, bool bigTiff)
    {
        string python = ExternalTools.RequireGdalPython();
        using var dir = new TempDir();
        string path = WriteSample(dir, type, bands, new Crs(epsg, IsGeographic: epsg == 4490), GeoTransform.FromArray(gt), nodata, bigTiff);
        const string script = "import sys,hashlib\nfrom osgeo import gdal\nds=gdal.Open(sys.argv[1])\nfor b in range(ds.RasterCount):\n  print(hashlib.sha256(ds.GetRasterBand(b+1).ReadRaster()).hexdigest())";
        var (code, stdout, stderr) = ExternalTools.Run(python, ["-c", script, path]);
        Assert.That(code, Is.Zero, stderr);
        using var reader = GeoTiffReader.Open(path);
        var (ours, _) = RasterChecksum.Compute(reader);
        Assert.That(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(ours));
    }
}
