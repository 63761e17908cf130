using System.Globalization;
using ChangeDetection.Tasks;

namespace ChangeDetection.Classification;

/// <summary>Verified tasks of one results file joined to the patches of one run: training examples and what did not join.</summary>
/// <param name="ResultsPath">The results file.</param>
/// <param name="Column">Its result column.</param>
/// <param name="RunFolder">The run whose patch features were used.</param>
/// <param name="Examples">The features of each verified patch with the inspector's class.</param>
/// <param name="NotInRun">Verified JCBH that are no patch of the run (not used).</param>
/// <param name="AreaMismatch">Verified JCBH whose <c>TBMJ</c> differs from the run's patch of that JCBH (not used).</param>
/// <param name="Unverified">Rows without a result.</param>
/// <param name="Warnings">Warnings of the reader.</param>
public sealed record FeedbackExamples(string ResultsPath, string Column, string RunFolder, IReadOnlyList<LabelledFeatures> Examples,
    IReadOnlyList<string> NotInRun, IReadOnlyList<string> AreaMismatch, int Unverified, IReadOnlyList<string> Warnings)
{
    /// <summary>Examples per class code, in <see cref="ChangeClasses.All"/> order, classes without examples left out.</summary>
    public IReadOnlyList<(string Class, int Count)> ByClass =>
        ChangeClasses.All.Select(c => (c.Code, Examples.Count(e => e.Label == c.Code))).Where(x => x.Item2 > 0).ToList();
}

/// <summary>
/// The feedback loop of the patch classifier: verification results sent back by provinces (核查结果,
/// <see cref="VerificationResults"/>) joined by JCBH to the patch features the run kept
/// (<see cref="RunPatchFeatures"/>), giving labelled examples to train on next quarter.
/// </summary>
/// <remarks>
/// JCBH are sequence numbers by position, stable when the same inputs are run again, but a run with
/// other detection results numbers other patches. When the results carry the task area (<c>TBMJ</c>),
/// a result whose area differs from the run's patch by more than <see cref="AreaTolerance"/> is
/// therefore not used: it was verified on another patch.
/// </remarks>
public static class VerificationFeedback
{
    /// <summary>Largest relative difference between a result's TBMJ and the run's patch area for the two to be the same patch.</summary>
    public const double AreaTolerance = 0.05;

    private const string AreaFeature = "area_m2_log10";

    /// <summary>Reads <paramref name="resultsPath"/> and joins it to the run in <paramref name="runFolder"/>.</summary>
    /// <exception cref="ChangeDetectionException">As <see cref="VerificationResults.Read"/>, <see cref="RunPatchFeatures.Load"/> and <see cref="Match"/>.</exception>
    public static FeedbackExamples Load(string resultsPath, string runFolder, string? resultColumn = null)
    {
        var results = VerificationResults.Read(resultsPath, resultColumn);
        return Match(results, RunPatchFeatures.Load(runFolder));
    }

    /// <summary>Joins verified results to a run's patch features by JCBH.</summary>
    /// <exception cref="ChangeDetectionException">No verified result at all, or none that is a patch of the run.</exception>
    public static FeedbackExamples Match(VerificationResultSet results, RunPatchFeatures run)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(run);
        if (results.Results.Count == 0)
            throw new ChangeDetectionException(
                $"{results.Path}: no verified task: column {results.Column} is empty in all {results.Unverified} rows; fill in the results ({VerificationResults.AcceptedValues}) or name the result column with --result-column.");
        int area = PatchFeatures.Names.Contains(AreaFeature) ? PatchFeatures.IndexOf(AreaFeature) : -1;
        var examples = new List<LabelledFeatures>();
        var notInRun = new List<string>();
        var mismatch = new List<string>();
        foreach (var r in results.Results)
        {
            if (!run.ByJcbh.TryGetValue(r.Jcbh, out var features))
            {
                notInRun.Add(r.Jcbh);
                continue;
            }
            if (area >= 0 && r.AreaM2 is double verified && !SameArea(verified, Math.Pow(10, features[area])))
            {
                mismatch.Add(r.Jcbh);
                continue;
            }
            examples.Add(new LabelledFeatures(features, r.Class.Code));
        }
        if (examples.Count == 0)
        {
            string reason = mismatch.Count > 0
                ? $"{mismatch.Count} name patches of another area there (e.g. {Sample(mismatch)}): the run was made again with other results since the export"
                : $"none is a patch of that run (e.g. {Sample(notInRun)})";
            throw new ChangeDetectionException(
                $"{results.Path}: none of its {results.Results.Count} verified tasks matches a patch of the run in {run.RunFolder}: {reason}; give the output folder of the run the tasks were exported from.");
        }
        return new FeedbackExamples(results.Path, results.Column, run.RunFolder, examples, notInRun, mismatch, results.Unverified, results.Warnings);
    }

    /// <summary>A few JCBH for a message.</summary>
    public static string Sample(IReadOnlyList<string> jcbh) =>
        string.Join(", ", jcbh.Take(3)) + (jcbh.Count > 3 ? string.Create(CultureInfo.InvariantCulture, $" and {jcbh.Count - 3} more") : "");

    private static bool SameArea(double a, double b) =>
        !(a > 0 && b > 0) || Math.Abs(a - b) <= AreaTolerance * Math.Max(a, b);
}
