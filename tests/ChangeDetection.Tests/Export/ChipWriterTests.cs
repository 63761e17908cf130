using ChangeDetection.Export;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Tasks;
using ChangeDetection.Tests.Raster;
using ChangeDetection.Tests.Tasks;
using NetTopologySuite.Geometries;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Tests.Export;

/// <summary>
/// Chips of a small scene whose left half is dark and right half bright, the after date the before plus a
/// constant offset: a per-chip stretch would make both halves and both dates look alike.
/// </summary>
[TestFixture]
public class ChipWriterTests
{
    private const int Size = 128, Offset = 600;
    private static readonly GeoTransform Gt = new(39_500_000, 1, 0, 3_800_000, 0, -1);
    private TempDir _dir = null!;
    private ChipSource _source = null!;
    private VerificationTask _dark = null!, _bright = null!;

    [OneTimeSetUp]
    public void WriteScene()
    {
        _dir = new TempDir();
        int Scene(int k, int c, int r) => (c < Size / 2 ? 1000 : 3000) + 100 * k + (c * 7 + r * 13) % 200;
        string before = ScenePairTests.Write(_dir, "before.tif", Size, Size, Gt, Scene);
        string after = ScenePairTests.Write(_dir, "after.tif", Size, Size, Gt, (k, c, r) => Scene(k, c, r) + Offset);
        _source = new ChipSource(before, after);
        var tasks = TaskNumbering.Assign([TaskSamples.Make("410102", "中原区", Square(20, 60)), TaskSamples.Make("410102", "中原区", Square(100, 60))], "2026Q3");
        (_dark, _bright) = (tasks.Single(t => t.Geometry.Centroid.X < Gt.OriginX + Size / 2), tasks.Single(t => t.Geometry.Centroid.X > Gt.OriginX + Size / 2));
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    /// <summary>A 10 × 10 px square with its top-left corner at pixel (col, row).</summary>
    private static Polygon Square(int col, int row)
    {
        double x = Gt.OriginX + col, y = Gt.OriginY - row;
        return new GeometryFactory().CreatePolygon([new(x, y), new(x + 10, y), new(x + 10, y - 10), new(x, y - 10), new(x, y)]);
    }

    private (Image<Rgb24> Before, Image<Rgb24> After) Chips(VerificationTask task, bool labels)
    {
        string folder = _dir.File($"chips-{labels}");
        ChipWriter.Write(folder, [_dark, _bright], TaskSamples.Gk39, _source, new ChipOptions { DrawLabels = labels });
        return (Image.Load<Rgb24>(Path.Combine(folder, $"{task.JCBH}_before.png")), Image.Load<Rgb24>(Path.Combine(folder, $"{task.JCBH}_after.png")));
    }

    private static double MeanGrey(Image<Rgb24> image)
    {
        double sum = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                sum += (image[x, y].R + image[x, y].G + image[x, y].B) / 3.0;
        return sum / (image.Width * image.Height);
    }

    [Test]
    public void ChipsOfTheSameSceneShareTheScenesLimits()
    {
        var (darkBefore, darkAfter) = Chips(_dark, labels: false);
        var (brightBefore, brightAfter) = Chips(_bright, labels: false);
        using (darkBefore) using (darkAfter) using (brightBefore) using (brightAfter)
        {
            Assert.That(MeanGrey(brightBefore) - MeanGrey(darkBefore), Is.GreaterThan(80), "the dark half stays dark next to the bright half");
            Assert.That(MeanGrey(darkAfter) - MeanGrey(darkBefore), Is.GreaterThan(20), "the after date's offset shows as a tone difference");
            Assert.That(MeanGrey(brightAfter) - MeanGrey(brightBefore), Is.GreaterThan(20), "the after date's offset shows as a tone difference");
        }
        using var pair = ScenePair.Open(_source.BeforeImage, _source.AfterImage);
        int[] rgb = [pair.Bands.ToList().IndexOf(SpectralBand.Red), pair.Bands.ToList().IndexOf(SpectralBand.Green), pair.Bands.ToList().IndexOf(SpectralBand.Blue)];
        var limits = ChipWriter.SceneLimits(pair, rgb);
        Assert.That(ChipWriter.SceneLimits(pair, rgb), Is.EqualTo(limits), "the same scene gives the same limits");
        foreach (var (l, k) in limits.Select((l, i) => (l, rgb[i])))
        {
            Assert.That(l.Low, Is.LessThan(1000 + 100 * k + 200), "the low limit comes from the dark half of the before date");
            Assert.That(l.High, Is.GreaterThan(3000 + 100 * k + Offset), "the high limit comes from the bright half of the after date");
        }
    }

    [Test]
    public void LabelsAreDrawnOnlyInTheirCornersAndSpellTheJcbhAndDate()
    {
        var (plainBefore, plainAfter) = Chips(_dark, labels: false);
        var (before, after) = Chips(_dark, labels: true);
        using (plainBefore) using (plainAfter) using (before) using (after)
        {
            int s = ChipLabel.ScaleFor(after.Width);
            int changed = 0, outside = 0;
            int textRight = (ChipLabel.Padding * 2 + 17 * ChipLabel.Advance) * s, textBottom = (ChipLabel.Padding * 2 + 2 * ChipLabel.LineHeight) * s;
            int barTop = after.Height - (ChipLabel.Padding * 2 + ChipLabel.GlyphHeight + 4) * s;
            for (int y = 0; y < after.Height; y++)
                for (int x = 0; x < after.Width; x++)
                {
                    if (after[x, y] == plainAfter[x, y]) continue;
                    changed++;
                    bool inLabel = x < textRight && y < textBottom, inBar = x < after.Width / 2 && y >= barTop;
                    if (!inLabel && !inBar) outside++;
                }
            Assert.That(changed, Is.GreaterThan(100), "the label is drawn");
            Assert.That(outside, Is.Zero, "nothing is drawn outside the label corners");
            AssertText(after, ChipLabel.Padding * s, ChipLabel.Padding * s, s, _dark.JCBH);
            AssertText(after, ChipLabel.Padding * s, (ChipLabel.Padding + ChipLabel.LineHeight) * s, s, $"AFTER {_dark.HSX:yyyy-MM-dd}");
            AssertText(before, ChipLabel.Padding * s, (ChipLabel.Padding + ChipLabel.LineHeight) * s, s, $"BEFORE {_dark.QSX:yyyy-MM-dd}");
        }
    }

    [Test]
    public void TheScaleBarIsAsLongAsTheMetresItSays()
    {
        using var pair = ScenePair.Open(_source.BeforeImage, _source.AfterImage);
        var frame = ChipWriter.FrameOf(_dark.Geometry, pair.Grid, new ChipOptions())!.Value;
        var (plainBefore, plainAfter) = Chips(_dark, labels: false);
        var (before, after) = Chips(_dark, labels: true);
        using (plainBefore) using (plainAfter) using (before)
        using (after)
        {
            int s = ChipLabel.ScaleFor(after.Width);
            double metresPerPixel = Math.Abs(Gt.PixelWidth) / frame.Scale; // 1 m pixels, enlarged
            // The bar: the longest run of white pixels in a row of the bottom-left box, starting at its padding.
            int barRow = -1, barLength = 0;
            for (int y = after.Height - 1; y >= after.Height - 20 * s; y--)
            {
                int run = 0;
                for (int x = ChipLabel.Padding * s; x < after.Width && after[x, y] == new Rgb24(255, 255, 255); x++) run++;
                if (run > barLength) (barRow, barLength) = (y, run);
            }
            Assert.That(barLength, Is.GreaterThan(4 * s), "a bar is drawn");
            var bar = ScaleBar.Choose(metresPerPixel, after.Width)!.Value;
            // The caption above the bar says how many metres it is.
            int captionTop = barRow - 2 * s + 1 - (ChipLabel.GlyphHeight + 2) * s;
            AssertText(after, ChipLabel.Padding * s, captionTop, s, bar.Text);
            double said = double.Parse(bar.Text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * (bar.Text.EndsWith("km") ? 1000 : 1);
            Assert.That(barLength, Is.EqualTo(said / metresPerPixel).Within(1), $"{bar.Text} at {metresPerPixel} m/px");
            Assert.That(barLength, Is.LessThanOrEqualTo(after.Width / 4 + 1));
        }
    }

    [Test]
    public void AScaleBarIsARoundLengthThatFitsAQuarterOfTheChip()
    {
        foreach (var (mpp, width) in new[] { (0.25, 296), (1.0, 256), (30.0, 2048), (7.0, 300) })
        {
            var bar = ScaleBar.Choose(mpp, width)!.Value;
            double digits = bar.Metres / Math.Pow(10, Math.Floor(Math.Log10(bar.Metres)));
            Assert.That(new[] { 1.0, 2.0, 5.0 }, Does.Contain(Math.Round(digits, 9)), $"{bar.Metres}");
            Assert.That(bar.Metres, Is.LessThanOrEqualTo(width / 4.0 * mpp).And.GreaterThan(width / 4.0 * mpp / 2.5));
            Assert.That(bar.Pixels, Is.EqualTo(bar.Metres / mpp).Within(0.5));
        }
        Assert.That(ScaleBar.Choose(0.001, 256), Is.Null, "less than a metre across a quarter: no bar");
        Assert.That(new ScaleBar(2000, 10).Text, Is.EqualTo("2 km"));
    }

    [Test]
    public void ReadmeDescribesTheChipsAsDrawn()
    {
        string readme = File.ReadAllText(Repository.File("README.md"));
        var (before, after) = Chips(_dark, labels: true);
        using (before) using (after)
        {
            // The label examples the README gives are the ones a chip carries (TaskSamples' dates).
            int s = ChipLabel.ScaleFor(before.Width);
            AssertText(before, ChipLabel.Padding * s, (ChipLabel.Padding + ChipLabel.LineHeight) * s, s, $"BEFORE {_dark.QSX:yyyy-MM-dd}");
        }
        Assert.Multiple(() =>
        {
            Assert.That(readme, Does.Contain($"`BEFORE {_dark.QSX:yyyy-MM-dd}` / `AFTER {_dark.HSX:yyyy-MM-dd}`"));
            Assert.That(readme, Does.Contain("same per-band stretch").And.Contain("2nd–98th percentile").And.Contain("computed once per scene"));
            Assert.That(readme, Does.Contain("scale bar").And.Contain("5×7 bitmap font"));
        });
    }

    /// <summary>The pixels of <paramref name="text"/> drawn at (x, y) with glyph scale <paramref name="s"/> are white, the gaps black.</summary>
    /// <summary>
    /// SHA-256 of a PNG's decoded pixels (width, height, then R, G, B row by row): the chip as seen, whatever
    /// bytes the encoder chose.
    /// </summary>
    internal static string DecodedPixelsSha256(string png)
    {
        using var image = Image.Load<Rgb24>(png);
        var bytes = new List<byte>(8 + image.Width * image.Height * 3);
        bytes.AddRange(BitConverter.GetBytes(image.Width));
        bytes.AddRange(BitConverter.GetBytes(image.Height));
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                bytes.AddRange([image[x, y].R, image[x, y].G, image[x, y].B]);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.ToArray()));
    }

