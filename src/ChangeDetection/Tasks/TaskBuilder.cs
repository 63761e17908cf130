using ChangeDetection.Overlay;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tasks;

/// <summary>
/// Turns monitoring patches and their overlay into records with the verification-task fields,
/// numbered with stable JCBH IDs: <c>Build</c> gives one per patch (the run's patch
/// layer, pseudo-changes included; on <see cref="PatchRecord"/>s, each record with its overlay and task), <see cref="Tasks"/> the verification tasks (核查任务) among
/// them — every patch that is not pseudo-change (the size filter is the patch stage's).
/// </summary>
public static class TaskBuilder
{
    /// <summary>Change class and confidence of a patch; <see cref="Unclassified"/> without a model.</summary>
    public readonly record struct Classification(string Class, double Confidence)
    {
        public static Classification Unclassified => new(ChangeClasses.Unclassified.Code, 0);
    }

    public static IReadOnlyList<VerificationTask> Build(
        IReadOnlyList<Patch> patches, OverlayResult overlay, DateOnly before, DateOnly after, string quarter,
        IReadOnlyList<Classification>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(patches);
        if (classes is not null && classes.Count != patches.Count)
            throw new ArgumentException("The classes must hold one entry per patch.", nameof(classes));
        var records = patches.Select((p, i) => new PatchRecord(p) { Class = classes?[i], Delivered = true }).ToList();
        return Build(records, overlay, before, after, quarter).Select(r => r.Task!).ToList();
    }

    /// <summary>
    /// The records with their <see cref="PatchRecord.Overlay"/> (the overlay of <paramref name="records"/>' outlines, in
    /// their order) and their <see cref="PatchRecord.Task"/>, numbered with JCBH, in JCBH order.
    /// </summary>
    /// <param name="records">The delivered patches, classified (<see cref="PatchRecord.Class"/> null: unclassified).</param>
    /// <param name="overlay">The overlay of the records' <see cref="Patch.MapGeometry"/>, one result per record in order.</param>
    /// <param name="before">Before acquisition date.</param>
    /// <param name="after">After acquisition date.</param>
    /// <param name="quarter">The quarter label of the JCBH, e.g. <c>2026Q3</c>.</param>
    public static IReadOnlyList<PatchRecord> Build(IReadOnlyList<PatchRecord> records, OverlayResult overlay, DateOnly before, DateOnly after, string quarter)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(overlay);
        if (overlay.Patches.Count != records.Count)
            throw new ArgumentException("The overlay must hold one result per patch.", nameof(overlay));
        var withTasks = records.Select((r, i) => r with { Overlay = overlay.Patches[i], Task = Task(r.Patch, overlay.Patches[i], overlay.Layers, r.Class, before, after) }).ToList();
        var ids = TaskNumbering.Assign(withTasks, r => r.Task!.XZQDM, r => r.Task!.Geometry, quarter);
        return withTasks.Select((r, i) => r with { Task = r.Task! with { JCBH = ids[i] } })
            .OrderBy(r => r.Task!.JCBH, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The task fields of one patch (JCBH not yet assigned).</summary>
    private static VerificationTask Task(Patch p, PatchOverlay o, IReadOnlyList<LayerSpec> layers, Classification? classification, DateOnly before, DateOnly after)
    {
        var c = classification ?? Classification.Unclassified;
        // A kind without a configured layer stays null: "not checked" is not "no overlap".
        double? Overlap(string kind) => layers.Any(l => string.Equals(l.Kind, kind, StringComparison.OrdinalIgnoreCase))
            ? o.OverlapSquareMetres.Where(kv => string.Equals(kv.Key.Kind, kind, StringComparison.OrdinalIgnoreCase)).Sum(kv => kv.Value)
            : null;
        var extra = layers.Where(l => !LayerKind.IsStandard(l.Kind))
            .ToDictionary(l => l.TaskField, l => o.OverlapSquareMetres.TryGetValue(l.Key, out double m2) ? m2 : 0);
        double? permanent = Overlap(LayerKind.PermanentBasicFarmland), farmland = Overlap(LayerKind.Farmland), redline = Overlap(LayerKind.EcologicalRedline);
        return new VerificationTask
        {
            XZQDM = o.AdminCode,
            XZQMC = o.AdminName,
            TBMJ = p.AreaM2,
            QSX = before,
            HSX = after,
            BHLX = c.Class,
            ZXD = c.Confidence,
            ZXDX = p.CentroidX,
            ZXDY = p.CentroidY,
            JD = p.Lon,
            WD = p.Lat,
            YJJBNTMJ = permanent,
            GDMJ = farmland,
            STHXMJ = redline,
            CZKFMJ = Overlap(LayerKind.UrbanBoundary),
            Extra = extra,
            YXJ = TaskPriority.Of(permanent, farmland, redline),
            Geometry = p.MapGeometry,
        };
    }

    /// <summary>The records that become verification tasks: all but pseudo-changes.</summary>
    public static IReadOnlyList<VerificationTask> Tasks(IReadOnlyList<VerificationTask> records) =>
        records.Where(r => r.BHLX != ChangeClasses.Pseudo.Code).ToList();
}
