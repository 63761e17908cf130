using ChangeDetection.Classification;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Classification;

[TestFixture]
public class TrainCommandTests
{
    [Test]
    [Category("Slow")]
    public void TrainWritesAModelAndCrossValidatedMetrics()
    {
        using var tmp = new TempDir();
        string model = tmp.File("model.zip");
        var (code, stdout, stderr) = Cdx("train", "--synthetic-seeds", "1,2", "--size", "1024", "--folds", "3", "--out", model, "--trainer", "lightgbm", "--work", tmp.File("work"), "--export-features", tmp.File("features.csv"));
        Assert.That(code, Is.Zero, stderr);
        string metrics = tmp.File("model.metrics.txt");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stdout, Does.Contain("3-fold cross-validation (LightGbm").And.Contain("confusion matrix").And.Contain("macro-F1").And.Contain("precision"));
            Assert.That(File.Exists(metrics), Is.True);
            Assert.That(File.ReadAllText(metrics), Does.Contain("confusion matrix").And.Contain("pseudo-change removal"));
            Assert.That(Directory.Exists(tmp.File("work/seed-2")), Is.True);
        }
        var classifier = PatchClassifier.Load(model);
        Assert.That(classifier.Trainer, Is.EqualTo(ClassifierTrainer.LightGbm));
        Assert.That(classifier.Classes, Does.Contain("pseudo").And.Contain("construction"));

        // Feedback loop: the exported table, relabelled, trains a model on its own.
        var table = FeatureTable.Read(tmp.File("features.csv"));
        // Measured 19 (two 1024² regions): fewer than before the detector left vegetation that stays vegetation out
        // (its seasonal patches were most of the pseudo-changes); enough for a 3-fold training of its own.
        Assert.That(table, Has.Count.GreaterThanOrEqualTo(15));
        var (code2, stdout2, stderr2) = Cdx("train", "--labels", tmp.File("features.csv"), "--folds", "3", "--out", tmp.File("again.zip"));
        Assert.That(code2, Is.Zero, stderr2);
        Assert.That(stdout2, Does.Contain($"{table.Count} labelled patches").And.Contain("labels ").And.Not.Contain("synthetic seed"));
        Assert.That(File.Exists(tmp.File("again.metrics.txt")), Is.True);
    }

    /// <summary>Source (2) of labels: real labelled pairs (needs ../shared/data/real).</summary>
    [Test]
    [Category("Slow")]
    public void TrainOnRealLabelledPairs()
    {
        string real = SharedData.RequireDir("real");
        using var tmp = new TempDir();
        string csv = tmp.File("pairs.csv");
        File.WriteAllText(csv, "source,pair,dir\n" + string.Join("\n",
            new[] { "test_2_0000_0000", "test_7_0256_0512" }.Select(p => $"levir-cd,{p},{Path.Combine(real, "levir-cd", p)}")) + "\n");
        string model = tmp.File("real.zip");
        var (code, stdout, stderr) = Cdx("train", "--pairs", csv, "--folds", "2", "--out", model, "--work", tmp.File("work"));
        Assert.That(code, Is.Zero, stderr);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stdout, Does.Contain("pair levir-cd/test_2_0000_0000:").And.Contain("pair levir-cd/test_7_0256_0512:"));
            Assert.That(stdout, Does.Contain("pairs " + csv));
            Assert.That(stdout, Does.Not.Contain("synthetic seed"));
            Assert.That(PatchClassifier.Load(model).Classes, Is.EquivalentTo(new[] { "construction", "pseudo" }));
        }
    }

    [Test]
    public void NothingToTrainOnExitsWithTwo()
    {
        using var tmp = new TempDir();
        var (code, _, stderr) = Cdx("train", "--out", tmp.File("m.zip"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("Nothing to train on").And.Contain("--pairs").And.Contain("--results with --run"));
    }

    [TestCase("--trainer", "svm", "not a trainer")]
    [TestCase("--synthetic-seeds", "1,x", "not an integer seed")]
    public void BadOptionsExitWithTwo(string option, string value, string message)
    {
        using var tmp = new TempDir();
        var args = new List<string> { "train", "--synthetic-seeds", "1", "--out", tmp.File("m.zip") };
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange([option, value]);
        var (code, _, stderr) = Cdx([.. args]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain(message));
            Assert.That(File.Exists(tmp.File("m.zip")), Is.False);
        }
    }
}
