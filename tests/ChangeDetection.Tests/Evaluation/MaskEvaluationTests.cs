using ChangeDetection.Evaluation;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Evaluation;

[TestFixture]
public class MaskEvaluationTests
{
    [Test]
    public void ScoresFollowTheirDefinitions()
    {
        var s = new ChangeScore(TruePositives: 30, FalsePositives: 10, FalseNegatives: 20, TrueNegatives: 40);
        Assert.Multiple(() =>
        {
            Assert.That(s.Precision, Is.EqualTo(0.75));
            Assert.That(s.Recall, Is.EqualTo(0.6));
            Assert.That(s.F1, Is.EqualTo(60.0 / 90.0).Within(1e-12));
            Assert.That(s.IoU, Is.EqualTo(0.5));
            Assert.That((s + s).TruePositives, Is.EqualTo(60));
            Assert.That(new ChangeScore(0, 0, 0, 5).F1, Is.Zero);
        });
    }

    private static string WriteMask(TempDir dir, string name, int w, int h, double originX, double originY, Func<int, int, byte> f)
    {
        string path = dir.File(name);
        var data = new byte[w * h];
        for (int r = 0; r < h; r++) for (int c = 0; c < w; c++) data[r * w + c] = f(c, r);
        using var writer = GeoTiffWriter.Create(path, new GeoTiffWriterOptions
        {
            Width = w, Height = h, DataType = RasterDataType.UInt8, Crs = new Crs(4527),
            Transform = new GeoTransform(originX, 1, 0, originY, 0, -1), NoData = 255, TileSize = 16,
        });
        writer.WriteWindow(new PixelWindow(0, 0, w, h), data.AsSpan());
        return path;
    }

    [Test]
    public void CountsOnlyLabelledPixelsAndTreatsUncoveredTruthAsPredictedUnchanged()
    {
        using var dir = new TempDir();
        // Truth 20×10: left half changed, column 19 unlabelled.
        string truth = WriteMask(dir, "truth.tif", 20, 10, 0, 10, (c, r) => c == 19 ? (byte)255 : c < 10 ? (byte)1 : (byte)0);
        // Mask covers truth columns 5..19 (origin x = 5): predicts change in its first 10 columns (truth 5..14).
        string mask = WriteMask(dir, "mask.tif", 15, 10, 5, 10, (c, r) => c < 10 ? (byte)1 : (byte)0);
        var s = MaskEvaluation.Score(mask, truth);
        Assert.Multiple(() =>
        {
            Assert.That(s.TruePositives, Is.EqualTo(5 * 10), "truth cols 5..9");
            Assert.That(s.FalsePositives, Is.EqualTo(5 * 10), "truth cols 10..14");
            Assert.That(s.FalseNegatives, Is.EqualTo(5 * 10), "truth cols 0..4 are outside the mask");
            Assert.That(s.TrueNegatives, Is.EqualTo(4 * 10), "truth cols 15..18");
            Assert.That(s.Labelled, Is.EqualTo(19 * 10));
        });
    }

    [Test]
    public void PairsCsvListsEveryPairWithItsSource()
    {
        string csv = Path.Combine(SharedData.RequireDir("real"), "pairs.csv");
        var pairs = PairList.Read(csv);
        Assert.Multiple(() =>
        {
            Assert.That(pairs.Select(p => p.Source).Distinct(), Is.EquivalentTo(new[] { "oscd", "levir-cd", "landsat-nanjing" }));
            Assert.That(pairs.Single(p => p.Name == "abudhabi").Before, Does.EndWith(Path.Combine("oscd", "abudhabi", "before.tif")));
            Assert.That(pairs.All(p => File.Exists(p.Truth)), Is.True);
        });
    }

    [Test]
    public void PairsCsvWithoutDirColumnIsAClearError()
    {
        using var dir = new TempDir();
        string csv = dir.File("pairs.csv");
        File.WriteAllText(csv, "source,folder\noscd,x\n");
        var e = Assert.Throws<ChangeDetectionException>(() => PairList.Read(csv));
        Assert.That(e!.Message, Does.Contain("pairs.csv").And.Contain("'dir'"));
    }
}
