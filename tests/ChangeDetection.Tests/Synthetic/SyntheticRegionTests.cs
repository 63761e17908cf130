using System.Security.Cryptography;
using System.Text.Json;
using ChangeDetection.Overlay;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Synthetic;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Synthetic;

[TestFixture]
public class SyntheticRegionTests
{
    private static readonly string[] ChangeKinds = ["construction", "earthwork", "pond", "road", "solar", "vegetation"];

    private TempDir _dir = null!;
    private SyntheticRegionSummary _region = null!;

    [OneTimeSetUp]
    public void GenerateOnce()
    {
        _dir = new TempDir();
        _region = SyntheticRegion.Generate(_dir.File("region"), new SyntheticRegionOptions { Size = 1024, Seed = 7 });
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    private static Dictionary<string, string> FileHashes(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static string[] BandSha(string tif)
    {
        using var reader = GeoTiffReader.Open(tif);
        return RasterChecksum.Compute(reader).Sha256;
    }

    private static List<IFeature> Features(string path) => GeoJsonLayer.Read(path).ToList();

    [Test]
    public void SameSeedGivesByteIdenticalFiles()
    {
        using var tmp = new TempDir();
        var a = SyntheticRegion.Generate(tmp.File("a"), new SyntheticRegionOptions { Size = 512, Seed = 42 });
        var b = SyntheticRegion.Generate(tmp.File("b"), new SyntheticRegionOptions { Size = 512, Seed = 42 });
        var ha = FileHashes(a.Directory);
        Assert.Multiple(() =>
        {
            Assert.That(ha.Keys, Is.SupersetOf(new[] { "before.tif", "after.tif", "truth.geojson", "region.json", Path.Combine("layers", "admin.geojson") }));
            Assert.That(FileHashes(b.Directory), Is.EqualTo(ha));
            Assert.That(BandSha(b.AfterImage), Is.EqualTo(BandSha(a.AfterImage)));
        });
    }

    [Test]
    public void DifferentSeedGivesDifferentFiles()
    {
        using var tmp = new TempDir();
        var a = SyntheticRegion.Generate(tmp.File("a"), new SyntheticRegionOptions { Size = 512, Seed = 42 });
        var b = SyntheticRegion.Generate(tmp.File("b"), new SyntheticRegionOptions { Size = 512, Seed = 43 });
        var shaA = BandSha(a.BeforeImage).Concat(BandSha(a.AfterImage)).ToArray();
        var shaB = BandSha(b.BeforeImage).Concat(BandSha(b.AfterImage)).ToArray();
        Assert.Multiple(() =>
        {
            for (int i = 0; i < shaA.Length; i++) Assert.That(shaB[i], Is.Not.EqualTo(shaA[i]), $"band {i % 4 + 1} of {(i < 4 ? "before" : "after")}");
            Assert.That(File.ReadAllBytes(b.TruthFile), Is.Not.EqualTo(File.ReadAllBytes(a.TruthFile)));
        });
    }

    [Test]
    public void TileSizeAndWorkerCountDoNotChangeTheFiles()
    {
        // 640 is not a multiple of 512: the last strip and column are partial.
        using var tmp = new TempDir();
        var a = SyntheticRegion.Generate(tmp.File("a"), new SyntheticRegionOptions { Size = 640, Seed = 5, TileSize = 256, Workers = 1 });
        var b = SyntheticRegion.Generate(tmp.File("b"), new SyntheticRegionOptions { Size = 640, Seed = 5, TileSize = 512, Workers = 3 });
        Assert.That(FileHashes(b.Directory), Is.EqualTo(FileHashes(a.Directory)));
    }

    [Test]
    public void TruthPolygonsAreValidInsideTheImageAndOfTheDocumentedKinds()
    {
        var truth = Features(_region.TruthFile);
        var image = ImageBox(_region);
        var kinds = truth.Select(f => (string)f.Attributes["kind"]).ToList();
        var changes = truth.Where(f => (string)f.Attributes["kind"] != "pseudo").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(kinds.Distinct(), Is.SubsetOf(ChangeKinds.Append("pseudo")));
            Assert.That(kinds.Distinct(), Is.SupersetOf(ChangeKinds), "every change kind is injected");
            Assert.That(kinds.Count(k => k == "pseudo"), Is.GreaterThanOrEqualTo(4), "cloud, its shadow, a ploughed and a flooded field");
            Assert.That(truth.Select(f => f.Attributes["detail"]).OfType<string>(), Has.Some.Contains("cloud shadow").And.Some.Contains("ploughed").And.Some.Contains("flooded"));
            Assert.That(truth.Select(f => f.Attributes["id"]).Distinct().Count(), Is.EqualTo(truth.Count), "ids are unique");
            foreach (var f in truth)
            {
                Assert.That(f.Geometry, Is.InstanceOf<Polygon>());
                Assert.That(f.Geometry.IsValid, Is.True, $"{f.Attributes["id"]} is a valid polygon");
                Assert.That(image.Contains(f.Geometry), Is.True, $"{f.Attributes["id"]} lies inside the image");
                Assert.That(Convert.ToDouble(f.Attributes["area_m2"], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(f.Geometry.Area).Within(0.01));
            }
            Assert.That(changes.Count(f => f.Geometry.Area >= 400), Is.GreaterThanOrEqualTo(0.8 * changes.Count), "most changes are ≥ 400 m²");
            Assert.That(changes.Where(f => (string)f.Attributes["kind"] == "construction").Select(f => f.Geometry.Area), Is.All.GreaterThanOrEqualTo(200));
            for (int i = 0; i < truth.Count; i++)
                for (int j = i + 1; j < truth.Count; j++)
                    Assert.That(truth[i].Geometry.Intersects(truth[j].Geometry), Is.False, $"{truth[i].Attributes["id"]} and {truth[j].Attributes["id"]} overlap");
        });
    }

    [Test]
    public void SizesAreRealisticForTheirKind()
    {
        static double Length(Geometry g)
        {
            var r = new NetTopologySuite.Algorithm.MinimumDiameter(g).GetMinimumRectangle().Coordinates;
            return Math.Max(r[0].Distance(r[1]), r[1].Distance(r[2]));
        }
        var truth = Features(_region.TruthFile);
        IEnumerable<Geometry> Of(string kind) => truth.Where(f => (string)f.Attributes["kind"] == kind).Select(f => f.Geometry);
        Assert.Multiple(() =>
        {
            Assert.That(Of("construction").Select(Length), Is.All.InRange(18.0, 60.5 * Math.Sqrt(2)));
            Assert.That(Of("pond").Select(Length), Is.All.InRange(40.0, 120.5));
            Assert.That(Of("solar").Select(Length), Is.All.InRange(100.0, 300.5));
            Assert.That(Of("road").Select(Length), Is.All.InRange(200.0, 800.5));
            Assert.That(Of("road").Select(g => g.Area / Length(g)), Is.All.InRange(7.99, 12.01), "road width");
        });
    }

    [Test]
    public void CountsScaleWithTheAreaAndMatchTheSummary()
    {
        var truth = Features(_region.TruthFile);
        Assert.Multiple(() =>
        {
            foreach (var (kind, n) in _region.CountsByKind)
                Assert.That(truth.Count(f => (string)f.Attributes["kind"] == kind), Is.EqualTo(n), kind);
            // 1 km² here; the 4096-pixel default (16.8 km²) aims at 20–40 changes, 5–10 look-alikes.
            using var tmp = new TempDir();
            var scene = SceneBuilder.Build(new SyntheticRegionOptions { Size = 4096, Seed = 42 });
            Assert.That(scene.Changes, Has.Count.InRange(20, 40));
            Assert.That(scene.Pseudo, Has.Count.InRange(5, 10));
        });
    }

    /// <summary>Mean absolute after − before difference (all bands) of the pixels whose centres fall in the mask.</summary>
    private static (double Inside, double Outside, Dictionary<string, double> PerFeature) Differences(SyntheticRegionSummary region, IReadOnlyList<IFeature> inside, IReadOnlyList<IFeature> exclude, bool normalise = true)
    {
        using var rb = GeoTiffReader.Open(region.BeforeImage);
        using var ra = GeoTiffReader.Open(region.AfterImage);
        int n = rb.Info.Width;
        var before = new ushort[4L * n * n];
        var after = new ushort[4L * n * n];
        rb.Read<ushort>(rb.Info.Bounds, before);
        ra.Read<ushort>(ra.Info.Bounds, after);
        var gt = rb.Info.Transform;
        long plane = (long)n * n;
        // Relative radiometric normalisation, as a change pipeline does first: after' = a·after + b per
        // band, matching the before image's mean and spread over the whole scene.
        var gain = new double[4];
        var offset = new double[4];
        for (int b = 0; b < 4; b++)
        {
            if (!normalise) { gain[b] = 1; continue; }
            var sb = before.AsSpan((int)(b * plane), (int)plane).ToArray().Select(x => (double)x).ToArray();
            var sa = after.AsSpan((int)(b * plane), (int)plane).ToArray().Select(x => (double)x).ToArray();
            double mb = sb.Average(), ma = sa.Average();
            double db = Math.Sqrt(sb.Average(x => (x - mb) * (x - mb))), da = Math.Sqrt(sa.Average(x => (x - ma) * (x - ma)));
            gain[b] = db / da;
            offset[b] = mb - gain[b] * ma;
        }
        double Diff(long i) { double s = 0; for (int b = 0; b < 4; b++) s += Math.Abs(gain[b] * after[i + b * plane] + offset[b] - before[i + b * plane]); return s / 4; }
        var excluded = new bool[(long)n * n];
        var perFeature = new Dictionary<string, double>();
        double insideSum = 0;
        long insideCount = 0;
        foreach (var f in exclude)
        {
            var env = f.Geometry.EnvelopeInternal;
            var locator = new IndexedPointInAreaLocator(f.Geometry);
            var (c0, r1) = gt.MapToPixel(env.MinX, env.MinY);
            var (c1, r0) = gt.MapToPixel(env.MaxX, env.MaxY);
            bool isInside = inside.Contains(f);
            double sum = 0;
            long count = 0;
            for (int y = Math.Max(0, (int)r0 - 2); y < Math.Min(n, (int)r1 + 2); y++)
                for (int x = Math.Max(0, (int)c0 - 2); x < Math.Min(n, (int)c1 + 2); x++)
                {
                    var (mx, my) = gt.PixelToMap(x + 0.5, y + 0.5);
                    if (locator.Locate(new Coordinate(mx, my)) != Location.Interior) continue;
                    excluded[(long)y * n + x] = true;
                    if (!isInside) continue;
                    sum += Diff((long)y * n + x);
                    count++;
                }
            if (isInside) { perFeature[(string)f.Attributes["id"]] = sum / Math.Max(1, count); insideSum += sum; insideCount += count; }
        }
        double outsideSum = 0;
        long outsideCount = 0;
        for (long i = 0; i < (long)n * n; i++) if (!excluded[i]) { outsideSum += Diff(i); outsideCount++; }
        return (insideSum / insideCount, outsideSum / outsideCount, perFeature);
    }

    [Test]
    public void AfterImageDiffersInsideChangesMuchMoreThanOutside()
    {
        var truth = Features(_region.TruthFile);
        var changes = truth.Where(f => (string)f.Attributes["kind"] != "pseudo").ToList();
        var (inside, outside, perFeature) = Differences(_region, changes, truth);
        var (naiveInside, naiveOutside, _) = Differences(_region, changes, truth, normalise: false);
        TestContext.Out.WriteLine($"mean |after-before| (normalised) inside changes {inside:F0} DN, outside {outside:F0} DN; naive {naiveInside:F0} / {naiveOutside:F0}; "
            + string.Join(", ", perFeature.Select(kv => $"{kv.Key} {kv.Value:F0}")));
        Assert.Multiple(() =>
        {
            Assert.That(inside, Is.GreaterThan(3 * outside));
            foreach (var (id, d) in perFeature) Assert.That(d, Is.GreaterThan(2 * outside), $"change {id} stands out");
            Assert.That(naiveInside, Is.GreaterThan(1.8 * naiveOutside), "changes stand out even without normalisation");
            // Seasonal and radiometric differences and misregistration: differencing is far from zero outside the changes.
            // Sensor noise alone (σ = 25 DN per image) gives E|a − b| = 25·√2·√(2/π) ≈ 28 DN.
            Assert.That(outside, Is.GreaterThan(2 * 28.2), "well above what the sensor noise alone gives");
            Assert.That(naiveOutside, Is.GreaterThan(outside), "the after image has its own gain and offset");
        });
    }

    [Test]
    public void PseudoChangesAlsoDifferFromTheBeforeImage()
    {
        var truth = Features(_region.TruthFile);
        var pseudo = truth.Where(f => (string)f.Attributes["kind"] == "pseudo").ToList();
        var (_, outside, perFeature) = Differences(_region, pseudo, truth);
        TestContext.Out.WriteLine(string.Join(", ", perFeature.Select(kv => $"{kv.Key} {kv.Value:F0}")) + $"; outside {outside:F0}");
        Assert.That(perFeature.Values, Is.All.GreaterThan(2 * outside));
    }

    [Test]
    public void CloudIsBrightInEveryBand()
    {
        var cloud = Features(_region.TruthFile).Single(f => ((string)f.Attributes["detail"]).StartsWith("cloud (", StringComparison.Ordinal));
        string tif = (string)cloud.Attributes["image"] == "after" ? _region.AfterImage : _region.BeforeImage;
        using var reader = GeoTiffReader.Open(tif);
        var c = cloud.Geometry.InteriorPoint.Coordinate;
        var (col, row) = reader.Info.Transform.MapToPixel(c.X, c.Y);
        var centre = cloud.Geometry.Centroid.Coordinate;
        var (ccol, crow) = reader.Info.Transform.MapToPixel(centre.X, centre.Y);
        var px = new ushort[4];
        reader.Read<ushort>(new PixelWindow((int)ccol, (int)crow, 1, 1), px);
        Assert.That(px, Is.All.GreaterThan(4000), $"cloud pixel at ({col:F0},{row:F0})");
    }

    private static Polygon ImageBox(SyntheticRegionSummary r)
    {
        var gt = r.Transform;
        var (x1, y1) = gt.PixelToMap(r.Size, r.Size);
        return new GeometryFactory().CreatePolygon([new(gt.OriginX, gt.OriginY), new(x1, gt.OriginY), new(x1, y1), new(gt.OriginX, y1), new(gt.OriginX, gt.OriginY)]);
    }

    [Test]
    public void RegionJsonParsesAndPointsAtExistingFiles()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(_region.RegionFile));
        var root = doc.RootElement;
        string dir = Path.GetDirectoryName(_region.RegionFile)!;
        string Exists(string rel) { string p = Path.Combine(dir, rel); Assert.That(File.Exists(p), Is.True, rel); return p; }
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("region").GetProperty("code").GetString(), Does.Match("^[0-9]{6}$"));
            Assert.That(_region.CountyCodes, Does.Contain(root.GetProperty("region").GetProperty("code").GetString()));
            Assert.That(root.GetProperty("quarter").GetString(), Is.EqualTo("2026Q3"));
            Assert.That(Exists(root.GetProperty("before").GetProperty("path").GetString()!), Is.EqualTo(_region.BeforeImage));
            Assert.That(Exists(root.GetProperty("after").GetProperty("path").GetString()!), Is.EqualTo(_region.AfterImage));
            Assert.That(DateOnly.Parse(root.GetProperty("after").GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                Is.GreaterThan(DateOnly.Parse(root.GetProperty("before").GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(root.GetProperty("bands").EnumerateObject().Select(p => (p.Name, p.Value.GetInt32())),
                Is.EqualTo(new[] { ("blue", 1), ("green", 2), ("red", 3), ("nir", 4) }));
            var layers = root.GetProperty("layers").EnumerateArray().ToList();
            Assert.That(layers.Select(l => l.GetProperty("kind").GetString()), Is.EqualTo(new[] { "permanent-basic-farmland", "ecological-redline" }));
            foreach (var l in layers) Exists(l.GetProperty("path").GetString()!);
            Exists(root.GetProperty("admin").GetProperty("path").GetString()!);
            Assert.That(root.GetProperty("admin").GetProperty("codeField").GetString(), Is.EqualTo("XZQDM"));
            Assert.That(root.GetProperty("detection").GetProperty("minAreaM2").GetProperty("construction").GetInt32(), Is.EqualTo(200));
            Assert.That(root.GetProperty("output").GetString(), Is.EqualTo("out"));
        });
    }

    [Test]
    public void AdminLayerHasCountiesOfTwoProvincesCoveringTheImage()
    {
        var admin = Features(_region.AdminFile);
        var codes = admin.Select(f => (string)f.Attributes["XZQDM"]).ToList();
        var image = ImageBox(_region);
        Assert.Multiple(() =>
        {
            Assert.That(codes, Is.All.Matches("^[0-9]{6}$"));
            Assert.That(codes.Select(c => c[..2]).Distinct().Count(), Is.GreaterThanOrEqualTo(2), "two provinces");
            Assert.That(admin.Select(f => f.Attributes["XZQMC"]).OfType<string>(), Is.All.Not.Empty);
            Assert.That(admin.Select(f => f.Geometry.IsValid), Is.All.True);
            Assert.That(NetTopologySuite.Operation.Union.CascadedPolygonUnion.Union(admin.Select(f => f.Geometry).ToList()).Covers(image), Is.True, "counties cover the image");
            Assert.That(admin.Count(f => f.Geometry.Intersection(image).Area > 0.05 * image.Area), Is.GreaterThanOrEqualTo(2), "at least two counties in the image");
        });
    }

    [Test]
    public void RedLineLayersAreValidAndSomeChangesFallOnThem()
    {
        var farmland = Features(_region.PermanentFarmlandFile);
        var redline = Features(_region.EcologicalRedlineFile);
        var changes = Features(_region.TruthFile).Where(f => (string)f.Attributes["kind"] != "pseudo").ToList();
        var image = ImageBox(_region);
        Assert.Multiple(() =>
        {
            Assert.That(farmland, Is.Not.Empty);
            Assert.That(redline, Is.Not.Empty);
            Assert.That(farmland.Concat(redline).Select(f => f.Geometry.IsValid), Is.All.True);
            Assert.That(farmland.Concat(redline).Select(f => image.Covers(f.Geometry)), Is.All.True);
            Assert.That(farmland.Select(f => f.Attributes["name"]), Is.All.EqualTo("永久基本农田"));
            Assert.That(redline.Select(f => f.Attributes["name"]), Is.All.EqualTo("生态保护红线"));
            Assert.That(changes.Count(c => farmland.Any(f => f.Geometry.Intersects(c.Geometry))), Is.GreaterThan(0), "changes on permanent basic farmland");
            Assert.That(changes.Where(c => (string)c.Attributes["kind"] == "vegetation").Select(c => redline.Any(f => f.Geometry.Covers(c.Geometry))), Is.All.True,
                "forest clearings lie in the ecological red line");
        });
    }

    [Test]
    public void RastersAreFourBandUInt16InGaussKrugerZone39()
    {
        using var before = GeoTiffReader.Open(_region.BeforeImage);
        using var after = GeoTiffReader.Open(_region.AfterImage);
        Assert.Multiple(() =>
        {
            foreach (var info in new[] { before.Info, after.Info })
            {
                Assert.That((info.Width, info.Height, info.BandCount), Is.EqualTo((1024, 1024, 4)));
                Assert.That(info.DataType, Is.EqualTo(RasterDataType.UInt16));
                Assert.That(info.Crs.Epsg, Is.EqualTo(4527));
                Assert.That(info.BandNames, Is.EqualTo(new[] { "blue", "green", "red", "nir" }));
                Assert.That(info.Transform.OriginX, Is.InRange(39_500_000.0, 39_600_000.0), "easting with the zone-39 prefix");
                Assert.That(info.Transform.OriginY, Is.InRange(3_700_000.0, 3_900_000.0));
                Assert.That(info.NoData, Is.Null);
            }
            Assert.That(after.Info.Transform, Is.EqualTo(before.Info.Transform));
        });
    }

    [Test]
    public void GdalReadsTheRastersAsEpsg4527()
    {
        string gdalinfo = ExternalTools.RequireTool("gdalinfo");
        var (code, stdout, stderr) = ExternalTools.Run(gdalinfo, ["-json", _region.AfterImage]);
        Assert.That(code, Is.Zero, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("size").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 1024, 1024 }));
            Assert.That(root.GetProperty("stac").GetProperty("proj:epsg").GetInt32(), Is.EqualTo(4527));
            Assert.That(root.GetProperty("bands").EnumerateArray().Select(b => b.GetProperty("description").GetString()), Is.EqualTo(new[] { "blue", "green", "red", "nir" }));
            Assert.That(root.GetProperty("bands").EnumerateArray().Select(b => b.GetProperty("type").GetString()), Is.All.EqualTo("UInt16"));
            Assert.That(root.GetProperty("geoTransform")[0].GetDouble(), Is.EqualTo(_region.Transform.OriginX));
        });
    }

    [Test]
    public void OgrReadsTheLayersInEpsg4527()
    {
        string ogrinfo = ExternalTools.RequireTool("ogrinfo");
        Assert.Multiple(() =>
        {
            foreach (var file in new[] { _region.TruthFile, _region.AdminFile, _region.PermanentFarmlandFile, _region.EcologicalRedlineFile })
            {
                var (code, stdout, stderr) = ExternalTools.Run(ogrinfo, ["-so", "-al", file]);
                Assert.That(code, Is.Zero, stderr);
                Assert.That(stdout, Does.Contain("ID[\"EPSG\",4527]"), file);
                Assert.That(stdout, Does.Contain($"Feature Count: {Features(file).Count}"), file);
            }
        });
    }

    [TestCase(0, 1.0)]
    [TestCase(100, 1.0)]
    [TestCase(1024, 0.0)]
    [TestCase(1024, double.NaN)]
    public void BadOptionsAreRejected(int size, double pixel)
    {
        using var tmp = new TempDir();
        Assert.Throws<ChangeDetectionException>(() => SyntheticRegion.Generate(tmp.File("x"), new SyntheticRegionOptions { Size = size, PixelSize = pixel }));
    }

    [Test]
    public void HashNoiseIsThePublishedSplitMix64()
    {
        // SplitMix64 from state 0: the first output is the finaliser of 0x9E3779B97F4A7C15.
        Assert.Multiple(() =>
        {
            Assert.That(new SplitMix64(0).Next(), Is.EqualTo(0xE220A8397B1DCDAFUL));
            Assert.That(SynthHash.Mix(0), Is.EqualTo(0xE220A8397B1DCDAFUL));
            Assert.That(SynthHash.ValueNoise(1, 3, 4), Is.EqualTo(SynthHash.Unit(SynthHash.Mix(SynthHash.Mix(1UL ^ unchecked(4UL * 0xD1B54A32D192ED03UL)) ^ 3))));
        });
    }
}
