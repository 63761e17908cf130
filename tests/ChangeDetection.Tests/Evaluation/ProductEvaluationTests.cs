using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Vectorization;
using Microsoft.Data.Sqlite;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Evaluation;

/// <summary><c>cdx eval</c> without options scores exactly what <c>cdx run</c> without options delivers.</summary>
[TestFixture]
public class ProductEvaluationTests
{
    private static byte[] Pixels(string path)
    {
        using var reader = GeoTiffReader.Open(path);
        return reader.ReadBand<byte>(0);
    }

    /// <summary>(class, area in m²) of every task (non-pseudo patch) of a run's patch layer.</summary>
    private static List<(string Class, double Area)> RunTasks(string gpkg)
    {
        using var db = new SqliteConnection($"Data Source={gpkg};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT BHLX, TBMJ FROM patches WHERE BHLX <> 'pseudo'";
        var list = new List<(string, double)>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add((r.GetString(0), r.GetDouble(1)));
        return list;
    }

    /// <summary>A truth raster of the before image's grid, all labelled unchanged: the scores do not matter here, the masks do.</summary>
    internal static void WriteTruth(string beforePath, string truthPath)
    {
        RasterInfo info;
        using (var before = GeoTiffReader.Open(beforePath)) info = before.Info;
        using var writer = GeoTiffWriter.Create(truthPath, new GeoTiffWriterOptions
        {
            Width = info.Width, Height = info.Height, DataType = RasterDataType.UInt8, Transform = info.Transform, Crs = info.Crs, NoData = 255,
        });
        writer.WriteWindow<byte>(info.Bounds, new byte[info.Width * info.Height]);
    }

    [Test]
    public void EvalDefaultScoresTheMaskOfTheTasksCdxRunDelivers()
    {
        using var dir = new TempDir();
        string region = dir.File("region");
        Assert.That(Cdx("sample", region, "--size", "512", "--seed", "5").Code, Is.Zero);
        var run = Cdx("run", Path.Combine(region, "region.json"), "--out", dir.File("out"), "--write-mask", "--workers", "2");
        Assert.That(run.Code, Is.Zero, run.Err);
        Directory.CreateDirectory(dir.File("labels"));
        WriteTruth(Path.Combine(region, "before.tif"), Path.Combine(dir.File("labels"), "truth.tif"));
        var eval = Cdx("eval", "--before", Path.Combine(region, "before.tif"), "--after", Path.Combine(region, "after.tif"),
            "--truth", Path.Combine(dir.File("labels"), "truth.tif"), "--keep-masks", dir.File("masks"), "--json", "--workers", "2");
        Assert.That(eval.Code, Is.Zero, eval.Err);

        var runMask = Pixels(Path.Combine(dir.File("out"), "mask.tif"));
        var detectorMask = Pixels(Path.Combine(dir.File("masks"), "pair_labels_mask.tif"));
        string productPath = Path.Combine(dir.File("masks"), "pair_labels_product.tif");
        var product = Pixels(productPath);

        // The product mask's patches, traced and measured as the run measures its patches.
        List<Patch> patches;
        using (var reader = GeoTiffReader.Open(productPath))
        {
            var grid = new ChangeDetection.Geo.GeoGrid(reader.Info.Width, reader.Info.Height, reader.Info.Transform, reader.Info.Crs);
            patches = [.. PatchBuilder.Build(MaskPolygonizer.Polygonize(new GeoTiffMaskSource(reader)), grid, new PatchOptions { MinAreaM2 = 0 })];
        }
        var tasks = RunTasks(Path.Combine(dir.File("out"), "patches.gpkg"));
        TestContext.Out.WriteLine($"run: {tasks.Count} tasks; detector {runMask.Count(v => v == 1)} px, product {product.Count(v => v == 1)} px");
        Assert.Multiple(() =>
        {
            Assert.That(detectorMask, Is.EqualTo(runMask), "eval detects as the run does");
            Assert.That(tasks, Is.Not.Empty, "the sample has changes");
            Assert.That(product.Count(v => v == 1), Is.LessThan(runMask.Count(v => v == 1)), "patches without a task are removed");
            Assert.That(Enumerable.Range(0, product.Length).Where(i => product[i] == 1).All(i => runMask[i] == 1), Is.True, "the product only removes change");
            Assert.That(patches.Select(p => Math.Round(p.AreaM2, 3)).Order(), Is.EqualTo(tasks.Select(t => Math.Round(t.Area, 3)).Order()),
                "the product mask holds exactly the run's tasks");
        });
    }
}
