using ChangeDetection.Tasks;

namespace ChangeDetection.Classification;

/// <summary>
/// Which patches give no verification task: the ones the patch classifier calls pseudo-change (伪变化: shadow,
/// phenology, a different sun or sensor) with at least <see cref="Confidence"/>. Such a patch stays in the patch
/// layer; a pseudo call below it is not trusted to silence a change. <c>cdx run</c>, the jobs and <c>cdx eval</c>
/// apply this one rule (<see cref="ProductRules"/>).
/// </summary>
/// <param name="Confidence">The classifier's confidence (0–1) from which a pseudo-change call drops the task.</param>
public readonly record struct PseudoChangePolicy(double Confidence)
{
    /// <summary>
    /// The confidence when neither the command line nor the region config gives one: the shipped model was trained on
    /// whole-patch labels, where "more likely pseudo than not" is the call.
    /// </summary>
    public const double DefaultConfidence = 0.5;

    /// <summary>The policy of a run: the command line's confidence, else the region config's, else <see cref="DefaultConfidence"/>.</summary>
    public static PseudoChangePolicy Resolve(double? option, double? config) => new(option ?? config ?? DefaultConfidence);

    /// <summary>Whether <paramref name="prediction"/> is a pseudo-change call trusted to drop the patch's task.</summary>
    public bool Drops(PatchPrediction prediction)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        return IsPseudo(prediction.Class.Code) && prediction.Confidence >= Confidence;
    }

    /// <summary>Whether a patch of class <paramref name="code"/> (null: unclassified) is pseudo-change, which gives no task.</summary>
    public static bool IsPseudo(string? code) => code == ChangeClasses.Pseudo.Code;
}
