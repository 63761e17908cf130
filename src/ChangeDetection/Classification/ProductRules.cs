using ChangeDetection.Geo;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tasks;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Classification;

/// <summary>
/// What the delivered product makes of one candidate patch: its class (null without a classifier),
/// whether it is delivered in the patch layer (at least its class's minimum mapping unit) and whether
/// it becomes a verification task (delivered and not pseudo-change).
/// </summary>
public readonly record struct PatchDecision(TaskBuilder.Classification? Class, bool Delivered, bool Task);

/// <summary>The candidate patches of a mask (<see cref="ProductRules.Candidates(string, GeoGrid, int, IReadOnlyCollection{PixelPoint}, CancellationToken)"/>) and the owners of the probed pixels.</summary>
/// <param name="Patches">In row-major order of their first pixel (<see cref="Patch.PatchId"/>).</param>
/// <param name="Owners">The <see cref="Patch.PatchId"/> of the component holding each probed pixel.</param>
public sealed record CandidatePatches(IReadOnlyList<Patch> Patches, PixelOwners Owners);

/// <summary>
/// The rules that turn a change mask into the delivered product, in one place so that a region run
/// (<c>cdx run</c>, jobs) and <c>cdx eval</c> apply the same ones: connected components are kept down
/// to the smallest minimum mapping unit (<see cref="CandidateMinAreaM2"/>), classified, and each is then
/// held to the unit of its own class; a patch called pseudo-change with at least
/// <see cref="PseudoConfidence"/> stays in the patch layer but gets no task (<see cref="PseudoChange"/>). Areas in m².
/// </summary>
/// <param name="Units">Minimum mapping units per class (m²).</param>
/// <param name="Classifier">The patch classifier, or null: every patch is <c>unclassified</c> and the default unit applies.</param>
/// <param name="PseudoConfidence">Confidence (0–1) from which a pseudo-change call drops the task.</param>
public sealed record ProductRules(MinimumMappingUnits Units, PatchClassifier? Classifier, double PseudoConfidence) : IDisposable
{
    /// <summary>Releases the classifier, which these rules own.</summary>
    public void Dispose() => Classifier?.Dispose();

    /// <summary>The confidence from which a pseudo-change call drops the task when the region config gives none (<see cref="PseudoChangePolicy.DefaultConfidence"/>).</summary>
    public const double DefaultPseudoConfidence = PseudoChangePolicy.DefaultConfidence;

    /// <summary>Which patches give no task (<see cref="PseudoConfidence"/> as a policy).</summary>
    public PseudoChangePolicy PseudoChange => new(PseudoConfidence);

    /// <summary>
    /// The rules of a run: <paramref name="modelPath"/> loaded (null: no classifier), the pseudo-change
    /// confidence (null: <see cref="DefaultPseudoConfidence"/>) and the units in m² (null: <see cref="MinimumMappingUnits.DefaultUnitsM2"/>).
    /// </summary>
    /// <exception cref="ChangeDetectionException">The model cannot be loaded (the message names the file).</exception>
    public static ProductRules Load(string? modelPath, double? pseudoConfidence = null, IReadOnlyDictionary<string, double>? unitsM2 = null)
    {
        // The units first: a bad unit must not leave a loaded classifier behind undisposed.
        var units = UnitsOf(unitsM2);
        double confidence = PseudoChangePolicy.Resolve(pseudoConfidence, null).Confidence;
        if (modelPath is null) return new(units, null, confidence);
        // The rules own the classifier from here (Dispose); the analyzer does not follow it into a record's constructor.
#pragma warning disable CA2000
        return new(units, PatchClassifier.Load(modelPath), confidence);
#pragma warning restore CA2000
    }

    /// <summary>The minimum mapping units <see cref="Load"/> gives its rules for <paramref name="unitsM2"/> (m²; null: the defaults).</summary>
    internal static MinimumMappingUnits UnitsOf(IReadOnlyDictionary<string, double>? unitsM2) =>
        new(unitsM2 ?? MinimumMappingUnits.DefaultUnitsM2, PatchOptions.DefaultMinAreaM2);

    /// <summary>The least area a candidate patch can have and still be delivered (m²).</summary>
    public double CandidateMinAreaM2 => CandidateMinAreaOf(Units, Classifier is not null);

    /// <summary>
    /// <see cref="CandidateMinAreaM2"/> of rules with <paramref name="units"/>, with a classifier or without: it depends on
    /// whether there is one, not on the model, so the candidates can be traced while the model is still loading.
    /// </summary>
    internal static double CandidateMinAreaOf(MinimumMappingUnits units, bool classified) => units.Smallest(classified);

    /// <summary>
    /// The candidate patches of a change mask (uint8, 1 change): components of at least
    /// <see cref="CandidateMinAreaM2"/>, traced and measured as delivered (outline simplified as in the patch layer).
    /// </summary>
    public IReadOnlyList<Patch> Candidates(string maskPath, GeoGrid grid, int workers) => Candidates(maskPath, grid, workers, []).Patches;

