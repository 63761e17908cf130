using System.Globalization;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using Microsoft.Data.Sqlite;

namespace ChangeDetection.Tests.Pipeline;

[TestFixture]
public partial class RegionRunTests
{
    private static TempDir _sample = null!;
    private static RegionConfig _config = null!;

    [OneTimeSetUp]
    public void MakeSample()
    {
        _sample = new TempDir();
        SyntheticRegion.Generate(_sample.Path, new SyntheticRegionOptions { Size = 512, Seed = 5 });
        _config = RegionConfig.Load(Path.Combine(_sample.Path, "region.json"));
    }

    [OneTimeTearDown]
    public void Cleanup() => _sample.Dispose();

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Every file under an output (a file, or a folder such as provinces/32) with its hash, by relative path.</summary>
    private static Dictionary<string, string> Hashes(string output) => Directory.Exists(output)
        ? Directory.GetFiles(output, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(output, f), Sha)
        : new Dictionary<string, string> { [Path.GetFileName(output)] = Sha(output) };

    private static RegionRunOptions Options(string output, int workers = 2) =>
        new() { Output = output, TileSize = 128, Workers = workers, WriteMask = true };

    /// <summary>The kept mask is a COG (overviews, colour table) holding the pixels the run counted.</summary>
    [Test]
    public void KeptMaskIsACloudOptimizedGeoTiffWithTheRunsPixels()
    {
        using var dir = new TempDir();
        var run = RegionRun.Run(_config, Options(dir.File("out")));
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
        var clean = RegionRun.Run(_config, Options(dir.File("clean")));

        string resumedOut = dir.File("resumed");
        CancelAt.StopAfterMaskTiles(_config, Options(resumedOut, workers: 1), 5);
        Assert.That(File.Exists(Path.Combine(resumedOut, "mask.tif")), Is.False, "no output before the run completes");
        var resumed = RegionRun.Run(_config, Options(resumedOut));

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
        var clean = RegionRun.Run(_config, Options(dir.File("clean")));
        Assert.That(Directory.Exists(Path.Combine(clean.OutputFolder, ".work", "scores")), Is.False, "a finished run removes its scratch scores");

        string resumedOut = dir.File("resumed");
        CancelAt.StopAfterMaskTiles(_config, Options(resumedOut), 0);
        string scores = Path.Combine(resumedOut, ".work", "scores");
        Assert.That(Directory.GetFiles(scores), Has.Length.EqualTo(16), "one score file per histogram tile");
        if (loseScores) Directory.Delete(scores, recursive: true);
        var resumed = RegionRun.Run(_config, Options(resumedOut));

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
        RegionRun.Run(_config, Options(output));
        var e = Assert.Throws<ChangeDetectionException>(() => RegionRun.Run(_config, Options(output) with { TileSize = 256 }));
        Assert.That(e!.Message, Does.Contain("--force"));
        var forced = RegionRun.Run(_config, Options(output) with { TileSize = 256, Force = true });
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
        File.Copy(_config.Layers[0].Path, layer);
        var config = _config with { Layers = [_config.Layers[0] with { Path = layer }] };
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
        using var dir = new TempDir();
        var result = RegionRun.Run(_config, Options(dir.File("out")));
        using var doc = JsonDocument.Parse(File.ReadAllText(result.RunJson));
        var root = doc.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("status").GetString(), Is.EqualTo("complete"));
            Assert.That(root.GetProperty("config").GetProperty("sha256").GetString(), Is.EqualTo(Sha(_config.FilePath)));
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
        using var dir = new TempDir();
        var result = RegionRun.Run(_config, Options(dir.File("out")) with { Model = "none" });
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

    /// <summary>kill -9 in the middle of the mask pass, then resume: the outputs match a clean run.</summary>
    [Test]
    [Category("Slow")]
    public void KilledChildProcessResumesToIdenticalOutputs()
    {
        using var dir = new TempDir();
        var clean = RegionRun.Run(_config, Options(dir.File("clean")));

        string output = dir.File("killed");
        using (var child = StartCdx("run", _config.FilePath, "--out", output, "--tile", "64", "--workers", "1", "--write-mask"))
        {
            string ledger = Path.Combine(output, ".work", RunLedger.FileName);
            var clock = Stopwatch.StartNew();
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60) && MaskTiles(ledger) < 3) Thread.Sleep(20);
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        Assert.That(File.Exists(Path.Combine(output, "mask.tif")), Is.False, "the child was killed before it finished");

