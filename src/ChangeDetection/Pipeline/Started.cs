namespace ChangeDetection.Pipeline;

/// <summary>
/// Work started on the thread pool whose result is taken later (<see cref="Result"/>: its exception as thrown), and which
/// is always waited for on disposal, failed or not: a stage that throws first does not leave it reading or writing behind.
/// </summary>
internal sealed class Started<T> : IDisposable
{
    private readonly Task<T> _task;

    public Started(Func<T> work) => _task = Task.Run(work);

    /// <summary>The result, waiting for it; the work's exception is rethrown as it was thrown.</summary>
    public T Result => _task.GetAwaiter().GetResult();

    public void Dispose()
    {
        // Its failure, if any, is reported through Result, or not at all when an earlier failure ended the run.
        try { _task.Wait(); } catch (AggregateException) { }
    }
}

/// <summary>Creates <see cref="Started{T}"/>.</summary>
internal static class Started
{
    public static Started<T> Run<T>(Func<T> work) => new(work);
}
