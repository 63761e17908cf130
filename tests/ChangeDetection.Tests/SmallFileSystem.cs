using System.Diagnostics;

namespace ChangeDetection.Tests;

/// <summary>
/// A small tmpfs mounted on a temporary folder, to fill a disk or make it read-only for real. Needs
/// Linux and the right to mount (root in the CI container); elsewhere the test is skipped with the reason.
/// </summary>
internal sealed class SmallFileSystem : IDisposable
{
    private readonly TempDir _dir = new();

    private SmallFileSystem() { }

    public string Path => _dir.Path;

    public string File(string name) => _dir.File(name);

    /// <summary>Mounts <paramref name="kib"/> KiB, or skips the test (Assert.Ignore) when this machine cannot.</summary>
    public static SmallFileSystem MountOrIgnore(int kib)
    {
        var fs = new SmallFileSystem();
        if (!OperatingSystem.IsLinux() || !Run("mount", "-t", "tmpfs", "-o", $"size={kib}k", "tmpfs", fs.Path))
        {
            fs._dir.Dispose();
            Assert.Ignore("cannot mount a small tmpfs here (needs Linux and the right to mount, e.g. root): no full or read-only disk to test with");
        }
        return fs;
    }

    /// <summary>Fills the free space with one file but <paramref name="leaveBytes"/>, so that a larger write fails with "no space left".</summary>
    public void Fill(long leaveBytes = 0)
    {
        FillAll();
        if (leaveBytes <= 0) return;
        var info = new FileInfo(File(".filler"));
        using var filler = new FileStream(info.FullName, FileMode.Open, FileAccess.Write);
        filler.SetLength(Math.Max(0, info.Length - leaveBytes));
    }

    private void FillAll()
    {
        var block = new byte[4096];
        using var filler = new FileStream(File(".filler"), FileMode.Create, FileAccess.Write, FileShare.None, 1);
        try
        {
            while (true) filler.Write(block);
        }
        catch (IOException)
        {
            // full
        }
    }

    /// <summary>Remounts read-only: every write fails with "read-only file system", root included.</summary>
    public void MakeReadOnly() => Assert.That(Run("mount", "-o", "remount,ro", Path), Is.True, "remount read-only");

    public void Dispose()
    {
        Run("umount", "-l", Path);
        _dir.Dispose();
    }

    private static bool Run(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no mount command
        }
    }
}
