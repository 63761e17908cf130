using System.Text.Json;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using Microsoft.Data.Sqlite;
using static ChangeDetection.Tests.Pipeline.RegionRunSample;

namespace ChangeDetection.Tests.Pipeline;

[TestFixture]
public class RegionRunTests
{
    /// <summary>The kept mask is a COG (overviews, colour table) holding the pixels the run counted.</summary>
    [Test]
    public void KeptMaskIsACloudOptimizedGeoTiffWithTheRunsPixels()
    {
        var run = CleanRun;
        var layout = ChangeDetection.Raster.GeoTiff.CogLayout.Inspect(run.MaskPath!);
        using var reader = ChangeDetection.Raster.GeoTiff.GeoTiffReader.Open(run.MaskPath!);
        var (valid, changed) = ChangeDetection.Detection.ChangeDetector.Count(reader.ReadBand<byte>(0));
        Assert.Multiple(() =>
        {
            Assert.That(layout.IsCog, Is.True, layout.NotCogReason);
            Assert.That(layout.Overviews, Has.Count.EqualTo(OverviewLevels(reader.Info.Width, reader.Info.Height)));
            Assert.That((valid, changed), Is.EqualTo((run.ValidPixels, run.ChangedPixels)));
        });
    }

    private static int OverviewLevels(int w, int h)
    {
        int n = 0;
        for (; Math.Max(w, h) > 256; n++) (w, h) = ((w + 1) / 2, (h + 1) / 2);
        return n;
    }

