using System.Diagnostics;

namespace ChangeDetection.Tests;

/// <summary>
/// GDAL's command-line tools, the reference our formats are checked against. Installed by
/// .ci/run (apt-get install gdal-bin python3-gdal); tests skip with a reason where they are absent.
/// </summary>
internal static class ExternalTools
{
    public static string RequireTool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Ignore($"{name} is not installed (apt-get install gdal-bin python3-gdal); CI installs it.");
        return name;
    }

    /// <summary>Python with GDAL's bindings (Debian's /usr/bin/python3, not a pyenv one).</summary>
    public static string RequireGdalPython()
    {
        const string python = "/usr/bin/python3";
        if (File.Exists(python) && Run(python, ["-c", "from osgeo import gdal"]).ExitCode == 0) return python;
        Assert.Ignore("Python GDAL bindings are not installed (apt-get install python3-gdal); CI installs them.");
        return python;
    }

    /// <summary>Runs a tool to completion (at most 120 s), feeding it <paramref name="stdin"/> when given (e.g. gdaltransform's coordinates).</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} did not finish in 120 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