    /// <summary>
    /// The chips' decoded pixels are pinned to those of the ImageSharp-encoded chips of 3 December 2026 (before
    /// the chip writer's own PNG encoder and the faster colouring): enlarged with labels, and reduced (a decimated
    /// read). Only the PNG bytes may change, never what an inspector sees.
    /// </summary>
    [TestCase(false, 256, "ee7cef843338ae88 6ca72d55f0ba3848 967feb814e516074 c7dd3597947b7e12")]
    [TestCase(true, 256, "bdd1e2fba0edf462 fff9acd2f0491552 fb2dcdfb67e876c3 457b93afa9a1a746")]
    [TestCase(true, 1024, "0adacbd262406ea5 132502a84d94f444 80040aeb31cc5536 856cb60cc307b477")]
    [TestCase(false, -40, "a7728a4553773956 84170a9501aa9468 78c7f1caf335d5c6 4f172307d270e644")]
    [TestCase(true, -40, "33e21dc14f0574d3 12f0562e93180ca9 ebc857bd03f965a7 b371c01fd0508880")]
    public void ChipPixelsAreThoseOfTheImageSharpChips(bool labels, int side, string expected)
    {
        string folder = _dir.File($"pinned-{labels}-{side}");
        var options = side > 0 ? new ChipOptions { DrawLabels = labels, MinSidePixels = side } : new ChipOptions { DrawLabels = labels, MaxSidePixels = -side };
        var written = ChipWriter.Write(folder, [_dark, _bright], TaskSamples.Gk39, _source, options);
        Assert.That(written, Has.Count.EqualTo(4));
        string all = string.Join(" ", written.Select(n => DecodedPixelsSha256(Path.Combine(folder, n))[..16]));
        Assert.That(all, Is.EqualTo(expected));
    }

