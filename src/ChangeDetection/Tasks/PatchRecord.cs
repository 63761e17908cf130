using ChangeDetection.Overlay;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tasks;

/// <summary>
/// One monitoring patch (图斑) of a run as the product stages enrich it, identified by its <see cref="PatchId"/>
/// (the polygonizer's, stable across tile sizes and resumes) rather than by its position in parallel lists: the
/// feature stage sets <see cref="Features"/>, the product rules <see cref="Class"/> and <see cref="Delivered"/>, the
/// task stage <see cref="Overlay"/> and <see cref="Task"/>. A property a stage has not run for is null (false).
/// </summary>
/// <param name="Patch">The delivered outline and its figures (m², 亩, centroid).</param>
public sealed record PatchRecord(Patch Patch)
{
    /// <summary>The patch's identity (<see cref="Patch.PatchId"/>).</summary>
    public PatchId Id => Patch.PatchId;

    /// <summary>The classifier's feature vector (<c>PatchFeatures</c>, <c>PatchFeatures.Length</c> slots).</summary>
    public float[]? Features { get; init; }

    /// <summary>Change class and confidence (0–1); null without a classifier, or for a patch below every unit (not classified).</summary>
    public TaskBuilder.Classification? Class { get; init; }

    /// <summary>Whether the patch is delivered in the patch layer: at least the minimum mapping unit of its class (m²).</summary>
    public bool Delivered { get; init; }

    /// <summary>What the overlay found: overlaps in m² with the protected layers, and the division (XZQDM).</summary>
    public PatchOverlay? Overlay { get; init; }

    /// <summary>The patch with the verification-task fields, its JCBH assigned; a task unless its class is pseudo-change.</summary>
    public VerificationTask? Task { get; init; }
}
