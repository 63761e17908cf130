using System.IO.Compression;
using System.Text.Json.Nodes;
using ChangeDetection.Classification;
using ChangeDetection.Tasks;

namespace ChangeDetection.Tests.Classification;

[TestFixture]
public class PatchClassifierTests
{
    private static readonly string[] Labels = ["construction", "pond", "pseudo"];

    /// <summary>Three well separated clusters: class i has feature 0 near 10·i and feature 1 near −10·i; the rest is noise.</summary>
    internal static List<LabelledFeatures> Blobs(int perClass, int seed)
    {
        var rng = new Random(seed);
        var list = new List<LabelledFeatures>();
        for (int n = 0; n < perClass; n++)
            for (int i = 0; i < Labels.Length; i++)
            {
                var f = new float[PatchFeatures.Length];
                for (int k = 0; k < f.Length; k++) f[k] = (float)rng.NextDouble();
                f[0] = 10 * i + (float)rng.NextDouble() * 3;
                f[1] = -10 * i + (float)rng.NextDouble() * 3;
                list.Add(new LabelledFeatures(f, Labels[i]));
            }
        return list;
    }

    private static double Accuracy(PatchClassifier c, IEnumerable<LabelledFeatures> data) =>
        data.Average(d => c.Predict(d.Features).Class.Code == d.Label ? 1.0 : 0.0);

    [TestCase(ClassifierTrainer.LightGbm)]
    [TestCase(ClassifierTrainer.FastTree)]
    public void LearnsSeparableClusters(ClassifierTrainer trainer)
    {
        var c = PatchClassifier.Train(Blobs(40, 1), new PatchClassifierOptions { Trainer = trainer, Seed = 3, NumberOfIterations = 30 });
        var test = Blobs(20, 2);
        Assert.That(Accuracy(c, test), Is.GreaterThanOrEqualTo(0.95));
        var p = c.Predict(test[4].Features);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(c.Classes, Is.EqualTo(new[] { "construction", "pond", "pseudo" }));
            Assert.That(p.Scores.Keys, Is.EquivalentTo(Labels));
            Assert.That(p.Scores.Values.Sum(), Is.EqualTo(1).Within(1e-5));
            Assert.That(p.Confidence, Is.EqualTo(p.Scores.Values.Max()));
            Assert.That(p.Class, Is.EqualTo(ChangeClasses.FromCode(p.Scores.MaxBy(kv => kv.Value).Key)));
        }
    }

    [TestCase(ClassifierTrainer.LightGbm)]
    [TestCase(ClassifierTrainer.FastTree)]
    public void SameSeedGivesTheSameModel(ClassifierTrainer trainer)
    {
        // Overlapping clusters, so the model's details matter.
        var data = Blobs(40, 5).Select(d => d with { Features = d.Features.Select((v, k) => k < 2 ? v / 4 : v).ToArray() }).ToList();
        var options = new PatchClassifierOptions { Trainer = trainer, Seed = 7, NumberOfIterations = 30 };
        var a = PatchClassifier.Train(data, options);
        var b = PatchClassifier.Train(data, options);
        foreach (var d in Blobs(10, 6))
            Assert.That(b.Predict(d.Features).Scores, Is.EqualTo(a.Predict(d.Features).Scores));
    }

    [Test]
    public void SaveAndLoadGiveTheSamePredictions()
    {
        using var dir = new TempDir();
        var c = PatchClassifier.Train(Blobs(30, 1), new PatchClassifierOptions { NumberOfIterations = 20 });
        string path = dir.File("model.zip");
        c.Save(path);
        var loaded = PatchClassifier.Load(path);
        Assert.That(PatchClassifier.ReadSchemaVersion(path), Is.EqualTo(PatchFeatures.SchemaVersion));
        Assert.That(loaded.Classes, Is.EqualTo(c.Classes));
        foreach (var d in Blobs(10, 9))
            Assert.That(loaded.Predict(d.Features), Is.EqualTo(c.Predict(d.Features)).Using<PatchPrediction>((x, y) =>
                x.Class == y.Class && x.Scores.Count == y.Scores.Count && x.Scores.All(kv => y.Scores[kv.Key] == kv.Value)));
    }

    [Test]
    public void EveryEntryOfASavedModelCarriesOneFixedTimeSoOneTrainingGivesOneFile()
    {
        // ML.NET stamps its own entries with the clock (a zip keeps the clock time, no zone); a model's SHA-256 (run.json, the run ledger's fingerprint) must
        // not depend on when it was saved.
        using var dir = new TempDir();
        string path = dir.File("model.zip");
        PatchClassifier.Train(Blobs(30, 1), new PatchClassifierOptions { NumberOfIterations = 5 }).Save(path);
        using var zip = ZipFile.OpenRead(path);
        Assert.That(zip.Entries, Has.Count.GreaterThan(1));
        Assert.That(zip.Entries.Select(e => e.LastWriteTime.DateTime).Distinct(),
            Is.EqualTo(new[] { new DateTime(2000, 1, 1) }));
    }

    [Test]
    public void ModelOfAnotherFeatureSchemaIsRefused()
    {
        using var dir = new TempDir();
        string path = dir.File("model.zip");
        PatchClassifier.Train(Blobs(20, 1), new PatchClassifierOptions { NumberOfIterations = 10 }).Save(path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(PatchClassifier.MetadataEntry)!;
            JsonNode meta;
            using (var s = entry.Open()) meta = JsonNode.Parse(s)!;
            meta["SchemaVersion"] = PatchFeatures.SchemaVersion + 1;
            entry.Delete();
            using var w = zip.CreateEntry(PatchClassifier.MetadataEntry).Open();
            using var sw = new StreamWriter(w);
            sw.Write(meta.ToJsonString());
        }
        var e = Assert.Throws<ChangeDetectionException>(() => PatchClassifier.Load(path))!;
        Assert.That(e.Message, Does.Contain($"schema {PatchFeatures.SchemaVersion + 1}").And.Contain(path).And.Contain("cdx train"));
    }

    [Test]
    public void ZipWithoutClassifierMetadataIsRefused()
    {
        using var dir = new TempDir();
        string path = dir.File("model.zip");
        PatchClassifier.Train(Blobs(20, 1), new PatchClassifierOptions { NumberOfIterations = 10 }).Save(path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update)) zip.GetEntry(PatchClassifier.MetadataEntry)!.Delete();
        Assert.That(() => PatchClassifier.Load(path), Throws.TypeOf<ChangeDetectionException>().With.Message.Contains(PatchClassifier.MetadataEntry));
    }

    [Test]
    public void WrongVectorLengthOrLabelIsRefused()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => PatchClassifier.Train([new LabelledFeatures(new float[3], "pond"), new LabelledFeatures(new float[3], "road")]),
                Throws.TypeOf<ChangeDetectionException>());
            Assert.That(() => PatchClassifier.Train([new LabelledFeatures(new float[PatchFeatures.Length], "house"), new LabelledFeatures(new float[PatchFeatures.Length], "road")]),
                Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("house"));
            Assert.That(() => PatchClassifier.Train([new LabelledFeatures(new float[PatchFeatures.Length], "road")]),
                Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("two classes"));
        }
    }
}
