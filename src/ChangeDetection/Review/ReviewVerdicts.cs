using System.Globalization;
using ChangeDetection.Classification;
using ChangeDetection.Export;
using ChangeDetection.Tasks;

namespace ChangeDetection.Review;

/// <summary>What an analyst decided about one task on the review page.</summary>
public enum VerdictKind
{
    /// <summary>A real change, with its class (the result code).</summary>
    Change,
    /// <summary>A pseudo-change (伪变化): nothing happened on the ground.</summary>
    Pseudo,
    /// <summary>Looked at, not decided: exported as not verified (an empty result).</summary>
    Unsure,
}

/// <summary>
/// One analyst's verdict on a task (核查结果).
/// </summary>
/// <param name="Jcbh">The task's monitoring ID (JCBH).</param>
/// <param name="AreaM2">The task's area (TBMJ) in m², kept so the results file checks its join to the run.</param>
/// <param name="Kind">Change, pseudo-change or unsure.</param>
/// <param name="Class">The change class code of a <see cref="VerdictKind.Change"/> (one of <see cref="VerificationResults.Verifiable"/>, not <c>pseudo</c>); <c>pseudo</c> for a pseudo-change; empty when unsure.</param>
/// <param name="Remark">Free text (备注), one line.</param>
/// <param name="ReviewedUtc">When the verdict was given, ISO 8601 UTC.</param>
public sealed record Verdict(string Jcbh, double AreaM2, VerdictKind Kind, string Class, string Remark, string ReviewedUtc)
{
    /// <summary>The result cell (HCJG) the results file carries: the class code, <c>pseudo</c>, or empty (not verified).</summary>
    public string Result => Kind switch
    {
        VerdictKind.Change => Class,
        VerdictKind.Pseudo => ChangeClasses.Pseudo.Code,
        _ => "",
    };
}

/// <summary>
/// The verdicts of a run's review, one row per JCBH, in <c>RUN_DIR/review/verdicts.csv</c>: a CSV with the
/// columns <c>JCBH, TBMJ, HCJG, verdict, remark, reviewed_utc</c> (UTF-8 with BOM), rewritten whole and
/// atomically on every change, so a crash never loses earlier verdicts and a restart finds them all. The file
/// is itself a results file for <c>cdx train --results</c> (<see cref="VerificationResults"/> reads JCBH, HCJG
/// and TBMJ); unsure verdicts are empty results, i.e. not verified. Thread-safe.
/// </summary>
public sealed class ReviewVerdicts
{
    /// <summary>The review's folder inside the run folder.</summary>
    public const string FolderName = "review";
    /// <summary>The verdict file's name in <see cref="FolderName"/>.</summary>
    public const string FileName = "verdicts.csv";
    /// <summary>The word <c>cdx train --results</c> takes for this file of its <c>--run</c>.</summary>
    public const string ResultsKeyword = "review";

    private static readonly string[] Header = ["JCBH", VerificationResults.AreaColumn, "HCJG", "verdict", "remark", "reviewed_utc"];
    private readonly Dictionary<string, Verdict> _byJcbh = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private ReviewVerdicts(string path) => Path = path;

    /// <summary>The verdict file.</summary>
    public string Path { get; }

    /// <summary>The verdict file of the run in <paramref name="runFolder"/>.</summary>
    public static string PathIn(string runFolder) => System.IO.Path.Combine(System.IO.Path.GetFullPath(runFolder), FolderName, FileName);

