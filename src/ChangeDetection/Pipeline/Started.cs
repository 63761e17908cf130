namespace ChangeDetection.Pipeline;

/// <summary>
/// Work started on the thread pool whose result is taken later (<see cref="Result"/>: its exception as thrown), and which
/// is always waited for on disposal, failed or not: a stage that throws first does not leave it reading or writing behind.
/// </summary>
internal sealed class Started<T> : IDisposable
{
    private readonly Task<T> _task;
    private readonly bool _owns;

    public Started(Func<T> work, bool owns = false)
    {
        _task = Task.Run(work);
        _owns = owns;
    }

    /// <summary>The result, waiting for it; the work's exception is rethrown as it was thrown.</summary>
    public T Result => _task.GetAwaiter().GetResult();

    public void Dispose()
    {
        // Its failure, if any, is reported through Result, or not at all when an earlier failure ended the run.
        try { _task.Wait(); } catch (AggregateException) { }
        // An owned result lives as long as this object, taken or not (a run that failed before it needed it).
        if (_owns && _task.IsCompletedSuccessfully) (_task.Result as IDisposable)?.Dispose();
    }
}

/// <summary>Creates <see cref="Started{T}"/>.</summary>
internal static class Started
{
    public static Started<T> Run<T>(Func<T> work) => new(work);

    /// <summary><see cref="Run{T}"/>, and the result is disposed with the <see cref="Started{T}"/> (its owner).</summary>
    public static Started<T> Owning<T>(Func<T> work) where T : IDisposable => new(work, owns: true);
}
