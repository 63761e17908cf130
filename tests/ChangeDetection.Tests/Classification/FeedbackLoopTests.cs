using System.Text;
using ChangeDetection.Classification;
using ChangeDetection.Export;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Classification;

/// <summary>
/// The feedback loop of the patch classifier, round trip: run a region, take a province's exported
/// tasks.csv, fill in verification results (核查结果), train with them, and the model moves the
/// verified patches towards the inspectors' class.
/// </summary>
[TestFixture]
[Category("Slow")]
public class FeedbackLoopTests
{
    private TempDir _dir = null!;
    private RegionRunResult _run = null!;
    private string _tasksCsv = null!;
    private string _syntheticTable = null!;
    private List<LabelledFeatures> _synthetic = null!;
    private RunPatchFeatures _features = null!;
    private static readonly PatchClassifierOptions Options = new() { Seed = 1 };

    [OneTimeSetUp]
    public void RunARegionAndMakeSyntheticTrainingData()
    {
        _dir = new TempDir();
        var sample = SyntheticRegion.Generate(_dir.File("region"), new SyntheticRegionOptions { Size = 1024, Seed = 7, Workers = 2 });
        _run = RegionRun.Run(RegionConfig.Load(sample.RegionFile), new RegionRunOptions { Output = _dir.File("out"), TileSize = 512, Workers = 2, Model = "none" });
        // The province with the most tasks (without a model every patch is a task).
        var province = _run.TasksByProvince.MaxBy(kv => kv.Value).Key;
        _tasksCsv = Path.Combine(_run.OutputFolder, "provinces", ProvincePackage.FolderName(province), ProvincePackage.Prefix(province, RegionConfig.Load(sample.RegionFile).Quarter) + "tasks.csv");
        _features = RunPatchFeatures.Load(_run.OutputFolder);

        // A small synthetic training set, so that every model knows every class.
        var samples = new[] { 1L, 2L }.SelectMany(SyntheticSamples.Of).ToList();
        _synthetic = samples.Select(s => s.ToLabelled()).ToList();
        _syntheticTable = _dir.File("synthetic.csv");
        FeatureTable.Write(_syntheticTable, samples.Select(s => ($"seed{s.Seed}-patch{s.PatchId}", s.ToLabelled())));
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    /// <summary>The JCBH of the tasks of the exported tasks.csv, in file order.</summary>
    private List<string> TaskIds()
    {
        var lines = File.ReadAllLines(_tasksCsv);
        int jcbh = Array.IndexOf(lines[0].Split(','), "JCBH");
        return lines.Skip(1).Select(l => l.Split(',')[jcbh]).ToList();
    }

    /// <summary>tasks.csv with an HCJG column added (as inspectors fill it in Excel): the result of each JCBH, empty for the others.</summary>
    private string Fill(string name, IReadOnlyDictionary<string, string> results, params (string Jcbh, string Result)[] extraRows)
    {
        var lines = File.ReadAllLines(_tasksCsv);
        var header = lines[0].Split(',');
        int jcbh = Array.IndexOf(header, "JCBH");
        var filled = new List<string> { lines[0] + ",HCJG" };
        filled.AddRange(lines.Skip(1).Select(l => l + "," + results.GetValueOrDefault(l.Split(',')[jcbh], "")));
        foreach (var (id, result) in extraRows)
        {
            var cells = new string[header.Length + 1];
            cells[jcbh] = id;
            cells[^1] = result;
            filled.Add(string.Join(',', cells));
        }
        string path = _dir.File(name);
        File.WriteAllText(path, string.Join("\r\n", filled) + "\r\n", new UTF8Encoding(true));
        return path;
    }

    /// <summary>Half of the tasks, those the synthetic-only model finds least pseudo, verified as pseudo-change (伪变化).</summary>
    private (PatchClassifier Baseline, List<string> Marked) MarkLeastPseudoHalf()
    {
        var baseline = PatchClassifier.Train(_synthetic, Options);
        var ids = TaskIds();
        var marked = ids.OrderBy(id => Pseudo(baseline, id)).ThenBy(id => id, StringComparer.Ordinal).Take(Math.Max(3, ids.Count / 2)).ToList();
        return (baseline, marked);
    }

    private double Pseudo(PatchClassifier model, string jcbh) => model.Predict(_features.ByJcbh[jcbh]).Scores.GetValueOrDefault("pseudo");

    [Test]
    public void EveryRunKeepsTheFeaturesOfEveryPatchByJcbh()
    {
        string file = Path.Combine(_run.OutputFolder, RunPatchFeatures.FileName);
        var rows = FeatureTable.ReadRows(file);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_run.Outputs, Does.Contain(file));
            Assert.That(rows, Has.Count.EqualTo(_run.Patches));
            Assert.That(rows.Select(r => r.Id), Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal), "in JCBH order");
            Assert.That(rows.Select(r => r.Label), Is.All.Empty);
            Assert.That(FeatureTable.ReadSchemaVersion(file), Is.EqualTo(PatchFeatures.SchemaVersion));
            Assert.That(TaskIds(), Is.SubsetOf(rows.Select(r => r.Id)), "every exported task has its features");
            Assert.That(rows.Select(r => r.Features.Count(float.IsNaN)), Is.All.LessThan(PatchFeatures.Length), "vectors are filled");
        }
    }

    /// <summary>The test: export tasks, fill results, train, the model changes — towards the verified class.</summary>
    [Test]
    public void PatchesVerifiedAsPseudoAreMorePseudoUnderTheFeedbackModel()
    {
        var (baseline, marked) = MarkLeastPseudoHalf();
        string results = Fill("pseudo-half.csv", marked.ToDictionary(id => id, _ => "伪变化"));
        var feedback = VerificationFeedback.Load(results, _run.OutputFolder);
        Assert.That(feedback.Examples, Has.Count.EqualTo(marked.Count));
        Assert.That(feedback.ByClass, Is.EqualTo(new[] { ("pseudo", marked.Count) }));
        Assert.That(feedback.Unverified, Is.EqualTo(TaskIds().Count - marked.Count));

        var improved = PatchClassifier.Train(_synthetic.Concat(feedback.Examples), Options);
        var before = marked.Select(id => Pseudo(baseline, id)).ToList();
        var after = marked.Select(id => Pseudo(improved, id)).ToList();
        int pseudoBefore = marked.Count(id => baseline.Predict(_features.ByJcbh[id]).Class.Code == "pseudo");
        int pseudoAfter = marked.Count(id => improved.Predict(_features.ByJcbh[id]).Class.Code == "pseudo");
        TestContext.Out.WriteLine($"{marked.Count} marked: mean P(pseudo) {before.Average():0.000} → {after.Average():0.000}; predicted pseudo {pseudoBefore} → {pseudoAfter}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.Average(), Is.GreaterThan(before.Average() + 0.2));
            Assert.That(pseudoAfter, Is.GreaterThan(pseudoBefore));
            Assert.That(pseudoAfter, Is.GreaterThanOrEqualTo((marked.Count + 1) / 2), "most verified patches are now called pseudo");
        }
    }

    /// <summary>Through the command line, combined with a labelled table: the same direction, and the counts printed.</summary>
    [Test]
    public void TrainWithResultsAndRunOnTheCommandLine()
    {
        var (_, marked) = MarkLeastPseudoHalf();
        string results = Fill("pseudo-cli.csv", marked.ToDictionary(id => id, _ => "pseudo"), ("3201022026Q39999", "pseudo"));
        string withResults = _dir.File("with-results.zip"), without = _dir.File("without.zip");

        var (code, stdout, stderr) = Cdx("train", "--labels", _syntheticTable, "--results", results, "--run", _run.OutputFolder, "--folds", "3", "--out", withResults);
        Assert.That(code, Is.Zero, stderr);
        var (code0, _, stderr0) = Cdx("train", "--labels", _syntheticTable, "--folds", "3", "--out", without);
        Assert.That(code0, Is.Zero, stderr0);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stdout, Does.Contain($"{marked.Count} verified patches used: pseudo {marked.Count}"));
            Assert.That(stdout, Does.Contain($"{_synthetic.Count + marked.Count} labelled patches"));
            Assert.That(stderr, Does.Contain("warning").And.Contain("1 verified JCBH are no patch of the run").And.Contain("3201022026Q39999"));
            Assert.That(File.ReadAllText(_dir.File("with-results.metrics.txt")), Does.Contain("results " + results));
        }
        var a = PatchClassifier.Load(without);
        var b = PatchClassifier.Load(withResults);
        Assert.That(marked.Average(id => Pseudo(b, id)), Is.GreaterThan(marked.Average(id => Pseudo(a, id)) + 0.2));
    }

    [Test]
    public void ResultsWithTheSyntheticSeedsAsWell()
    {
        var ids = TaskIds();
        var results = Fill("mixed.csv", new Dictionary<string, string> { [ids[0]] = "建(构)筑物", [ids[^1]] = "PSEUDO" });
        var (code, stdout, stderr) = Cdx("train", "--synthetic-seeds", "1", "--size", "1024", "--work", _dir.File("work"), "--results", results, "--run", Path.Combine(_run.OutputFolder, "run.json"), "--folds", "2", "--out", _dir.File("mixed.zip"));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("synthetic seed 1:").And.Contain("2 verified patches used: construction 1, pseudo 1"));
        Assert.That(stderr, Is.Empty);
    }

    [Test]
    public void SeveralResultsFilesArePairedWithTheirRuns()
    {
        var ids = TaskIds();
        string first = Fill("first.csv", new Dictionary<string, string> { [ids[0]] = "pond" });
        string second = Fill("second.csv", new Dictionary<string, string> { [ids[1]] = "road", [ids[2]] = "road" });
        var (code, stdout, stderr) = Cdx("train", "--labels", _syntheticTable, "--results", first, "--run", _run.OutputFolder,
            "--results", second, "--run", _run.OutputFolder, "--folds", "2", "--out", _dir.File("two.zip"));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain($"{first} (HCJG, run {_run.OutputFolder}): 1 verified patches used: pond 1")
            .And.Contain($"{second} (HCJG, run {_run.OutputFolder}): 2 verified patches used: road 2")
            .And.Contain($"{_synthetic.Count + 3} labelled patches"));
    }

    [TestCase(new[] { "--results", "RESULTS" }, "--results needs --run")]
    [TestCase(new[] { "--run", "RUN", "--labels", "SYNTH" }, "--run names the run of --results")]
    [TestCase(new[] { "--results", "RESULTS", "--run", "RUN", "--run", "RUN" }, "1 --results and 2 --run")]
    [TestCase(new[] { "--results", "RESULTS", "--run", "EMPTY" }, "re-run 'cdx run")]
    [TestCase(new[] { "--results", "RESULTS", "--run", "RUN", "--result-column", "XX" }, "no result column 'XX'")]
    [TestCase(new[] { "--results", "BAD", "--run", "RUN" }, "'house' in column HCJG is not a change class")]
    public void BadFeedbackInputExitsWithTwoAndWritesNoModel(string[] options, string message)
    {
        string empty = _dir.File("empty-run");
        Directory.CreateDirectory(empty);
        string results = Fill("results.csv", new Dictionary<string, string> { [TaskIds()[0]] = "pond" });
        string bad = Fill("bad.csv", new Dictionary<string, string> { [TaskIds()[0]] = "house" });
        var args = new List<string> { "train", "--out", _dir.File("bad.zip") };
        args.AddRange(options.Select(o => o switch
        {
            "RESULTS" => results, "BAD" => bad, "RUN" => _run.OutputFolder, "EMPTY" => empty, "SYNTH" => _syntheticTable, _ => o,
        }));
        var (code, _, stderr) = Cdx([.. args]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain(message));
            Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(File.Exists(_dir.File("bad.zip")), Is.False);
        }
    }
}
