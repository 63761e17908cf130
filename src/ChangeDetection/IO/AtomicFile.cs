namespace ChangeDetection.IO;

/// <summary>
/// Writes outputs under a temporary name and renames them into place, so a crash never leaves a
/// half-written file that looks complete.
/// </summary>
public static class AtomicFile
{
    /// <summary>Calls <paramref name="write"/> with a temporary path next to <paramref name="path"/>, then moves it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        string tmp = $"{path}.partial-{Environment.ProcessId}";
        try
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (Failures.Unwrap(e) is IOException io && Failures.IsDiskFull(io))
        {
            // Name the file the user asked for, not the temporary one.
            throw new ChangeDetectionException($"{path}: no space left on the device while writing it (a previous {Path.GetFileName(path)} is unchanged); free space on that disk or write to another folder, then run again.", e);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static void WriteAllText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text));
}
