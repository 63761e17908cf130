using ChangeDetection.Export;
using ChangeDetection.Synthetic;
using ChangeDetection.Tasks;
using ChangeDetection.Tests.Tasks;
using NetTopologySuite.Geometries;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Tests.Export;

[TestFixture]
public class ProvincePackageTests
{
    private TempDir _dir = null!;
    private SyntheticRegionSummary _region = null!;
    private IReadOnlyList<VerificationTask> _tasks = null!;
    private IReadOnlyList<ProvincePackageResult> _results = null!;

    /// <summary>Tasks from the synthetic region's true changes, split over two made-up provinces so that grouping shows.</summary>
    [OneTimeSetUp]
    public void WritePackages()
    {
        _dir = new TempDir();
        _region = SyntheticRegion.Generate(_dir.File("region"), new SyntheticRegionOptions { Size = 512, Seed = 1, Workers = 1 });
        var truth = ChangeDetection.Overlay.GeoJsonLayer.Read(_region.TruthFile);
        var known = ChangeClasses.All.Select(c => c.Code).ToHashSet();
        var raw = truth
            .Select((f, i) => TaskSamples.Make(i % 3 == 0 ? "130102" : "410102", i % 3 == 0 ? "长安区" : "中原区", f.Geometry,
                known.Contains((string)f.Attributes["kind"]) ? (string)f.Attributes["kind"] : "unclassified", farmland: i % 2 * 10.0))
            .ToList();
        Assert.That(raw, Has.Count.GreaterThan(3), "the synthetic region has changes");
        _tasks = TaskNumbering.Assign(raw, "2026Q3");
        _results = ProvincePackage.Write(_dir.File("out"), _tasks, _region.Crs, new ProvincePackageOptions
        {
            ShapefileEncoding = DbfEncoding.Gbk,
            Chips = new ChipSource(_region.BeforeImage, _region.AfterImage),
            Run = Run,
            Layers = [new ManifestLayer("耕地", "farmland", "GDMJ")],
        });
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    private static readonly PackageRun Run = new("410102", "中原区", "2026Q3", "f00dfeed", "9.9.9-test");

    [Test]
    public void ManifestNamesTheProvinceTheRunAndTheCrs()
    {
        foreach (var r in _results)
        {
            var m = PackageManifest.Read(Path.Combine(r.Folder, PackageManifest.FileName));
            Assert.That(m.ProvinceName, Is.EqualTo(r.Province == "41" ? "河南省" : "河北省"));
            Assert.That(m.Run, Is.EqualTo(Run));
            Assert.That(m.Crs, Is.EqualTo(_region.Crs.ToString()), "the synthetic region is already in its 3° zone");
        }
    }

    [Test]
    public void ReadmeIsUtf8WithBomAndExplainsThePackage()
    {
        foreach (var r in _results)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(r.Folder, PackageReadme.FileName));
            Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), "BOM");
            string text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 3, bytes.Length - 3);
            var tasks = _tasks.Where(t => t.Province == r.Province).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(text, Does.Contain($"省份：{r.Province} {ChangeDetection.Tasks.Provinces.NameOf(r.Province)}"));
                Assert.That(text, Does.Contain("监测区域：410102 中原区").And.Contain("季度：2026Q3").And.Contain("运行编号：f00dfeed").And.Contain("cdx 9.9.9-test"));
                Assert.That(text, Does.Contain("前时相：2026-04-12").And.Contain("后时相：2026-07-20"));
                Assert.That(text, Does.Contain(_region.Crs.ToString()).And.Contain("EPSG:4490"));
                Assert.That(text, Does.Contain($"共 {tasks.Count} 个"));
                foreach (var p in new[] { TaskPriority.High, TaskPriority.Medium, TaskPriority.Low })
                    Assert.That(text, Does.Contain($"{TaskPriority.ChineseName(p)} {tasks.Count(t => t.YXJ == p)} 个"));
                Assert.That(text, Does.Contain("耕地（farmland，字段 GDMJ）"));
                foreach (var file in ProvincePackage.FileNames(r.Prefix).Where(f => Path.GetExtension(f) is not (".dbf" or ".shx" or ".cpg" or ".prj")).Append("chips/"))
                    Assert.That(text, Does.Contain(file));
                Assert.That(text, Does.Contain("整景统一拉伸").And.Contain("监测编号与日期").And.Contain("比例尺"), "the chips' stretch and labels are explained");
                foreach (var f in TaskFields.For(tasks))
                    Assert.That(text, Does.Contain($"  {f.Name}：{f.Caption}"));
                Assert.That(text, Does.Contain("HCJG").And.Contain("construction（建(构)筑物）").And.Contain("pseudo（伪变化）"));
                Assert.That(text, Does.Contain("\r\n").And.Not.Contain("\n\n"), "CRLF line ends");
            });
        }
    }

    [Test]
    public void OneFolderPerProvinceWithEveryFile()
    {
        Assert.That(_results.Select(r => r.Province), Is.EqualTo(new[] { "13", "41" }));
        Assert.That(Directory.GetDirectories(_dir.File("out/provinces")).Select(Path.GetFileName), Is.EquivalentTo(new[] { "13_河北省", "41_河南省" }));
        foreach (var r in _results)
        {
            Assert.That(r.Prefix, Is.EqualTo($"{r.Province}_2026Q3_"), "file names carry province and quarter");
            Assert.That(File.Exists(Path.Combine(r.Folder, $"{r.Province}_2026Q3_tasks.shp")), Is.True);
            var expected = ProvincePackage.FileNames(r.Prefix).Append(PackageManifest.FileName).Append("chips");
            Assert.That(Directory.GetFileSystemEntries(r.Folder).Select(Path.GetFileName), Is.EquivalentTo(expected), r.Province);
            Assert.That(r.TaskCount, Is.EqualTo(_tasks.Count(t => t.Province == r.Province)));
            Assert.That(r.Manifest.TaskCount, Is.EqualTo(r.TaskCount));
        }
    }

    [Test]
    public void ManifestHashesMatchTheFiles()
    {
        foreach (var r in _results)
        {
            var m = PackageManifest.Read(Path.Combine(r.Folder, PackageManifest.FileName));
            Assert.That(m.Province, Is.EqualTo(r.Province));
            Assert.That(m.TaskCount, Is.EqualTo(r.TaskCount));
            var onDisk = Directory.EnumerateFiles(r.Folder, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(r.Folder, f).Replace('\\', '/')).Where(f => f != PackageManifest.FileName);
            Assert.That(m.Files.Select(f => f.Path), Is.EquivalentTo(onDisk));
            foreach (var f in m.Files)
            {
                string full = Path.Combine(r.Folder, f.Path);
                Assert.That(PackageManifest.Sha256Of(full), Is.EqualTo(f.Sha256), f.Path);
                Assert.That(new FileInfo(full).Length, Is.EqualTo(f.Bytes), f.Path);
            }
            Assert.That(m.Files.Select(f => f.Path), Does.Contain("chips/" + _tasks.First(t => t.Province == r.Province).JCBH + "_after.png"));
        }
    }

    [Test]
    public void ChipsArePngsOfTheFrameSizeAndDifferBetweenDates()
    {
        var grid = new ChangeDetection.Geo.GeoGrid(_region.Size, _region.Size, _region.Transform, _region.Crs);
        int differing = 0;
        foreach (var t in _tasks)
        {
            string folder = Path.Combine(_dir.File("out/provinces"), ProvincePackage.FolderName(t.Province), "chips");
            var frame = ChipWriter.FrameOf(t.Geometry, grid, new ChipOptions())!.Value;
            using var before = Image.Load<Rgb24>(Path.Combine(folder, $"{t.JCBH}_before.png"), out var format);
            using var after = Image.Load<Rgb24>(Path.Combine(folder, $"{t.JCBH}_after.png"));
            Assert.That(format.Name, Is.EqualTo("PNG"));
            Assert.That((before.Width, before.Height), Is.EqualTo((frame.Width, frame.Height)), t.JCBH);
            Assert.That((after.Width, after.Height), Is.EqualTo((frame.Width, frame.Height)), t.JCBH);
            Assert.That(Math.Max(frame.Width, frame.Height), Is.GreaterThanOrEqualTo(256).Or.EqualTo(Math.Max(frame.Window.Width, frame.Window.Height) * 8));
            if (MeanAbsDifference(before, after) > 5) differing++;
            Assert.That(CountYellow(after), Is.GreaterThan(0), $"{t.JCBH}: outline drawn");
        }
        Assert.That(differing, Is.GreaterThan(_tasks.Count / 2), "changed patches look different at the two dates");
    }

    /// <summary>
    /// The decoded pixels of every chip of the synthetic region's packages, pinned to those of the ImageSharp-encoded
    /// chips of 3 December 2026 (see <see cref="ChipWriterTests.ChipPixelsAreThoseOfTheImageSharpChips"/>): real
    /// imagery, both provinces, labels, outlines.
    /// </summary>
    [Test]
    public void ChipPixelsAreThoseOfTheImageSharpChips()
    {
        var hashes = _results.OrderBy(r => r.Province, StringComparer.Ordinal)
            .SelectMany(r => Directory.GetFiles(Path.Combine(r.Folder, "chips")).Order(StringComparer.Ordinal))
            .Select(ChipWriterTests.DecodedPixelsSha256);
        string all = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(string.Join(" ", hashes))));
        Assert.That(all, Is.EqualTo("80b218a6fc69122eed54adcd105a6772a4118abb5f09e6a413ff036c649ec523"));
    }

    [Test]
    public void FrameHasAMarginOfAtLeast32PixelsOr20Percent()
    {
        var grid = new ChangeDetection.Geo.GeoGrid(1000, 1000, new ChangeDetection.Geo.GeoTransform(0, 2, 0, 2000, 0, -2), TaskSamples.Gk39);
        var f = new GeometryFactory();
        var small = f.CreatePolygon([new(200, 1000), new(220, 1000), new(220, 980), new(200, 980), new(200, 1000)]); // 10×10 px at col 100, row 500
        var frame = ChipWriter.FrameOf(small, grid, new ChipOptions())!.Value;
        Assert.That(frame.Window, Is.EqualTo(new ChangeDetection.Raster.PixelWindow(100 - 32, 500 - 32, 74, 74)));
        Assert.That(frame.Scale, Is.EqualTo(4));
        var big = f.CreatePolygon([new(200, 1000), new(1200, 1000), new(1200, 800), new(200, 800), new(200, 1000)]); // 500×100 px
        var bigFrame = ChipWriter.FrameOf(big, grid, new ChipOptions())!.Value;
        Assert.That(bigFrame.Window, Is.EqualTo(new ChangeDetection.Raster.PixelWindow(0, 400, 700, 300)), "100 px margin, clipped at the left edge");
        Assert.That(bigFrame.Scale, Is.EqualTo(1));
        var outside = f.CreatePolygon([new(-900, 1000), new(-800, 1000), new(-800, 900), new(-900, 900), new(-900, 1000)]);
        Assert.That(ChipWriter.FrameOf(outside, grid, new ChipOptions() with { MinMarginPixels = 0, MarginFraction = 0 }), Is.Null);
    }

    [Test]
    public void ManifestListsTheLayersThatWereChecked()
    {
        using var dir = new TempDir();
        var layers = new[] { new ManifestLayer("基本农田", "permanent-basic-farmland", "YJJBNTMJ"), new ManifestLayer("矿区", "mining", "KCZY") };
        var written = ProvincePackage.Write(dir.Path, TaskSamples.TwoProvinces(), TaskSamples.Gk39, new ProvincePackageOptions { Layers = layers });
        foreach (var r in written)
            Assert.That(PackageManifest.Read(Path.Combine(r.Folder, PackageManifest.FileName)).Layers, Is.EqualTo(layers), r.Province);
        var none = ProvincePackage.Write(dir.File("none"), TaskSamples.TwoProvinces(), TaskSamples.Gk39);
        Assert.That(PackageManifest.Read(Path.Combine(none[0].Folder, PackageManifest.FileName)).Layers, Is.Empty);
    }

    [Test]
    public void AChipOfAHugePatchIsReducedToTheCapWithoutOverflow()
    {
        // A road 30 km long at 1 m, and a patch of 60 000² px whose chip would need more than int.MaxValue pixels.
        var grid = new ChangeDetection.Geo.GeoGrid(100_000, 100_000, new ChangeDetection.Geo.GeoTransform(0, 1, 0, 100_000, 0, -1), TaskSamples.Gk39);
        var f = new GeometryFactory();
        var road = f.CreatePolygon([new(1000, 50_000), new(31_000, 50_000), new(31_000, 49_980), new(1000, 49_980), new(1000, 50_000)]);
        var square = f.CreatePolygon([new(20_000, 80_000), new(80_000, 80_000), new(80_000, 20_000), new(20_000, 20_000), new(20_000, 80_000)]);
        var options = new ChipOptions();
        foreach (var g in new[] { road, square })
        {
            var frame = ChipWriter.FrameOf(g, grid, options)!.Value;
            Assert.That(Math.Max(frame.Width, frame.Height), Is.LessThanOrEqualTo(options.MaxSidePixels).And.GreaterThan(options.MaxSidePixels / 2));
            Assert.That(frame.Scale, Is.EqualTo(1));
            Assert.That((long)frame.SampledWidth * frame.Step, Is.GreaterThanOrEqualTo(frame.Window.Width), "the reduced chip covers the window");
        }
    }

    [Test]
    public void AReducedChipIsWrittenAtTheCapWithItsOutline()
    {
        var task = _tasks.OrderByDescending(t => t.Geometry.EnvelopeInternal.Area).First();
        var small = new ChipOptions { MaxSidePixels = 48, MinMarginPixels = 64 };
        var frame = ChipWriter.FrameOf(task.Geometry, new ChangeDetection.Geo.GeoGrid(_region.Size, _region.Size, _region.Transform, _region.Crs), small)!.Value;
        Assert.That(frame.Step, Is.GreaterThan(1), "the cap applies to this chip");
        using var dir = new TempDir();
        var written = ChipWriter.Write(dir.Path, [task], _region.Crs, new ChipSource(_region.BeforeImage, _region.AfterImage), small);
        using var after = Image.Load<Rgb24>(Path.Combine(dir.Path, written[1]));
        Assert.Multiple(() =>
        {
            Assert.That((after.Width, after.Height), Is.EqualTo((frame.Width, frame.Height)));
            Assert.That(Math.Max(after.Width, after.Height), Is.LessThanOrEqualTo(48));
            Assert.That(CountYellow(after), Is.GreaterThan(0), "outline drawn");
        });
    }

    [Test]
    public void RewritingReplacesTheFolderWholeAndEmptyProvincesGetNone()
    {
        using var dir = new TempDir();
        var tasks = TaskSamples.TwoProvinces();
        ProvincePackage.Write(dir.Path, tasks, TaskSamples.Gk39);
        File.WriteAllText(Path.Combine(dir.Path, "provinces", "41_河南省", "stale.txt"), "old");
        Directory.CreateDirectory(Path.Combine(dir.Path, "provinces", "41")); // a delivery named by code alone (older cdx)
        var henan = tasks.Where(t => t.Province == "41").ToList();
        var results = ProvincePackage.Write(dir.Path, henan, TaskSamples.Gk39);
        Assert.That(results.Select(r => r.Province), Is.EqualTo(new[] { "41" }));
        Assert.That(File.Exists(Path.Combine(dir.Path, "provinces", "41_河南省", "stale.txt")), Is.False);
        Assert.That(Directory.GetDirectories(Path.Combine(dir.Path, "provinces")).Select(Path.GetFileName), Is.EquivalentTo(new[] { "13_河北省", "41_河南省" }),
            "a province absent from this call is left alone; the old code-only folder and scratch folders are gone");
        Assert.That(ProvincePackage.Write(dir.File("empty"), [], TaskSamples.Gk39), Is.Empty);
        Assert.That(Directory.GetDirectories(Path.Combine(dir.File("empty"), "provinces")), Is.Empty);
    }

    private static double MeanAbsDifference(Image<Rgb24> a, Image<Rgb24> b)
    {
        long sum = 0;
        for (int y = 0; y < a.Height; y++)
            for (int x = 0; x < a.Width; x++)
            {
                var p = a[x, y];
                var q = b[x, y];
                sum += Math.Abs(p.R - q.R) + Math.Abs(p.G - q.G) + Math.Abs(p.B - q.B);
            }
        return sum / (3.0 * a.Width * a.Height);
    }

    private static int CountYellow(Image<Rgb24> image)
    {
        int n = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                if (image[x, y] == new Rgb24(255, 255, 0)) n++;
        return n;
    }
}
