using System.Text.Json;
using Microsoft.Extensions.FileSystemGlobbing;

namespace ChangeDetection.Jobs;

/// <summary>
/// A schedule file: when the quarterly job runs and which regions it runs.
/// <code>{ "cron": "0 2 1 1,4,7,10 *", "timeZone": "Asia/Shanghai", "regions": ["regions/410102/region.json", "regions/*/region.json"] }</code>
/// Region paths are relative to the file and may hold glob patterns (<c>*</c>, <c>**</c>, <c>?</c>).
/// Parsing is strict: an unknown key, a bad cron or time zone, or a region entry that names
/// nothing is an error naming the file and the key.
/// </summary>
public sealed record Schedule
{
    /// <summary>02:00 on the first day of each quarter.</summary>
    public const string DefaultCron = "0 2 1 1,4,7,10 *";
    public const string DefaultTimeZone = "Asia/Shanghai";

    /// <summary>The schedule file (absolute).</summary>
    public required string FilePath { get; init; }
    public string Cron { get; init; } = DefaultCron;
    public string TimeZoneId { get; init; } = DefaultTimeZone;
    public required TimeZoneInfo TimeZone { get; init; }
    /// <summary>The region entries as written (paths or patterns relative to the file).</summary>
    public required IReadOnlyList<string> Regions { get; init; }

    /// <summary>Reads and validates <paramref name="path"/>, including that every region entry names at least one file.</summary>
    /// <exception cref="ChangeDetectionException">The file is missing, not JSON, or breaks a rule.</exception>
    public static Schedule Load(string path)
    {
        using var doc = ConfigJson.Load(path, "schedule file");
        var schedule = Parse(doc.RootElement, path);
        schedule.RegionFiles();
        return schedule;
    }

    private static ChangeDetectionException Error(string path, string key, string problem) => new($"{path}: \"{key}\" {problem}.");

    private static Schedule Parse(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new ChangeDetectionException($"{path}: a schedule must be a JSON object with \"regions\".");
        string[] known = ["cron", "timeZone", "regions"];
        foreach (var p in root.EnumerateObject())
            if (!known.Contains(p.Name, StringComparer.Ordinal))
                throw Error(path, p.Name, $"is not a known key (expected one of: {string.Join(", ", known)})");

        string cron = OptionalString(root, "cron", path) ?? DefaultCron;
        if (!IsValidCron(cron)) throw Error(path, "cron", $"'{cron}' is not a cron expression (minute hour day month weekday, e.g. \"{DefaultCron}\")");

        string zoneId = OptionalString(root, "timeZone", path) ?? DefaultTimeZone;
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw Error(path, "timeZone", $"'{zoneId}' is not a known time zone (use an IANA id such as \"{DefaultTimeZone}\")");
        }

        if (!root.TryGetProperty("regions", out var rs)) throw Error(path, "regions", "is missing (a list of region.json paths or patterns)");
        if (rs.ValueKind != JsonValueKind.Array) throw Error(path, "regions", "must be an array of paths");
        var regions = new List<string>();
        int i = 0;
        foreach (var r in rs.EnumerateArray())
        {
            if (r.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(r.GetString()))
                throw Error(path, $"regions[{i}]", "must be a non-empty path");
            regions.Add(r.GetString()!);
            i++;
        }
        if (regions.Count == 0) throw Error(path, "regions", "is empty: name at least one region.json");
        return new Schedule { FilePath = Path.GetFullPath(path), Cron = cron, TimeZoneId = zoneId, TimeZone = zone, Regions = regions };
    }

    private static string? OptionalString(JsonElement root, string key, string path)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()) ? v.GetString()! : throw Error(path, key, "must be a non-empty string");
    }

    /// <summary>
    /// Whether Cronos, the parser Hangfire uses, accepts the cron text: 5 fields (minute hour day
    /// month weekday) or 6 with seconds first, read as Hangfire reads them, so a schedule that parses
    /// here is one <see cref="ScheduleJobs.Register"/> can register.
    /// </summary>
    internal static bool IsValidCron(string cron)
    {
        int fields = cron.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6)) return false;
        return Cronos.CronExpression.TryParse(cron, fields == 6 ? Cronos.CronFormat.IncludeSeconds : Cronos.CronFormat.Standard, out _);
    }

    /// <summary>
    /// The region configs this schedule runs (absolute paths, sorted, no duplicates), expanded now:
    /// a pattern picks up regions added since the schedule was written.
    /// </summary>
    /// <exception cref="ChangeDetectionException">An entry names no file.</exception>
    public IReadOnlyList<string> RegionFiles()
    {
        string dir = Path.GetDirectoryName(FilePath)!;
        var files = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Regions.Count; i++)
        {
            string entry = Regions[i];
            if (entry.IndexOfAny(['*', '?']) < 0)
            {
                string full = Path.GetFullPath(Path.Combine(dir, entry));
                if (!File.Exists(full)) throw Error(FilePath, $"regions[{i}]", $"names {full}, which does not exist");
                files.Add(full);
                continue;
            }
            var matches = Glob(dir, entry);
            if (matches.Count == 0) throw Error(FilePath, $"regions[{i}]", $"pattern '{entry}' matches no file under {dir}");
            files.UnionWith(matches);
        }
        return [.. files];
    }

    private static List<string> Glob(string dir, string pattern)
    {
        string root = dir;
        string rel = pattern.Replace('\\', '/');
        if (Path.IsPathRooted(rel))
        {
            // An absolute pattern: glob from its longest wildcard-free prefix.
            var parts = rel.Split('/');
            int k = Array.FindIndex(parts, p => p.IndexOfAny(['*', '?']) >= 0);
            root = string.Join('/', parts[..k]);
            if (root.Length == 0) root = "/";
            rel = string.Join('/', parts[k..]);
        }
        if (!Directory.Exists(root)) return [];
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddInclude(rel);
        return [.. matcher.GetResultsInFullPath(root).Select(Path.GetFullPath)];
    }
}
