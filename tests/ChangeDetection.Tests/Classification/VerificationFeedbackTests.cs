using System.Text;
using ChangeDetection.Classification;

namespace ChangeDetection.Tests.Classification;

/// <summary>Joining verification results to a run's patch features, on hand-made run folders.</summary>
[TestFixture]
public class VerificationFeedbackTests
{
    private static readonly int Area = PatchFeatures.IndexOf("area_m2_log10");

    private static float[] Vector(double areaM2, float fill)
    {
        var f = Enumerable.Repeat(fill, PatchFeatures.Length).ToArray();
        f[Area] = (float)Math.Log10(areaM2);
        return f;
    }

    /// <summary>A run folder whose patch_features.csv holds patches 0001–0003 of 410102 (1600, 900, 625 m²).</summary>
    private static string Run(TempDir dir)
    {
        string run = dir.File("run");
        Directory.CreateDirectory(run);
        FeatureTable.Write(Path.Combine(run, RunPatchFeatures.FileName),
        [
            ("4101022026Q30001", new LabelledFeatures(Vector(1600, 1), "")),
            ("4101022026Q30002", new LabelledFeatures(Vector(900, 2), "")),
            ("4101022026Q30003", new LabelledFeatures(Vector(625, 3), "")),
        ]);
        return run;
    }

    private static string Results(TempDir dir, string text)
    {
        string path = dir.File("results.csv");
        File.WriteAllText(path, text, new UTF8Encoding(true));
        return path;
    }

    [Test]
    public void VerifiedPatchesOfTheRunBecomeExamplesOthersAreCounted()
    {
        using var dir = new TempDir();
        string run = Run(dir);
        string results = Results(dir,
            "JCBH,TBMJ,HCJG\r\n" +
            "4101022026Q30001,1600.00,pseudo\r\n" +
            "4101022026q30002,900.00,新增线形地物\r\n" +
            "4101022026Q30003,2500.00,construction\r\n" + // another patch has this number now
            "4101022026Q30004,400.00,pond\r\n" +          // not a patch of the run
            "4101022026Q30005,400.00,\r\n");
        var f = VerificationFeedback.Load(results, run);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(f.Examples.Select(e => e.Label), Is.EqualTo(new[] { "pseudo", "road" }));
            Assert.That(f.Examples[0].Features[0], Is.EqualTo(1f), "the run's vector of 0001");
            Assert.That(f.Examples[1].Features[0], Is.EqualTo(2f), "JCBH matched in any case");
            Assert.That(f.ByClass, Is.EqualTo(new[] { ("road", 1), ("pseudo", 1) }));
            Assert.That(f.NotInRun, Is.EqualTo(new[] { "4101022026Q30004" }));
            Assert.That(f.AreaMismatch, Is.EqualTo(new[] { "4101022026Q30003" }));
            Assert.That(f.Unverified, Is.EqualTo(1));
            Assert.That(f.RunFolder, Is.EqualTo(Path.GetFullPath(run)));
        }
    }

    [Test]
    public void ResultsWithoutAreaAreJoinedByJcbhAlone()
    {
        using var dir = new TempDir();
        var f = VerificationFeedback.Load(Results(dir, "JCBH,HCJG\r\n4101022026Q30003,pond\r\n"), Run(dir));
        Assert.That(f.Examples.Single().Features[0], Is.EqualTo(3f));
    }

    [Test]
    public void NoMatchAtAllIsAnError()
    {
        using var dir = new TempDir();
        string run = Run(dir);
        var e = Assert.Throws<ChangeDetectionException>(() => VerificationFeedback.Load(Results(dir, "JCBH,HCJG\r\n3201022026Q30001,pond\r\n3201022026Q30002,road\r\n"), run));
        Assert.That(e!.Message, Does.Contain("results.csv").And.Contain("none of its 2 verified tasks").And.Contain("3201022026Q30001").And.Contain("the run the tasks were exported from"));
        e = Assert.Throws<ChangeDetectionException>(() => VerificationFeedback.Load(Results(dir, "JCBH,TBMJ,HCJG\r\n4101022026Q30001,50,pond\r\n"), run));
        Assert.That(e!.Message, Does.Contain("another area").And.Contain("made again"));
        e = Assert.Throws<ChangeDetectionException>(() => VerificationFeedback.Load(Results(dir, "JCBH,HCJG\r\n4101022026Q30001,\r\n4101022026Q30002,\r\n"), run));
        Assert.That(e!.Message, Does.Contain("no verified task").And.Contain("empty in all 2 rows"));
    }

    [Test]
    public void ARunWithoutPatchFeaturesOrWithAnotherSchemaMustBeRunAgain()
    {
        using var dir = new TempDir();
        string results = Results(dir, "JCBH,HCJG\r\n4101022026Q30001,pond\r\n");
        string empty = dir.File("old-run");
        Directory.CreateDirectory(empty);
        Assert.That(() => VerificationFeedback.Load(results, empty), Throws.TypeOf<ChangeDetectionException>()
            .With.Message.Contains("no patch_features.csv").And.Message.Contains("re-run 'cdx run"));
        Assert.That(() => VerificationFeedback.Load(results, dir.File("nowhere")), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("run folder not found"));

        string run = Run(dir);
        string file = Path.Combine(run, RunPatchFeatures.FileName);
        var lines = File.ReadAllLines(file);
        Assert.That(lines[0], Does.StartWith("id,label,schema,"));
        Assert.That(lines[1], Does.StartWith($"4101022026Q30001,,{PatchFeatures.SchemaVersion},"));
        File.WriteAllLines(file, lines.Select((l, i) => i == 0 ? l : l.Replace($",,{PatchFeatures.SchemaVersion},", ",,99,", StringComparison.Ordinal)));
        Assert.That(() => VerificationFeedback.Load(results, run), Throws.TypeOf<ChangeDetectionException>()
            .With.Message.Contains("schema 99").And.Message.Contains($"computes schema {PatchFeatures.SchemaVersion}").And.Message.Contains("re-run 'cdx run"));
        Assert.That(() => FeatureTable.ReadRows(file), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("patch_features.csv:2").And.Message.Contains("schema 99"),
            "a feature table of another schema is refused wherever it is read");

        // A table without the schema column (written before it existed) says nothing about its formulas.
        File.WriteAllLines(file, lines.Select(l => string.Join(',', l.Split(',').Where((_, k) => k != 2))));
        Assert.That(() => VerificationFeedback.Load(results, run), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("schema unknown"));
        Assert.That(FeatureTable.ReadRows(file), Has.Count.EqualTo(3), "while FeatureTable still reads it");
    }

    [Test]
    public void PatchFeaturesIsAFeatureTableWithoutLabels()
    {
        using var dir = new TempDir();
        string file = Path.Combine(Run(dir), RunPatchFeatures.FileName);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(FeatureTable.Read(file), Is.Empty, "no labelled rows");
            Assert.That(FeatureTable.ReadRows(file).Select(r => r.Id), Is.EqualTo(new[] { "4101022026Q30001", "4101022026Q30002", "4101022026Q30003" }));
            Assert.That(FeatureTable.ReadSchemaVersion(file), Is.EqualTo(PatchFeatures.SchemaVersion));
        }
    }
}
