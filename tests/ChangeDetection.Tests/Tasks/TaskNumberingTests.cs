using ChangeDetection.Tasks;

namespace ChangeDetection.Tests.Tasks;

[TestFixture]
public class TaskNumberingTests
{
    [Test]
    public void IdsAreXzqdmQuarterAndAFourDigitSequenceNumberedNorthToSouthThenWestToEast()
    {
        var t = TaskSamples.TwoProvinces();
        var byId = t.ToDictionary(x => x.JCBH);
        Assert.That(t.Select(x => x.JCBH), Is.All.Match(@"^\d{6}2026Q[1-4]\d{4}$"));
        Assert.That(t.Select(x => x.JCBH), Is.Unique);
        // 410102: two squares share the top edge (west one first), the third lies south of them.
        Assert.That(byId["4101022026Q30001"].Geometry.EnvelopeInternal.MinX, Is.LessThan(byId["4101022026Q30002"].Geometry.EnvelopeInternal.MinX));
        Assert.That(byId["4101022026Q30003"].BHLX, Is.EqualTo("solar"));
        Assert.That(byId["4101032026Q30001"].BHLX, Is.EqualTo("earthwork"));
        Assert.That(byId["4101032026Q30002"].BHLX, Is.EqualTo("road"));
        Assert.That(byId["1301022026Q30002"].BHLX, Is.EqualTo("unclassified"));
    }

    [Test]
    public void SamePatchesInAnotherOrderGetTheSameIds()
    {
        var first = TaskSamples.TwoProvinces();
        var shuffled = first.Select(x => x with { JCBH = "" }).Reverse().ToList();
        new Random(3).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));
        var again = TaskNumbering.Assign(shuffled, "2026Q3");
        Assert.That(again.Select(x => (x.JCBH, x.Geometry.ToText())), Is.EqualTo(first.Select(x => (x.JCBH, x.Geometry.ToText()))));
    }

    [Test]
    public void ExactTiesOnTheEnvelopeAreBrokenByGeometryNotByInputOrder()
    {
        // Same envelope, different shapes: the full square and the square with a hole.
        var a = TaskSamples.Make("410102", "中原区", TaskSamples.Square(0, 0, 10));
        var b = TaskSamples.Make("410102", "中原区", TaskSamples.Square(0, 0, 10, hole: true));
        var ab = TaskNumbering.Assign([a, b], "2026Q1").ToDictionary(x => x.Geometry.ToText(), x => x.JCBH);
        var ba = TaskNumbering.Assign([b, a], "2026Q1").ToDictionary(x => x.Geometry.ToText(), x => x.JCBH);
        Assert.That(ba, Is.EqualTo(ab));
        Assert.That(ab.Values, Is.Unique);
    }

    [TestCase("2026Q5")]
    [TestCase("2026-Q3")]
    [TestCase("26Q3")]
    public void BadQuarterIsRejected(string quarter) =>
        Assert.Throws<ArgumentException>(() => TaskNumbering.Assign(TaskSamples.TwoProvinces(), quarter));

    [Test]
    public void BadAdminCodeIsRejected() =>
        Assert.Throws<ArgumentException>(() => TaskNumbering.Assign([TaskSamples.Make("4101", "?", TaskSamples.Square(0, 0, 1))], "2026Q3"));

    [Test]
    public void MoreThan9999TasksInOneDivisionIsAClearError()
    {
        var many = Enumerable.Range(0, TaskNumbering.MaxSequence + 1).Select(i => (Code: "410102", G: TaskSamples.Square(i * 2, 0, 1))).ToList();
        var ex = Assert.Throws<ChangeDetectionException>(() => TaskNumbering.Assign(many, m => m.Code, m => m.G, "2026Q3"));
        Assert.That(ex!.Message, Does.Contain("410102").And.Contain("9999"));
    }
}
