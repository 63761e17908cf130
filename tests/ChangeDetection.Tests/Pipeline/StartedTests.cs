using ChangeDetection.Pipeline;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>Work started early (<see cref="Started"/>): an owned result (the run's classifier) is released with it, taken or not.</summary>
[TestFixture]
public class StartedTests
{
    private sealed class Resource : IDisposable
    {
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    [Test]
    public void An_owned_result_is_disposed_with_its_owner_whether_taken_or_not()
    {
        using var taken = new Resource();
        using var untaken = new Resource();
        using (var a = Started.Owning(() => taken))
        using (Started.Owning(() => untaken))
        {
            Assert.That(a.Result, Is.SameAs(taken));
            Assert.That(taken.Disposed, Is.False, "in use until its owner goes");
        }
        Assert.Multiple(() =>
        {
            Assert.That(taken.Disposed, Is.True);
            Assert.That(untaken.Disposed, Is.True, "a run that failed before it needed the result");
        });
    }

    [Test]
    public void A_result_not_owned_is_left_alone_and_a_failure_comes_through_Result()
    {
        using var resource = new Resource();
        using (var started = Started.Run(() => resource)) Assert.That(started.Result, Is.SameAs(resource));
        using var failing = Started.Owning<Resource>(() => throw new InvalidDataException("bad model"));
        Assert.Multiple(() =>
        {
            Assert.That(resource.Disposed, Is.False);
            Assert.That(() => failing.Result, Throws.TypeOf<InvalidDataException>().With.Message.EqualTo("bad model"));
        });
    }
}
