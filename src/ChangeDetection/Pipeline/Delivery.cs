using System.Text.RegularExpressions;
using ChangeDetection.Classification;
using ChangeDetection.Export;
using ChangeDetection.IO;

namespace ChangeDetection.Pipeline;

/// <summary>
/// The deliverable set of a run in its output folder — <c>patches.gpkg</c>, <c>patches.geojson</c>,
/// <c>patch_features.csv</c>, <c>mask.tif</c>, <c>provinces/</c> and <c>run.json</c> — built in a
/// staging folder (<c>.work/delivery.partial-&lt;pid&gt;</c>) and swapped in as one set at the end, so
/// that a killed or failed run leaves the previous complete set, and a finished one leaves nothing
/// of an earlier run (no stale <c>provinces/37</c>). The swap is journaled: the complete staging
/// folder is renamed to <c>.work/delivery.ready</c>, then each item is moved into place, run.json
/// last; a run killed during those renames is finished by the next start (<see cref="Recover"/>).
/// Used under the <see cref="RegionLock"/> only.
/// </summary>
internal sealed partial class Delivery : IDisposable
{
    public const string RunJsonName = "run.json";
    public const string MaskName = "mask.tif";

    /// <summary>The files of a set besides provinces/ and run.json: one the new set lacks is an earlier run's and is removed.</summary>
    private static readonly string[] FileNames = [MaskName, "patches.gpkg", "patches.geojson", RunPatchFeatures.FileName, RunTasks.FileName];

    private const string MergeProvinces = "merge-provinces";
    private const string KeepFiles = "keep-files";
    private const string PlanName = ".plan";
    private bool _committed;

    private Delivery(string output, string staging)
    {
        Output = output;
        Staging = staging;
    }

    /// <summary>The output folder the set is delivered to.</summary>
    public string Output { get; }

    /// <summary>The staging folder the set is written into.</summary>
    public string Staging { get; }

    /// <summary>Starts a new set for <paramref name="output"/> in an empty staging folder.</summary>
    public static Delivery Begin(string output)
    {
        string staging = Path.Combine(output, ".work", $"delivery.partial-{Environment.ProcessId}");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        return new Delivery(output, staging);
    }

    /// <summary>Where the staged file or folder <paramref name="stagedPath"/> will be once delivered.</summary>
    public string FinalPath(string stagedPath) => Path.Combine(Output, Path.GetRelativePath(Staging, stagedPath));

    /// <summary>
    /// Swaps the staged set in. <paramref name="mergeProvinces"/>: only the staged province folders
    /// replace theirs (an export of one province); otherwise <c>provinces/</c> is replaced whole.
    /// <paramref name="packagesOnly"/>: the set is packages alone (<c>cdx export</c>): the folder keeps its other files and run.json.
    /// </summary>
    public void Commit(bool mergeProvinces, bool packagesOnly = false)
    {
        // The plan: how provinces/ is swapped, then the files of the new set (those already moved in by a swap cut short are no longer staged).
        var plan = new List<string> { mergeProvinces ? MergeProvinces : "replace-provinces" };
        if (packagesOnly) plan.Add(KeepFiles);
        plan.AddRange(FileNames.Where(n => File.Exists(Path.Combine(Staging, n))));
        File.WriteAllLines(Path.Combine(Staging, PlanName), plan);
        string ready = ReadyFolder(Output);
        if (Directory.Exists(ready)) Directory.Delete(ready, recursive: true);
        Directory.Move(Staging, ready);
        _committed = true;
        Finish(Output);
    }

    /// <summary>A set that was not committed (the run failed) is thrown away; the folder keeps the previous set.</summary>
    public void Dispose()
    {
        if (!_committed && Directory.Exists(Staging))
        {
            try { Directory.Delete(Staging, recursive: true); }
            catch (IOException) { } // the next start cleans it (Recover)
        }
    }

    /// <summary>
    /// At the start of a run (under the lock): finishes a swap a killed run left half done, and removes
    /// what killed runs left behind: <c>*.partial-&lt;pid&gt;</c> and <c>*.old-&lt;pid&gt;</c> files and
    /// folders in the output folder, <c>provinces/</c> and <c>.work/</c>.
    /// </summary>
    public static void Recover(string output)
    {
        Finish(output);
        foreach (string folder in new[] { output, Path.Combine(output, ProvincePackage.ProvincesFolder), Path.Combine(output, ".work") })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (string entry in Directory.EnumerateFileSystemEntries(folder).Where(e => Leftover().IsMatch(Path.GetFileName(e))).ToList())
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
        }
        string old = OldFolder(output);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>Moves a ready set into place; every step can be repeated, so a swap cut short is finished by calling this again.</summary>
    private static void Finish(string output)
    {
        string ready = ReadyFolder(output), old = OldFolder(output);
        if (!Directory.Exists(ready)) return;
        var plan = File.ReadAllLines(Path.Combine(ready, PlanName));
        bool merge = plan[0] == MergeProvinces, keep = plan.Contains(KeepFiles);
        Directory.CreateDirectory(old);
        foreach (string name in FileNames)
        {
            string staged = Path.Combine(ready, name), final = Path.Combine(output, name);
            if (!plan.Contains(name))
            {
                if (!keep) File.Delete(final); // an earlier run's: not part of this set
            }
            else if (File.Exists(staged)) File.Move(staged, final, overwrite: true);
        }
        string stagedProvinces = Path.Combine(ready, ProvincePackage.ProvincesFolder), provinces = Path.Combine(output, ProvincePackage.ProvincesFolder);
        if (Directory.Exists(stagedProvinces))
        {
            if (merge)
            {
                Directory.CreateDirectory(provinces);
                foreach (string staged in Directory.GetDirectories(stagedProvinces))
                    SwapFolder(staged, Path.Combine(provinces, Path.GetFileName(staged)), Path.Combine(old, "province-" + Path.GetFileName(staged)));
            }
            else SwapFolder(stagedProvinces, provinces, Path.Combine(old, ProvincePackage.ProvincesFolder));
        }
        if (File.Exists(Path.Combine(ready, RunJsonName))) File.Move(Path.Combine(ready, RunJsonName), Path.Combine(output, RunJsonName), overwrite: true);
        Directory.Delete(ready, recursive: true);
        Directory.Delete(old, recursive: true);
    }

    private static void SwapFolder(string staged, string final, string aside)
    {
        if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
        if (Directory.Exists(final)) Directory.Move(final, aside);
        Directory.Move(staged, final);
    }

    private static string ReadyFolder(string output) => Path.Combine(output, ".work", "delivery.ready");

    private static string OldFolder(string output) => Path.Combine(output, ".work", "delivery.old");

    /// <summary>A scratch name of <see cref="AtomicFile"/>, <see cref="ProvincePackage"/> or an older cdx (<c>mask.tif.partial</c>).</summary>
    [GeneratedRegex(@"\.partial(-\d+)?$|\.old-\d+$")]
    private static partial Regex Leftover();
}
