using ChangeDetection.Tasks;

namespace ChangeDetection.Tests.Tasks;

[TestFixture]
public class TaskPriorityTests
{
    [TestCase(10, 10, 0, TaskPriority.High)]
    [TestCase(0, 0, 3, TaskPriority.High)]
    [TestCase(0, 25, 0, TaskPriority.Medium)]
    [TestCase(0, 0, 0, TaskPriority.Low)]
    [TestCase(0.001, 0.004, 0.002, TaskPriority.Low)]
    [TestCase(0, 0.006, 0, TaskPriority.Medium)]
    public void PriorityFollowsTheProtectedLayersTouched(double permanent, double farmland, double eco, string expected) =>
        Assert.That(TaskPriority.Of(permanent, farmland, eco), Is.EqualTo(expected));

    [Test]
    public void TaskPriorityReadsTheTaskOverlapFields()
    {
        var t = TaskSamples.Make("410102", "中原区", TaskSamples.Square(0, 0, 10), permanent: 0, farmland: 7);
        Assert.That(TaskPriority.Of(t), Is.EqualTo(TaskPriority.Medium));
        Assert.That(TaskPriority.Of(t with { STHXMJ = 1 }), Is.EqualTo(TaskPriority.High));
    }
}