    /// <summary>
    /// On a province-size scene of 256² blocks (8192², cells of 512 px) every window of the stretch sample lies in one block
    /// of the image (the centred windows, at 240..272 in their cells, straddled four), inside its own cell, at the top of
    /// its block; also when the pair grid starts inside a block of the image.
    /// </summary>
    [TestCase(0, 0)]
    [TestCase(100, 37)]
    public void StretchSampleWindowsLieInOneBlockOnALargeScene(int blockX, int blockY)
    {
        const int size = 8192, block = 256, cell = size / 16;
        var windows = ChipWriter.StretchSampleWindows(size, size, block, block, blockX, blockY);
        Assert.That(windows, Has.Length.EqualTo(256));
        Assert.That(windows.Distinct().Count(), Is.EqualTo(256));
        foreach (var w in windows)
        {
            Assert.That((w.Width, w.Height), Is.EqualTo((32, 32)));
            Assert.That((w.X + blockX) / block, Is.EqualTo((w.Right - 1 + blockX) / block), $"{w}: one block across");
            Assert.That((w.Y + blockY) / block, Is.EqualTo((w.Bottom - 1 + blockY) / block), $"{w}: one block down");
            Assert.That(w.X / cell, Is.EqualTo((w.Right - 1) / cell), $"{w}: inside one cell across");
            Assert.That(w.Y / cell, Is.EqualTo((w.Bottom - 1) / cell), $"{w}: inside one cell down");
        }
        Assert.That(windows.Count(w => (w.Y + blockY) % block == 0), Is.EqualTo(256), "each window at its block's top: an uncached read inflates 32 of its 256 rows");
    }

