using System.Text;
using ChangeDetection.Tasks;

namespace ChangeDetection.Tests.Tasks;

[TestFixture]
public class ChangeClassesTests
{
    [Test]
    public void EveryClassHasAUniqueCodeAndChineseName()
    {
        Assert.That(ChangeClasses.All.Select(c => c.Code), Is.EquivalentTo(new[] { "construction", "earthwork", "pond", "road", "solar", "vegetation", "pseudo", "unclassified" }));
        Assert.That(ChangeClasses.All.Select(c => c.ChineseName), Is.Unique);
        Assert.That(ChangeClasses.FromCode("pond").ChineseName, Is.EqualTo("坑塘/挖湖"));
        Assert.Throws<ArgumentException>(() => ChangeClasses.FromCode("Pond"));
    }

    [Test]
    public void TaskDerivesChineseNameAndMu()
    {
        var t = TaskSamples.Make("410102", "中原区", TaskSamples.Square(0, 0, 100), "construction");
        Assert.That(t.BHLXMC, Is.EqualTo("建(构)筑物"));
        Assert.That(t.TBMJMU, Is.EqualTo(15.0).Within(1e-9), "10 000 m² is 15 亩");
        Assert.That(t.Province, Is.EqualTo("41"));
    }

    [Test]
    public void FieldNamesFitADbfAndCustomLayersGoBeforePriority()
    {
        var fields = TaskFields.For(TaskSamples.TwoProvinces());
        Assert.That(fields.Select(f => Encoding.UTF8.GetByteCount(f.Name)), Is.All.LessThanOrEqualTo(10));
        Assert.That(fields.Select(f => f.Name), Is.Unique);
        Assert.That(fields[^3].Name, Is.EqualTo("KCZY"));
        Assert.That(fields[^2].Name, Is.EqualTo("YXJ"));
        Assert.That(fields[^1].Name, Is.EqualTo("YXJDM"));
        var bad = TaskSamples.Make("410102", "中原区", TaskSamples.Square(0, 0, 1), extra: new Dictionary<string, double> { ["矿产资源"] = 1 });
        Assert.Throws<ChangeDetectionException>(() => TaskFields.For([bad]));
        var clash = TaskSamples.Make("410102", "中原区", TaskSamples.Square(0, 0, 1), extra: new Dictionary<string, double> { ["gdmj"] = 1 });
        Assert.Throws<ChangeDetectionException>(() => TaskFields.For([clash]));
    }
}