    /// <summary>The verdicts of <paramref name="runFolder"/> (none when the file does not exist yet).</summary>
    /// <exception cref="ChangeDetectionException">The file exists but is no verdict file: one line naming it.</exception>
    public static ReviewVerdicts Open(string runFolder)
    {
        var store = new ReviewVerdicts(PathIn(runFolder));
        if (!File.Exists(store.Path)) return store;
        var table = ResultTable.Read(store.Path);
        var missing = Header.Where(h => !table.Columns.Contains(h, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
            throw new ChangeDetectionException($"{store.Path}: not a verdict file of 'cdx review' (no {string.Join(", ", missing)} column); move it away and start the review again.");
        foreach (var row in table.Rows)
        {
            string jcbh = row.Cell("JCBH");
            if (jcbh.Length == 0) continue;
            var kind = Enum.TryParse<VerdictKind>(row.Cell("verdict"), ignoreCase: true, out var k) ? k
                : throw new ChangeDetectionException($"{store.Path}: {row.Where}: '{row.Cell("verdict")}' is not a verdict (change, pseudo or unsure); correct or delete that row.");
            double area = double.TryParse(row.Cell(VerificationResults.AreaColumn), NumberStyles.Float, CultureInfo.InvariantCulture, out double a) ? a : 0;
            store._byJcbh[jcbh] = new Verdict(jcbh, area, kind, kind == VerdictKind.Change ? row.Cell("HCJG") : kind == VerdictKind.Pseudo ? ChangeClasses.Pseudo.Code : "", row.Cell("remark"), row.Cell("reviewed_utc"));
        }
        return store;
    }

    /// <summary>The verdict of <paramref name="jcbh"/>, or null.</summary>
    public Verdict? Get(string jcbh)
    {
        lock (_gate) return _byJcbh.GetValueOrDefault(jcbh);
    }

    /// <summary>Every verdict, by JCBH.</summary>
    public IReadOnlyDictionary<string, Verdict> All()
    {
        lock (_gate) return new Dictionary<string, Verdict>(_byJcbh, StringComparer.Ordinal);
    }

    /// <summary>Checks a verdict and stores it (replacing an earlier one for the task); the file is rewritten before this returns.</summary>
    /// <param name="task">The task judged.</param>
    /// <param name="kind">The verdict.</param>
    /// <param name="resultCode">For <see cref="VerdictKind.Change"/>: a class code or Chinese name <see cref="VerificationResults.ParseClass"/> accepts, other than pseudo-change. Ignored otherwise.</param>
    /// <param name="remark">Free text; line breaks become spaces.</param>
    /// <exception cref="ChangeDetectionException">A change without a valid class.</exception>
    public Verdict Set(VerificationTask task, VerdictKind kind, string? resultCode, string? remark)
    {
        ArgumentNullException.ThrowIfNull(task);
        string cls = "";
        if (kind == VerdictKind.Change)
        {
            var parsed = VerificationResults.ParseClass(resultCode ?? "");
            if (parsed is null || parsed == ChangeClasses.Pseudo)
                throw new ChangeDetectionException($"'{resultCode}' is not the class of a real change; use one of {string.Join(", ", VerificationResults.Verifiable.Where(c => c != ChangeClasses.Pseudo).Select(c => c.Code))}.");
            cls = parsed.Code;
        }
        else if (kind == VerdictKind.Pseudo) cls = ChangeClasses.Pseudo.Code;
        string text = string.Join(' ', (remark ?? "").Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        var verdict = new Verdict(task.JCBH, task.TBMJ, kind, cls, text, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        lock (_gate)
        {
            _byJcbh[task.JCBH] = verdict;
            Save();
        }
        return verdict;
    }

    /// <summary>Removes the verdict of <paramref name="jcbh"/> (back to not reviewed); false when there was none.</summary>
    public bool Clear(string jcbh)
    {
        lock (_gate)
        {
            if (!_byJcbh.Remove(jcbh)) return false;
            Save();
            return true;
        }
    }

    /// <summary>Rewrites the whole file atomically (under the lock), rows by JCBH.</summary>
    private void Save()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var rows = _byJcbh.Values.OrderBy(v => v.Jcbh, StringComparer.Ordinal).Select(v => new[]
        {
            v.Jcbh, v.AreaM2.ToString("0.##", CultureInfo.InvariantCulture), v.Result, v.Kind.ToString().ToLowerInvariant(), v.Remark, v.ReviewedUtc,
        });
        CsvTaskWriter.WriteRows(Path, Header, rows);
    }
}
