namespace ChangeDetection.Jobs;

/// <summary>
/// An exclusive lock on a region's output folder (<c>&lt;output&gt;/.work/job.lock</c>) held by the
/// job that runs it, so two jobs never run one region at once (a schedule firing while an analyst's
/// enqueued run is going, a duplicate join). An OS file lock: released when the process dies,
/// kill -9 included, so a job taken over from a dead worker can always get it.
/// </summary>
public sealed class RegionLock : IDisposable
{
    private readonly FileStream _file;

    private RegionLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    public string Path { get; }

    /// <summary>The lock of <paramref name="outputFolder"/>, or null when another job (in any process) holds it.</summary>
    public static RegionLock? TryAcquire(string outputFolder)
    {
        string work = System.IO.Path.Combine(outputFolder, ".work");
        Directory.CreateDirectory(work);
        string path = System.IO.Path.Combine(work, "job.lock");
        try
        {
            return new RegionLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _file.Dispose();
}