    /// <summary>
    /// <see cref="Candidates(string, GeoGrid, int)"/>, and the patch holding each pixel of <paramref name="probes"/>
    /// (the first pixels of the tile pass's pieces, <see cref="PatchFeatures.Probes"/>) as the polygonizer labelled it.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked per mask tile, piece traced and patch built).</exception>
    public CandidatePatches Candidates(string maskPath, GeoGrid grid, int workers, IReadOnlyCollection<PixelPoint> probes, CancellationToken cancellationToken = default)
    {
        using var reader = GeoTiffReader.Open(maskPath);
        return Candidates(new GeoTiffMaskSource(reader), grid, workers, probes, CandidateMinAreaM2, cancellationToken);
    }

    /// <summary>
    /// <see cref="Candidates(string, GeoGrid, int, IReadOnlyCollection{PixelPoint}, CancellationToken)"/> of the mask
    /// <paramref name="mask"/> (same pixels, same patches, wherever they are read from), down to <paramref name="minAreaM2"/>
    /// (<see cref="CandidateMinAreaOf"/>): needs no loaded classifier.
    /// </summary>
    internal static CandidatePatches Candidates(IMaskSource mask, GeoGrid grid, int workers, IReadOnlyCollection<PixelPoint> probes, double minAreaM2,
        CancellationToken cancellationToken = default)
    {
        var options = new PatchOptions { MinAreaM2 = minAreaM2 };
        // Specks the builder would drop are not traced at all: a noisy mask has hundreds of thousands of them.
        var polygonized = MaskPolygonizer.PolygonizeWithOwners(mask, probes,
            new PolygonizeOptions { MaxDegreeOfParallelism = workers, MinPixelCount = PatchBuilder.PixelsAlwaysDropped(grid, options), CancellationToken = cancellationToken });
        return new CandidatePatches(PatchBuilder.Build(polygonized.Components, grid, options, workers, cancellationToken), polygonized.Owners);
    }

    /// <summary>
    /// The decision for every patch (aligned with <paramref name="patches"/> and their
    /// <see cref="PatchFeatures"/> vectors <paramref name="features"/>). Patches below
    /// <see cref="CandidateMinAreaM2"/> are not delivered and are not classified.
    /// </summary>
    public IReadOnlyList<PatchDecision> Decide(IReadOnlyList<Patch> patches, IReadOnlyList<float[]> features)
    {
        ArgumentNullException.ThrowIfNull(patches);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count != patches.Count)
            throw new ArgumentException($"{features.Count} feature vectors for {patches.Count} patches.", nameof(features));
        return patches.Select((p, i) => Decide(p, features[i])).ToList();
    }

    /// <summary>
    /// Every record with its <see cref="PatchRecord.Class"/> and <see cref="PatchRecord.Delivered"/> from its patch and its
    /// <see cref="PatchRecord.Features"/>, as <see cref="Decide(IReadOnlyList{Patch}, IReadOnlyList{float[]})"/> decides.
    /// </summary>
    /// <exception cref="ArgumentException">A record has no features.</exception>
    public IReadOnlyList<PatchRecord> Classify(IReadOnlyList<PatchRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return records.Select(r =>
        {
            var d = Decide(r.Patch, r.Features ?? throw new ArgumentException($"Patch {r.Id} has no features.", nameof(records)));
            return r with { Class = d.Class, Delivered = d.Delivered };
        }).ToList();
    }

    private PatchDecision Decide(Patch patch, float[] features)
    {
        if (patch.AreaM2 < CandidateMinAreaM2) return new PatchDecision(null, false, false);
        var c = Classify(features);
        bool delivered = Units.Keeps(c?.Class ?? ChangeClasses.Unclassified.Code, patch.AreaM2);
        return new PatchDecision(c, delivered, delivered && !PseudoChangePolicy.IsPseudo(c?.Class));
    }

    /// <summary>
    /// The classifier's answer, or null without one. A pseudo call below <see cref="PseudoConfidence"/>
    /// is not trusted to drop a task: the patch takes its most likely real change class instead. A patch
    /// outside the model's training envelope is <c>unclassified</c>: it becomes a task, held to the
    /// default unit, since a call on data unlike anything the model saw must not silence a change.
    /// </summary>
    private TaskBuilder.Classification? Classify(float[] features)
    {
        if (Classifier is null) return null;
        var p = Classifier.Predict(features);
        if (!p.InDomain) return new TaskBuilder.Classification(ChangeClasses.Unclassified.Code, 0);
        if (!PseudoChangePolicy.IsPseudo(p.Class.Code) || PseudoChange.Drops(p))
            return new TaskBuilder.Classification(p.Class.Code, p.Confidence);
        var best = p.Scores.Where(kv => !PseudoChangePolicy.IsPseudo(kv.Key)).MaxBy(kv => kv.Value);
        return new TaskBuilder.Classification(best.Key, best.Value);
    }
}