    /// <summary>A scene up to 16 windows a side keeps the sample it had (the windows fill their cells: the scene is read whole).</summary>
    [TestCase(512, 256)]
    [TestCase(512, 48)]
    [TestCase(Size, 16)]
    public void StretchSampleOfASmallSceneIsTheWholeScene(int size, int block)
    {
        int cell = size / 16;
        var windows = ChipWriter.StretchSampleWindows(size, size, block, block);
        var expected = from x in Enumerable.Range(0, 16) from y in Enumerable.Range(0, 16) select new PixelWindow(x * cell, y * cell, cell, cell);
        Assert.That(windows, Is.EqualTo(expected));
    }

    /// <summary>
    /// The stretch sample of a 768² 3-band scene of 32² blocks, read without a block cache, decodes one block per window,
    /// band and date (1 536), where windows centred in their 48-px cells (8..40, 56..88, …) decoded four (6 144).
    /// </summary>
    [Test]
    public void StretchSampleDecodesOneBlockPerWindowBandAndDate()
    {
        const int size = 768, bands = 3;
        string Image(string name, int offset)
        {
            string path = _dir.File(name);
            var data = new ushort[size * size * bands];
            for (int i = 0; i < data.Length; i++) data[i] = (ushort)(1000 + offset + i % 977);
            using var writer = ChangeDetection.Raster.GeoTiff.GeoTiffWriter.Create(path, new ChangeDetection.Raster.GeoTiff.GeoTiffWriterOptions
            {
                Width = size, Height = size, BandCount = bands, DataType = RasterDataType.UInt16, Transform = Gt, Crs = TaskSamples.Gk39,
                BandNames = ["red", "green", "blue"], TileSize = 32,
            });
            writer.WriteWindow(new PixelWindow(0, 0, size, size), data.AsSpan());
            return path;
        }
        using var pair = ScenePair.Open(Image("wide-before.tif", 0), Image("wide-after.tif", 300), new ScenePairOptions { BlockCacheBytes = 0 });
        var limits = ChipWriter.SceneLimits(pair, [0, 1, 2]);
        Assert.That(pair.BlocksDecoded, Is.EqualTo(256 * bands * 2));
        Assert.That(limits[0].High, Is.GreaterThan(limits[0].Low + 500), "both dates pooled");
    }

    [Test]
    public void GivenSceneLimitsAreUsedInsteadOfReadingTheScene()
    {
        string Write(string name, IReadOnlyList<StretchLimits>? limits)
        {
            string folder = _dir.File(name);
            ChipWriter.Write(folder, [_dark], TaskSamples.Gk39, _source, new ChipOptions { DrawLabels = false, SceneLimits = limits });
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, $"{_dark.JCBH}_after.png"))));
        }
        // What ProvincePackage hands every province: the limits of the scene, computed once.
        string read = Write("limits-read", null), given = Write("limits-given", ChipWriter.SceneLimits(_source));
        string wide = Write("limits-wide", [new StretchLimits(0, 65535), new StretchLimits(0, 65535), new StretchLimits(0, 65535)]);
        Assert.Multiple(() =>
        {
            Assert.That(given, Is.EqualTo(read), "the scene's limits, given, make the same chip");
            Assert.That(wide, Is.Not.EqualTo(read), "other limits make another chip: the given ones are used");
        });
    }

    private static void AssertText(Image<Rgb24> image, int x, int y, int s, string text)
    {
        var mask = ChipLabel.Render(text);
        int wrong = 0;
        for (int r = 0; r < mask.GetLength(0); r++)
            for (int c = 0; c < mask.GetLength(1); c++)
            {
                var p = image[x + c * s, y + r * s];
                if (p != (mask[r, c] ? new Rgb24(255, 255, 255) : new Rgb24(0, 0, 0))) wrong++;
            }
        Assert.That(wrong, Is.Zero, $"'{text}' drawn at ({x}, {y})");
        Assert.That(mask.Cast<bool>().Count(b => b), Is.GreaterThan(text.Length), "the font has glyphs for the text");
    }
}