        var resumed = RegionRun.Run(_config, Options(output) with { TileSize = 64 });
        var reference = RegionRun.Run(_config, Options(dir.File("clean64")) with { TileSize = 64 });
        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.GreaterThanOrEqualTo(3));
            Assert.That(Sha(resumed.MaskPath!), Is.EqualTo(Sha(reference.MaskPath!)));
            Assert.That(resumed.ChangedPixels, Is.EqualTo(clean.ChangedPixels), "the tile size does not change the result");
        });
    }

    /// <summary>
    /// Ctrl+C (SIGINT) or a service manager's SIGTERM in the middle of the mask pass: the run stops cleanly (exit 130, one
    /// line saying how to resume, no partial deliverables), and the same command resumes to the bytes of a clean run.
    /// </summary>
    [TestCase("INT")]
    [TestCase("TERM")]
    [Category("Slow")]
    public void SignalledChildProcessStopsCleanlyAndResumesToIdenticalOutputs(string signal)
    {
        using var dir = new TempDir();
        string output = dir.File("stopped");
        var stderr = new System.Text.StringBuilder();
        using (var child = StartCdx(stderr, "run", _config.FilePath, "--out", output, "--tile", "64", "--workers", "1", "--write-mask"))
        {
            string ledger = Path.Combine(output, ".work", RunLedger.FileName);
            var clock = Stopwatch.StartNew();
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60) && MaskTiles(ledger) < 3) Thread.Sleep(20);
            Assert.That(child.HasExited, Is.False, "the run was still in its mask pass");
            using (var kill = Process.Start("kill", ["-" + signal, child.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.That(child.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, "the run stopped");
            child.WaitForExit();
            string said;
            lock (stderr) said = stderr.ToString();
            Assert.Multiple(() =>
            {
                Assert.That(child.ExitCode, Is.EqualTo(130), said);
                Assert.That(said, Does.Contain("cdx: stopped.").And.Contain("run the same command again to resume"));
                Assert.That(said, Does.Not.Contain("   at "), "no stack trace");
                Assert.That(File.Exists(Path.Combine(output, "mask.tif")), Is.False, "nothing delivered from a stopped run");
                Assert.That(Directory.GetDirectories(Path.Combine(output, ".work"), "delivery.partial*"), Is.Empty, "no staged set left behind");
            });
        }

        var resumed = RegionRun.Run(_config, Options(output) with { TileSize = 64 });
        var reference = RegionRun.Run(_config, Options(dir.File("clean64")) with { TileSize = 64 });
        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.GreaterThanOrEqualTo(3), "the tiles finished before the signal were kept");
            Assert.That(Sha(resumed.MaskPath!), Is.EqualTo(Sha(reference.MaskPath!)));
        });
    }

    /// <summary>Starts <c>cdx</c> as a child process; what it prints on stderr is collected in <paramref name="stderr"/> (lock it to read).</summary>
    private static Process StartCdx(System.Text.StringBuilder stderr, params string[] args)
    {
        var child = StartCdx(args);
        child.ErrorDataReceived += (_, e) =>
        {
            lock (stderr) stderr.AppendLine(e.Data);
        };
        return child;
    }

    /// <summary>Starts <c>cdx</c> (built next to the tests) as a child process, its output read and dropped.</summary>
    private static Process StartCdx(params string[] args)
    {
        string cdx = Path.Combine(AppContext.BaseDirectory, "cdx.dll");
        Assert.That(File.Exists(cdx), Is.True, $"{cdx} is built next to the tests");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cdx);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var child = Process.Start(psi)!;
        child.OutputDataReceived += (_, _) => { };
        child.ErrorDataReceived += (_, _) => { };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        return child;
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

    private static long MaskTiles(string ledger)
    {
        if (!File.Exists(ledger)) return 0;
        try
        {
            using var db = new SqliteConnection($"Data Source={ledger};Mode=ReadOnly;Pooling=False");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM results WHERE stage='mask'";
            return (long)cmd.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0; // not created yet, or locked for a moment
        }
    }
}
