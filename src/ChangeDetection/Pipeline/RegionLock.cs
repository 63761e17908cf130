namespace ChangeDetection.Pipeline;

/// <summary>
/// An exclusive lock on a region's output folder (<c>&lt;output&gt;/.work/job.lock</c>) held while a
/// run writes it (<c>cdx run</c>, <c>cdx export</c>, a region job), so two runs never write one
/// region at once (a schedule firing while an analyst's run is going, a duplicate join). An OS
/// file lock: released when the process dies, kill -9 included, so a job taken over from a dead
/// worker can always get it.
/// </summary>
internal sealed class RegionLock : IDisposable
{
    /// <summary>The lock file's name inside <c>&lt;output&gt;/.work</c>.</summary>
    public const string FileName = "job.lock";

    private readonly FileStream _file;

    private RegionLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    public string Path { get; }

    /// <summary>
    /// The lock of <paramref name="outputFolder"/>, or null when another holder (in any process) has it.
    /// Only a held lock means busy: any other failure (the folder cannot be created or written, the
    /// disk is full) is a <see cref="ChangeDetectionException"/> naming the folder.
    /// </summary>
    public static RegionLock? TryAcquire(string outputFolder)
    {
        ArgumentNullException.ThrowIfNull(outputFolder);
        string work = System.IO.Path.Combine(outputFolder, ".work");
        string path = System.IO.Path.Combine(work, FileName);
        try
        {
            Directory.CreateDirectory(work);
            return new RegionLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), path);
        }
        catch (IOException e) when (Failures.IsHeldLock(e))
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChangeDetectionException($"{outputFolder}: cannot take the region lock {path} ({e.Message.TrimEnd('.')}); the output folder must be a writable folder: fix it or choose another output folder (--out).", e);
        }
    }

    /// <summary>The lock of <paramref name="outputFolder"/>; a held lock is a <see cref="RegionBusyException"/>.</summary>
    public static RegionLock Acquire(string outputFolder) =>
        TryAcquire(outputFolder) ?? throw new RegionBusyException(outputFolder);

    public void Dispose() => _file.Dispose();
}

/// <summary>Another run (a <c>cdx run</c>, <c>cdx export</c> or region job, in any process) is writing this output folder now.</summary>
public sealed class RegionBusyException : ChangeDetectionException
{
    public RegionBusyException(string outputFolder)
        : base($"{outputFolder}: another run is writing this output folder now (it holds {System.IO.Path.Combine(outputFolder, ".work", RegionLock.FileName)}); wait for it to finish, or choose another output folder (--out).")
    {
        OutputFolder = outputFolder;
    }

    public RegionBusyException() { OutputFolder = ""; }
    public RegionBusyException(string message, Exception? inner) : base(message, inner) { OutputFolder = ""; }

    /// <summary>The output folder that is busy.</summary>
    public string OutputFolder { get; }
}
