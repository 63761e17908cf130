using System.Diagnostics;
using System.Security.Cryptography;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using Microsoft.Data.Sqlite;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// The 512² sample region (seed 5) that the region-run fixtures share, the uninterrupted runs of it that their tests
/// compare against, and their helpers. The region-run tests were one fixture over four files, so they ran one after
/// another on one core; as several fixtures they run two at a time, and each uninterrupted run is made once instead
/// of once per test. Everything is made on first use (<see cref="Lazy{T}"/>: the first caller builds it, a concurrent
/// one waits for it) and deleted when the test run ends (<see cref="SharedTempDirs"/>).
/// All of it is read-only: a test that changes the region or an output works on its own copy or run.
/// </summary>
internal static class RegionRunSample
{
    private static readonly Lazy<TempDir> Sample = new(() =>
    {
        var dir = SharedTempDirs.Create();
        SyntheticRegion.Generate(dir.Path, new SyntheticRegionOptions { Size = 512, Seed = 5 });
        return dir;
    });

    private static readonly Lazy<RegionConfig> SampleConfig = new(() => RegionConfig.Load(Path.Combine(SamplePath, "region.json")));

    /// <summary>Where the shared uninterrupted runs are written.</summary>
    private static readonly Lazy<TempDir> Runs = new(SharedTempDirs.Create);

    private static readonly Lazy<RegionRunResult> Clean = new(() => RegionRun.Run(Config, Options(Runs.Value.File("clean"))));
    private static readonly Lazy<RegionRunResult> Clean64 = new(() => RegionRun.Run(Config, Options(Runs.Value.File("clean64")) with { TileSize = 64 }));
    private static readonly Lazy<RegionRunResult> CleanNoModel = new(() => RegionRun.Run(Config, Options(Runs.Value.File("clean-no-model")) with { Model = "none" }));

    /// <summary>The sample region's folder (before/after images, layers, region.json). Never write into it.</summary>
    public static string SamplePath => Sample.Value.Path;

    /// <summary>The sample's region.json.</summary>
    public static RegionConfig Config => SampleConfig.Value;

    /// <summary>An uninterrupted run of the sample with <see cref="Options"/> (tile 128, 2 workers, mask kept, the config's classifier).</summary>
    public static RegionRunResult CleanRun => Clean.Value;

    /// <summary>An uninterrupted run of the sample with <see cref="Options"/> at tile 64.</summary>
    public static RegionRunResult CleanRunAtTile64 => Clean64.Value;

    /// <summary>An uninterrupted run of the sample with <see cref="Options"/> and no classifier.</summary>
    public static RegionRunResult CleanRunWithoutModel => CleanNoModel.Value;

    public static RegionRunOptions Options(string output, int workers = 2) =>
        new() { Output = output, TileSize = 128, Workers = workers, WriteMask = true };

    public static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Every file under an output (a file, or a folder such as provinces/32) with its hash, by relative path.</summary>
    public static Dictionary<string, string> Hashes(string output) => Directory.Exists(output)
        ? Directory.GetFiles(output, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(output, f), Sha)
        : new Dictionary<string, string> { [Path.GetFileName(output)] = Sha(output) };

    /// <summary>A copy of the shared sample in <c>dir/region</c> (modification times kept), for a test that changes the region or writes next to its config.</summary>
    public static RegionConfig CopyOfSample(TempDir dir) => CopyOf(SamplePath, dir);

    /// <summary>A copy of the region in <paramref name="sample"/> in <c>dir/region</c> (modification times kept).</summary>
    public static RegionConfig CopyOf(string sample, TempDir dir)
    {
        string copy = dir.File("region");
        foreach (string f in Directory.GetFiles(sample, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(sample, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
            File.SetLastWriteTimeUtc(to, File.GetLastWriteTimeUtc(f));
        }
        return RegionConfig.Load(Path.Combine(copy, "region.json"));
    }

    /// <summary>Starts <c>cdx</c> as a child process; what it prints on stderr is collected in <paramref name="stderr"/> (lock it to read).</summary>
    public static Process StartCdx(System.Text.StringBuilder stderr, params string[] args)
    {
        var child = StartCdx(args);
        child.ErrorDataReceived += (_, e) =>
        {
            lock (stderr) stderr.AppendLine(e.Data);
        };
        return child;
    }

    /// <summary>Starts <c>cdx</c> (built next to the tests) as a child process, its output read and dropped.</summary>
    public static Process StartCdx(params string[] args)
    {
        string cdx = Path.Combine(AppContext.BaseDirectory, "cdx.dll");
        Assert.That(File.Exists(cdx), Is.True, $"{cdx} is built next to the tests");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cdx);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var child = Process.Start(psi)!;
        child.OutputDataReceived += (_, _) => { };
        child.ErrorDataReceived += (_, _) => { };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        return child;
    }

    /// <summary>Mask tiles a run's ledger records as finished (0 while it does not exist or is locked).</summary>
    public static long MaskTiles(string ledger)
    {
        if (!File.Exists(ledger)) return 0;
        try
        {
            using var db = new SqliteConnection($"Data Source={ledger};Mode=ReadOnly;Pooling=False");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM results WHERE stage='mask'";
            return (long)cmd.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0; // not created yet, or locked for a moment
        }
    }
}
