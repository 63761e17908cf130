namespace ChangeDetection;

/// <summary>
/// Turns what fails on the machine rather than in the code (a full disk, a folder that cannot be
/// written, a file that vanished) into the one-line <see cref="ChangeDetectionException"/> hosts
/// print with exit code 2, and unwraps what parallel loops and reflection wrap around a failure.
/// The one place hosts (the CLI, jobs) look at a failure before reporting it.
/// </summary>
public static class Failures
{
    // errno values as .NET reports them in IOException.HResult on Unix (Linux numbering; 35 is macOS's EWOULDBLOCK).
    private const int EWouldBlockLinux = 11, EWouldBlockMac = 35, ENoSpc = 28, ERoFs = 30, EDQuot = 122;
    // SQLite result codes (SQLITE_FULL, SQLITE_READONLY).
    private const int SqliteFull = 13, SqliteReadOnly = 8;
    // Win32 codes inside an HRESULT 0x8007xxxx.
    private const int SharingViolation = 32, LockViolation = 33, HandleDiskFull = 39, DiskFull = 112;

    /// <summary>
    /// The failure inside <see cref="AggregateException"/> (<c>Parallel.For</c>, tasks) and
    /// <see cref="System.Reflection.TargetInvocationException"/> wrappers: the first user error
    /// (<see cref="ChangeDetectionException"/>) if any of the inner failures is one, else the first inner failure.
    /// </summary>
    public static Exception Unwrap(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e)
        {
            case AggregateException a when a.InnerExceptions.Count > 0:
                var inner = a.Flatten().InnerExceptions.Select(Unwrap).ToList();
                return inner.FirstOrDefault(x => x is ChangeDetectionException) ?? inner.FirstOrDefault(x => AsUserError(x) is not null) ?? inner[0];
            case System.Reflection.TargetInvocationException { InnerException: { } t }:
                return Unwrap(t);
            default:
                return e;
        }
    }

    /// <summary>True when <paramref name="e"/> says another handle holds a lock on the file (and nothing else went wrong).</summary>
    public static bool IsHeldLock(IOException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.GetType() != typeof(IOException)) return false; // FileNotFound, DirectoryNotFound, PathTooLong… are never a lock
        return OperatingSystem.IsWindows() ? Win32Code(e) is SharingViolation or LockViolation : e.HResult is EWouldBlockLinux or EWouldBlockMac;
    }

    /// <summary>True when <paramref name="e"/> is a write that failed for want of space (or quota).</summary>
    public static bool IsDiskFull(IOException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return (OperatingSystem.IsWindows() ? Win32Code(e) is DiskFull or HandleDiskFull : e.HResult is ENoSpc or EDQuot) || IsPreallocationDiskFull(e);
    }

    /// <summary>
    /// File.WriteAllBytes and other writes that reserve their size up front fail in the reservation, and
    /// .NET reports that as a plain IOException (no errno in HResult) with its own English message
    /// ("Failed to create '…' with allocation size '…' because the disk was full."; the runtime's messages
    /// are not localised unless a satellite package is installed).
    /// </summary>
    private static bool IsPreallocationDiskFull(IOException e) =>
        e.HResult == COR_E_IO && e.Message.Contains("because the disk was full", StringComparison.Ordinal);

    private const int COR_E_IO = unchecked((int)0x80131620);

    /// <summary>True when <paramref name="e"/> is a write refused because the file system is mounted read-only.</summary>
    public static bool IsReadOnlyFileSystem(IOException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return !OperatingSystem.IsWindows() && e.HResult == ERoFs;
    }

    /// <summary>
    /// <paramref name="e"/> (unwrapped) as a user error with what to do, or null when it is not one
    /// (a bug). The .NET messages of these exceptions already name the path.
    /// </summary>
    public static ChangeDetectionException? AsUserError(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e = e is AggregateException or System.Reflection.TargetInvocationException ? Unwrap(e) : e;
        return e switch
        {
            ChangeDetectionException c => c,
            UnauthorizedAccessException => new ChangeDetectionException($"{Trim(e.Message)}: permission denied; fix the permissions of that file or folder, or choose another output folder (--out).", e),
            IOException io when IsDiskFull(io) => new ChangeDetectionException($"{Trim(io.Message)}: the disk is full; free space on it or choose an output folder on another disk (--out), then run again (finished work resumes).", e),
            IOException io when IsReadOnlyFileSystem(io) => new ChangeDetectionException($"{Trim(io.Message)}: the file system is read-only; choose a writable output folder (--out).", e),
            // SQLite (run ledger, GeoPackages): SQLITE_FULL and SQLITE_READONLY are the disk's, not the code's.
            Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: SqliteFull } => new ChangeDetectionException($"{Trim(e.Message)}: the disk is full; free space on it or choose an output folder on another disk (--out), then run again (finished work resumes).", e),
            Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: SqliteReadOnly } => new ChangeDetectionException($"{Trim(e.Message)}: the database cannot be written; choose a writable output folder (--out).", e),
            FileNotFoundException or DirectoryNotFoundException => new ChangeDetectionException($"{Trim(e.Message)} Check the path.", e),
            _ => null,
        };
    }

    private static string Trim(string message) => message.TrimEnd().TrimEnd('.');

    private static int Win32Code(Exception e) => (e.HResult & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000) ? e.HResult & 0xFFFF : -1;
}
