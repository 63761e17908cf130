using ChangeDetection.Evaluation;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>The whole pipeline on a synthetic region, scored object by object against its truth.</summary>
[TestFixture]
[Category("Slow")]
public class EndToEndTests
{
    // One region for the fixture: each test runs it into its own output folder (and the unit test
    // into its own config next to the region's), so none sees another's outputs.
    private TempDir _dir = null!;
    private SyntheticRegionSummary _sample = null!;
    private Lazy<RegionRunResult> _kernelRun = null!;

    [OneTimeSetUp]
    public void GenerateRegion()
    {
        _dir = new TempDir();
        _sample = SyntheticRegion.Generate(_dir.File("region"), new SyntheticRegionOptions { Size = 2048, Seed = 42 });
        // The kernel alone ("model": "none"): the config without a model key would classify with the shipped model.
        _kernelRun = new(() => RegionRun.Run(RegionConfig.Load(_sample.RegionFile), new RegionRunOptions { Output = _dir.File("out-kernel"), TileSize = 512, Model = "none" }));
    }

    /// <summary>
    /// A copy of the kernel run's folder (made on first use) in <c>name</c>: a run there with a classifier or other
    /// mapping units resumes every mask tile from the ledger and redoes only the vector stages, as <c>cdx run</c> does
    /// (RegionRunTests), instead of scoring the 2048² region's tiles again.
    /// </summary>
    private string FromKernelRun(string name)
    {
        string from = _kernelRun.Value.OutputFolder, to = _dir.File(name);
        foreach (string f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return to;
    }

    [OneTimeTearDown]
    public void DeleteRegion() => _dir.Dispose();

    [Test]
    public void SyntheticRegionChangesAreFoundAsPatches()
    {
        var sample = _sample;
        var result = _kernelRun.Value;

        var patches = ReadPatches(Path.Combine(result.OutputFolder, "patches.gpkg"));
        var score = PatchEvaluation.Score(patches, sample.TruthFile);
        TestContext.Out.WriteLine($"changes {score.Changes}, found {score.Found} (recall {score.Recall:0.00}); patches {score.Patches}: on changes {score.PatchesOnChanges}, on pseudo-changes {score.PatchesOnPseudo}, elsewhere {score.Patches - score.PatchesOnChanges - score.PatchesOnPseudo}");
        Assert.Multiple(() =>
        {
            Assert.That(result.Patches, Is.EqualTo(patches.Count));
            Assert.That(score.Recall, Is.GreaterThanOrEqualTo(0.9));
            // No precision bound here. Pseudo-changes (cloud, ploughing) and the generator's seasonal
            // change (spring-sown strips bare in April, green in July: about a tenth of this scene) are
            // real spectral change: the detector, scoring against the no-change noise, reports them
            // (measured: 61 patches, 13 on injected changes or look-alikes). Telling them apart is the
            // classifier's job; the next test holds the tasks to precision with the shipped model.
        });
    }

    /// <summary>With the shipped classifier, the tasks (non-pseudo patches) are the injected changes.</summary>
    [Test]
    public void WithTheShippedClassifierTasksAreTheRealChanges()
    {
        string model = ShippedModel();
        var sample = _sample;
        var config = RegionConfig.Load(sample.RegionFile);
        var result = RegionRun.Run(config, new RegionRunOptions { Output = FromKernelRun("out-shipped"), TileSize = 512, Model = model });
        Assert.That(result.TilesResumed, Is.EqualTo(result.Tiles), "the kernel run's mask tiles");

        var tasks = ReadPatches(Path.Combine(result.OutputFolder, "patches.gpkg"), "BHLX <> 'pseudo'");
        var score = PatchEvaluation.Score(tasks, sample.TruthFile);
        TestContext.Out.WriteLine($"tasks {score.Patches}: on changes {score.PatchesOnChanges}, on pseudo-changes {score.PatchesOnPseudo}; changes found {score.Found}/{score.Changes}; pseudo patches {result.PseudoPatches}");
        Assert.Multiple(() =>
        {
            Assert.That(result.PseudoPatches, Is.GreaterThan(0), "the look-alikes are recognised");
            // The shipped model keeps 98.7 % of the real changes of twelve unseen regions (models/classifier.metrics.txt):
            // here all 9 changes become tasks and the 7 look-alike patches none (measured with this model and the one
            // before it, trained on an older detector's patches).
            Assert.That(score.Recall, Is.GreaterThanOrEqualTo(0.85));
            Assert.That(score.Precision, Is.GreaterThanOrEqualTo(0.8), "tasks on real changes");
        });
    }

    /// <summary>Each class's minimum mapping unit applies once the classifier has named the class.</summary>
    [Test]
    public void PerClassMappingUnitsApplyAfterClassification()
    {
        string model = ShippedModel();
        // No pseudo-change is small enough to keep; construction down to 50 m², everything else 400 m².
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_sample.RegionFile))!;
        json["detection"]!["minAreaM2"] = new System.Text.Json.Nodes.JsonObject { ["default"] = 400, ["construction"] = 50, ["pseudo"] = 1e12 };
        string units = Path.Combine(Path.GetDirectoryName(_sample.RegionFile)!, "region-units.json");
        File.WriteAllText(units, json.ToJsonString());
        var config = RegionConfig.Load(units);
        var result = RegionRun.Run(config, new RegionRunOptions { Output = FromKernelRun("out-units"), TileSize = 512, Model = model });
        Assert.That(result.TilesResumed, Is.EqualTo(result.Tiles), "the kernel run's mask tiles");

        var rows = ReadRows(Path.Combine(result.OutputFolder, "patches.gpkg"));
        Assert.That(rows, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            Assert.That(result.PseudoPatches, Is.Zero);
            Assert.That(rows.Select(r => r.Class), Has.None.EqualTo("pseudo"));
            foreach (var (cls, area) in rows)
                Assert.That(area, Is.GreaterThanOrEqualTo(cls == "construction" ? 50 : 400), cls);
        });
    }

    private static List<(string Class, double Area)> ReadRows(string gpkg)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={gpkg};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT BHLX, TBMJ FROM patches";
        var list = new List<(string, double)>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add((r.GetString(0), r.GetDouble(1)));
        return list;
    }

    /// <summary>models/classifier.zip at the repository root (trained by the command in README).</summary>
    internal static string ShippedModel()
    {
        string candidate = Repository.File(Path.Combine("models", "classifier.zip"));
        return File.Exists(candidate) ? candidate : throw new FileNotFoundException("models/classifier.zip is missing from the repository", candidate);
    }

    private static List<Geometry> ReadPatches(string gpkg, string where = "1=1")
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={gpkg};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT geom FROM patches WHERE {where}";
        var reader = new GeoPackageGeoReader();
        var list = new List<Geometry>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(reader.Read((byte[])r[0]));
        return list;
    }
}