    [Test]
    public void ResumedRunEndsWithTheSameBytesAsAnUninterruptedRun()
    {
        using var dir = new TempDir();
        var clean = CleanRun;

        string resumedOut = dir.File("resumed");
        CancelAt.StopAfterMaskTiles(Config, Options(resumedOut, workers: 1), 5);
        Assert.That(File.Exists(Path.Combine(resumedOut, "mask.tif")), Is.False, "no output before the run completes");
        var resumed = RegionRun.Run(Config, Options(resumedOut));

        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.EqualTo(5));
            Assert.That(resumed.Threshold, Is.EqualTo(clean.Threshold));
            Assert.That(Sha(resumed.MaskPath!), Is.EqualTo(Sha(clean.MaskPath!)));
            Assert.That(resumed.Outputs.Select(Path.GetFileName), Is.EqualTo(clean.Outputs.Select(Path.GetFileName)));
            foreach (var (a, b) in resumed.Outputs.Zip(clean.Outputs))
                Assert.That(Hashes(a), Is.EqualTo(Hashes(b)), Path.GetFileName(a));
        });
    }

    /// <summary>
    /// Stopped between the passes (every histogram tile and its scores recorded, no mask tile), then resumed,
    /// with the scratch scores kept or lost: the outputs match an uninterrupted run.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void RunStoppedBetweenThePassesResumesToTheSameBytes(bool loseScores)
    {
        using var dir = new TempDir();
        var clean = CleanRun;
        Assert.That(Directory.Exists(Path.Combine(clean.OutputFolder, ".work", "scores")), Is.False, "a finished run removes its scratch scores");

        string resumedOut = dir.File("resumed");
        CancelAt.StopAfterMaskTiles(Config, Options(resumedOut), 0);
        string scores = Path.Combine(resumedOut, ".work", "scores");
        Assert.That(Directory.GetFiles(scores), Has.Length.EqualTo(16), "one score file per histogram tile");
        if (loseScores) Directory.Delete(scores, recursive: true);
        var resumed = RegionRun.Run(Config, Options(resumedOut));

        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.Zero);
            Assert.That(resumed.Threshold, Is.EqualTo(clean.Threshold));
            Assert.That(Sha(resumed.MaskPath!), Is.EqualTo(Sha(clean.MaskPath!)));
            foreach (var (a, b) in resumed.Outputs.Zip(clean.Outputs))
                Assert.That(Hashes(a), Is.EqualTo(Hashes(b)), Path.GetFileName(a));
        });
    }

    [Test]
    public void ChangedInputsRefuseToResumeUnlessForced()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        RegionRun.Run(Config, Options(output));
        var e = Assert.Throws<ChangeDetectionException>(() => RegionRun.Run(Config, Options(output) with { TileSize = 256 }));
        Assert.That(e!.Message, Does.Contain("--force"));
        var forced = RegionRun.Run(Config, Options(output) with { TileSize = 256, Force = true });
        Assert.That(forced.TilesResumed, Is.Zero);
    }

    /// <summary>Per patch of patches.geojson: its area (TBMJ) and its overlap with permanent basic farmland (YJJBNTMJ), in m².</summary>
    private static List<(double Area, double Farmland)> FarmlandOverlaps(string output) =>
        System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "patches.geojson")))!["features"]!.AsArray()
            .Select(f => (f!["properties"]!["TBMJ"]!.GetValue<double>(), f["properties"]!["YJJBNTMJ"]!.GetValue<double>())).ToList();

    [Test]
    public void AChangedLayerOrModelResumesEveryMaskTileAndRedoesTheVectorStages()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        string layer = dir.File("farmland.geojson");
        File.Copy(Config.Layers[0].Path, layer);
        var config = Config with { Layers = [Config.Layers[0] with { Path = layer }] };
        var first = RegionRun.Run(config, Options(output));
        var before = FarmlandOverlaps(output);

        // The layer now covers the whole image (and more), and the classifier is switched off.
        double x0 = SyntheticRegion.CenterX - 5000, x1 = SyntheticRegion.CenterX + 5000, y0 = SyntheticRegion.CenterY - 5000, y1 = SyntheticRegion.CenterY + 5000;
        File.WriteAllText(layer, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"type\":\"FeatureCollection\",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::4527\"}}}},\"features\":[{{\"type\":\"Feature\",\"properties\":{{}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}]}}"));
        var second = RegionRun.Run(config with { Model = null }, Options(output));
        var after = FarmlandOverlaps(output);

        Assert.Multiple(() =>
        {
            Assert.That(before, Has.Some.Matches<(double Area, double Farmland)>(p => p.Farmland < p.Area - 0.01), "the first layer does not cover every patch");
            Assert.That(second.TilesResumed, Is.EqualTo(second.Tiles), "no mask tile was recomputed");
            Assert.That(second.Threshold, Is.EqualTo(first.Threshold));
            Assert.That(after, Is.Not.Empty);
            Assert.That(after, Has.All.Matches<(double Area, double Farmland)>(p => Math.Abs(p.Farmland - p.Area) < 0.01), "every patch lies in the new layer");
            Assert.That(second.PseudoPatches, Is.Zero, "without a classifier no patch is pseudo-change");
            Assert.That(first.PseudoPatches, Is.GreaterThan(0));
        });
    }

    [Test]
    public void RunJsonRecordsTheRun()
    {
        var result = CleanRun;
        using var doc = JsonDocument.Parse(File.ReadAllText(result.RunJson));
        var root = doc.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("status").GetString(), Is.EqualTo("complete"));
            Assert.That(root.GetProperty("config").GetProperty("sha256").GetString(), Is.EqualTo(Sha(Config.FilePath)));
            Assert.That(root.GetProperty("threshold").GetDouble(), Is.EqualTo(result.Threshold).Within(1e-6));
            Assert.That(root.GetProperty("counts").GetProperty("tiles").GetInt32(), Is.EqualTo(16));
            Assert.That(root.GetProperty("parameters").GetProperty("tile_size").GetInt32(), Is.EqualTo(128));
            // The after image's shift is estimated and recorded, not applied by default.
            var registration = root.GetProperty("parameters").GetProperty("registration");
            Assert.That(Enum.GetNames<ChangeDetection.Registration.GlobalShiftStatus>(), Does.Contain(registration.GetProperty("status").GetString()));
            Assert.That(registration.GetProperty("reason").GetString(), Is.Not.Empty);
            Assert.That(root.GetProperty("parameters").GetProperty("registration_applied").GetBoolean(), Is.False);
            Assert.That(root.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("role").GetString()), Does.Contain("before").And.Contain("after"));
            Assert.That(root.GetProperty("timings_s").TryGetProperty("mask", out _), Is.True);
            Assert.That(root.GetProperty("version").GetString(), Is.Not.Empty);
            Assert.That(root.GetProperty("counts").GetProperty("patches").GetInt32(), Is.EqualTo(result.Patches));
            Assert.That(root.GetProperty("counts").GetProperty("tasks").GetInt32(), Is.EqualTo(result.TasksByProvince.Values.Sum()));
        });
    }

    [Test]
    public void EveryPatchBecomesATaskInTheProvincePackageOfItsCounty()
    {
        var result = CleanRunWithoutModel;
        Assert.That(result.Patches, Is.GreaterThan(0), "the sample region has changes");
        Assert.Multiple(() =>
        {
            // Without a classifier no patch is pseudo: one task per patch.
            Assert.That(result.TasksByProvince.Values.Sum(), Is.EqualTo(result.Patches));
            // The patch layer carries every patch with the task fields.
            var columns = PatchColumns(Path.Combine(result.OutputFolder, "patches.gpkg"));
            Assert.That(columns, Is.SupersetOf(new[] { "JCBH", "XZQDM", "XZQMC", "TBMJ", "TBMJMU", "QSX", "HSX", "BHLX", "BHLXMC", "ZXD", "ZXDX", "ZXDY", "JD", "WD", "YJJBNTMJ", "GDMJ", "STHXMJ", "CZKFMJ", "YXJ" }));
            foreach (var (province, count) in result.TasksByProvince)
            {
                string folder = Path.Combine(result.OutputFolder, "provinces", ChangeDetection.Export.ProvincePackage.FolderName(province));
                var manifest = ChangeDetection.Export.PackageManifest.Read(Path.Combine(folder, "manifest.json"));
                Assert.That(manifest.TaskCount, Is.EqualTo(count), province);
                Assert.That(File.ReadAllLines(Path.Combine(folder, ChangeDetection.Export.ProvincePackage.Prefix(province, manifest.Run!.Quarter) + "tasks.csv")), Has.Length.EqualTo(count + 1), province);
                Assert.That(Directory.GetFiles(Path.Combine(folder, "chips"), "*.png"), Has.Length.EqualTo(2 * count), province);
            }
        });
    }

    private static List<string> PatchColumns(string gpkg)
    {
        using var db = new SqliteConnection($"Data Source={gpkg};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT name FROM pragma_table_info('patches')";
        var names = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) names.Add(r.GetString(0));
        return names;
    }
}
