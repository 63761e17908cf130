using ChangeDetection.Overlay;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tasks;

/// <summary>
/// Turns monitoring patches and their overlay into records with the verification-task fields,
/// numbered with stable JCBH IDs: <see cref="Build"/> gives one per patch (the run's patch
/// layer, pseudo-changes included), <see cref="Tasks"/> the verification tasks (核查任务) among
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
        if (overlay.Patches.Count != patches.Count)
            throw new ArgumentException("The overlay must hold one result per patch.", nameof(overlay));
        if (classes is not null && classes.Count != patches.Count)
            throw new ArgumentException("The classes must hold one entry per patch.", nameof(classes));
        var tasks = new List<VerificationTask>();
        for (int i = 0; i < patches.Count; i++)
        {
            var p = patches[i];
            var o = overlay.Patches[i];
            var c = classes?[i] ?? Classification.Unclassified;
            // A kind without a configured layer stays null: "not checked" is not "no overlap".
            double? Overlap(string kind) => overlay.Layers.Any(l => string.Equals(l.Kind, kind, StringComparison.OrdinalIgnoreCase))
                ? o.OverlapSquareMetres.Where(kv => string.Equals(kv.Key.Kind, kind, StringComparison.OrdinalIgnoreCase)).Sum(kv => kv.Value)
                : null;
            var extra = overlay.Layers.Where(l => !LayerKind.IsStandard(l.Kind))
                .ToDictionary(l => l.TaskField, l => o.OverlapSquareMetres.TryGetValue(l.Key, out double m2) ? m2 : 0);
            double? permanent = Overlap(LayerKind.PermanentBasicFarmland), farmland = Overlap(LayerKind.Farmland), redline = Overlap(LayerKind.EcologicalRedline);
            tasks.Add(new VerificationTask
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
            });
        }
        return TaskNumbering.Assign(tasks, quarter);
    }

    /// <summary>The records that become verification tasks: all but pseudo-changes.</summary>
    public static IReadOnlyList<VerificationTask> Tasks(IReadOnlyList<VerificationTask> records) =>
        records.Where(r => r.BHLX != ChangeClasses.Pseudo.Code).ToList();
}
