using System.Security.Cryptography;
using System.Text.Json;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Raster;

/// <summary>Every case of shared/data/geotiff/manifest.json (files written by GDAL 3.6.2) must read back exactly.</summary>
[TestFixture]
public class GeoTiffConformanceTests
{
    public sealed record Case(string File, int Width, int Height, int Bands, string Dtype, double[] Geotransform,
        int? Epsg, double? Nodata, string[] BandSha256, double[] BandSum)
    {
        public override string ToString() => File;
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IEnumerable<TestCaseData> Cases()
    {
        string? root = SharedData.RootOrNull;
        string manifest = root is null ? "" : Path.Combine(root, "geotiff", "manifest.json");
        if (!File.Exists(manifest))
        {
            yield return new TestCaseData(null).SetName("Conformance(shared data absent)");
            yield break;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var item = c.Deserialize<Case>(Json)!;
            yield return new TestCaseData(item).SetName($"Conformance({item.File})");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void ReadsCaseExactly(Case? c)
    {
        string dir = SharedData.RequireDir("geotiff");
        Assert.That(c, Is.Not.Null);
        using var reader = GeoTiffReader.Open(Path.Combine(dir, c!.File));
        var info = reader.Info;
        Assert.Multiple(() =>
        {
            Assert.That(info.Width, Is.EqualTo(c.Width));
            Assert.That(info.Height, Is.EqualTo(c.Height));
            Assert.That(info.BandCount, Is.EqualTo(c.Bands));
            Assert.That(info.DataType.Name(), Is.EqualTo(c.Dtype));
            Assert.That(info.Transform.ToArray(), Is.EqualTo(c.Geotransform));
            Assert.That(info.Crs.Epsg, Is.EqualTo(c.Epsg));
            Assert.That(info.NoData, Is.EqualTo(c.Nodata));
            Assert.That(info.IsGeoreferenced, Is.True);
        });

        var (sha, sum) = RasterChecksum.Compute(reader);
        Assert.Multiple(() =>
        {
            Assert.That(sha, Is.EqualTo(c.BandSha256));
            for (int b = 0; b < c.Bands; b++)
                Assert.That(sum[b], Is.EqualTo(c.BandSum[b]).Within(Math.Abs(c.BandSum[b]) * 1e-9 + 1e-6), $"band {b} sum");
        });
    }
}
