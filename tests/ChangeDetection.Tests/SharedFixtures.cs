namespace ChangeDetection.Tests;

/// <summary>
/// Scratch folders of what several fixtures share (a sample region, a trained model, their runs), made once on first
/// use and deleted after the last fixture of the assembly by <see cref="SharedFixtures"/>.
/// </summary>
internal static class SharedTempDirs
{
    private static readonly List<TempDir> Dirs = [];

    /// <summary>A new scratch folder, deleted when the test run ends.</summary>
    public static TempDir Create()
    {
        var dir = new TempDir();
        lock (Dirs) Dirs.Add(dir);
        return dir;
    }

    public static void DeleteAll()
    {
        lock (Dirs)
        {
            foreach (var dir in Dirs) dir.Dispose();
            Dirs.Clear();
        }
    }
}

/// <summary>Deletes the shared scratch folders (<see cref="SharedTempDirs"/>) after the last fixture of the assembly.</summary>
[SetUpFixture]
public sealed class SharedFixtures
{
    [OneTimeTearDown]
    public void DeleteSharedFolders() => SharedTempDirs.DeleteAll();
}
