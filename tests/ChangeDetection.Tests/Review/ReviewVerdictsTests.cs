using ChangeDetection.Classification;
using ChangeDetection.Review;
using ChangeDetection.Tasks;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Review;

public class ReviewVerdictsTests
{
    private static VerificationTask Task(string jcbh, double area) => new()
    {
        JCBH = jcbh, XZQDM = "320305", XZQMC = "贾汪区", TBMJ = area, QSX = new DateOnly(2026, 4, 1), HSX = new DateOnly(2026, 7, 1),
        BHLX = "construction", ZXD = 0.9, ZXDX = 0, ZXDY = 0, YXJ = TaskPriority.Low, Geometry = Polygon.Empty,
    };

    [Test]
    public void Verdicts_survive_a_reopen_and_the_last_one_per_task_wins()
    {
        using var dir = new TempDir();
        var store = ReviewVerdicts.Open(dir.Path);
        Assert.That(File.Exists(store.Path), Is.False, "nothing is written before the first verdict");
        store.Set(Task("A1", 1200.5), VerdictKind.Pseudo, null, "cloud shadow");
        store.Set(Task("B2", 300), VerdictKind.Change, "推填土", "line one\nline two");
        store.Set(Task("A1", 1200.5), VerdictKind.Change, "Construction", null);
        store.Set(Task("C3", 80), VerdictKind.Unsure, "pond", null);

        var again = ReviewVerdicts.Open(dir.Path).All();
        Assert.Multiple(() =>
        {
            Assert.That(again.Keys, Is.EquivalentTo(new[] { "A1", "B2", "C3" }));
            Assert.That(again["A1"].Kind, Is.EqualTo(VerdictKind.Change));
            Assert.That(again["A1"].Result, Is.EqualTo("construction"));
            Assert.That(again["A1"].AreaM2, Is.EqualTo(1200.5));
            Assert.That(again["B2"].Result, Is.EqualTo("earthwork"), "a Chinese class name is stored as its code");
            Assert.That(again["B2"].Remark, Is.EqualTo("line one line two"), "one row per task, even with a multi-line remark");
            Assert.That(again["C3"].Result, Is.Empty, "unsure is not verified");
            Assert.That(File.ReadAllLines(store.Path), Has.Length.EqualTo(4), "header and one row per JCBH");
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(store.Path)!), Has.Length.EqualTo(1), "no temporary file left");
        });
    }

    [Test]
    public void The_verdict_file_is_a_results_file_for_train()
    {
        using var dir = new TempDir();
        var store = ReviewVerdicts.Open(dir.Path);
        store.Set(Task("A1", 1000), VerdictKind.Change, "solar", null);
        store.Set(Task("B2", 500), VerdictKind.Pseudo, null, null);
        store.Set(Task("C3", 80), VerdictKind.Unsure, null, null);
        var read = VerificationResults.Read(store.Path);
        Assert.Multiple(() =>
        {
            Assert.That(read.Column, Is.EqualTo("HCJG"));
            Assert.That(read.Results.Select(r => (r.Jcbh, r.Class.Code, r.AreaM2)), Is.EqualTo(new[] { ("A1", "solar", (double?)1000), ("B2", "pseudo", (double?)500) }));
            Assert.That(read.Unverified, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_change_needs_the_class_of_a_real_change_and_a_bad_file_is_named()
    {
        using var dir = new TempDir();
        var store = ReviewVerdicts.Open(dir.Path);
        var e = Assert.Throws<ChangeDetectionException>(() => store.Set(Task("A1", 1), VerdictKind.Change, "pseudo", null));
        Assert.That(e!.Message, Does.Contain("'pseudo'").And.Contain("construction"));
        Assert.Throws<ChangeDetectionException>(() => store.Set(Task("A1", 1), VerdictKind.Change, "house", null));
        Assert.That(File.Exists(store.Path), Is.False, "a refused verdict writes nothing");

        Directory.CreateDirectory(Path.GetDirectoryName(store.Path)!);
        File.WriteAllText(store.Path, "JCBH,HCJG\nA1,pond\n");
        var bad = Assert.Throws<ChangeDetectionException>(() => ReviewVerdicts.Open(dir.Path));
        Assert.That(bad!.Message, Does.StartWith(store.Path).And.Contain("verdict"));
    }
}
