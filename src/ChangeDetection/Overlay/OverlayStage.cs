using ChangeDetection.Geo;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Overlay;

/// <summary>What the overlay found for one patch.</summary>
/// <param name="OverlapSquareMetres">Overlap area in m² with every layer (0 when untouched), keyed by layer name and kind.</param>
/// <param name="Admin">The division holding most of the patch, or <see cref="AdminDivision.Unknown"/>.</param>
/// <param name="Warnings">Problems specific to this patch (e.g. outside every division).</param>
public sealed record PatchOverlay(IReadOnlyDictionary<LayerKey, double> OverlapSquareMetres, AdminDivision Admin, IReadOnlyList<string> Warnings)
{
    /// <summary>6-digit division code (XZQDM); <c>000000</c> when unknown.</summary>
    public string AdminCode => Admin.Code;

    /// <summary>Division name (XZQMC); 未知 when unknown.</summary>
    public string AdminName => Admin.Name;
}

/// <summary>The overlay of all patches: one <see cref="PatchOverlay"/> per patch, in input order, and layer-level warnings.</summary>
/// <param name="Patches">Per patch, same order as the input.</param>
/// <param name="Layers">The layers overlaid, in order (names, kinds, task fields).</param>
/// <param name="Warnings">Layer problems: repaired or skipped features, bad division codes.</param>
public sealed record OverlayResult(IReadOnlyList<PatchOverlay> Patches, IReadOnlyList<LayerSpec> Layers, IReadOnlyList<string> Warnings);

/// <summary>A layer read into memory together with its spec (the input of the pure overlay).</summary>
internal sealed record LoadedLayer(LayerSpec Spec, PolygonLayer Layer);

/// <summary>
/// The overlay stage: overlap in m² of every patch with every protected layer, and the
/// administrative division of every patch. The <c>Compute</c> overloads are pure; <see cref="Run"/> reads the
/// layer files first (the only I/O) and then computes.
/// </summary>
internal static class OverlayStage
{
    /// <summary>Reads the layer files, transforms them into <paramref name="imageCrs"/>, and overlays.</summary>
    /// <param name="patchesInImageCrs">Patch polygons in the image CRS (map units metres, or degrees for a geographic CRS).</param>
    /// <param name="imageCrs">The image CRS; must be one <see cref="CrsRegistry"/> knows when a layer is in another CRS.</param>
    /// <param name="layers">The protected layers; names must be unique.</param>
    /// <param name="admin">The division layer, or null (every patch gets <paramref name="withoutAdmin"/>, without a warning).</param>
    /// <param name="withoutAdmin">The division of every patch when there is no division layer (the region's own); null: <see cref="AdminDivision.Unknown"/>.</param>
    /// <param name="workers">Threads overlaying patches at once; null: all cores. The result does not depend on it.</param>
    /// <param name="cancellationToken">Stops the overlay between patches (<see cref="OperationCanceledException"/>).</param>
    /// <exception cref="ChangeDetectionException">A layer file cannot be read or its CRS cannot be transformed.</exception>
    public static OverlayResult Run(IReadOnlyList<Geometry> patchesInImageCrs, Crs imageCrs, IReadOnlyList<LayerSpec> layers, AdminSpec? admin, AdminDivision? withoutAdmin = null,
        int? workers = null, CancellationToken cancellationToken = default) =>
        Compute(patchesInImageCrs, Prepare(imageCrs, layers, admin), withoutAdmin, workers, cancellationToken);

    /// <summary>
    /// The layers read, transformed into <paramref name="imageCrs"/> and indexed: all of the overlay that does not
    /// depend on the patches, so that a run can prepare it while the patches are still being traced.
    /// </summary>
    /// <exception cref="ChangeDetectionException">A layer file cannot be read or its CRS cannot be transformed, or two layers share a name.</exception>
    public static PreparedOverlay Prepare(Crs imageCrs, IReadOnlyList<LayerSpec> layers, AdminSpec? admin)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(imageCrs);
        var loaded = layers.Select(s => new LoadedLayer(s, PolygonLayerReader.Read(s.Path, imageCrs, s.Table, s.Epsg))).ToArray();
        var adminLayer = admin is null ? null : PolygonLayerReader.Read(admin.Path, imageCrs, admin.Table, admin.Epsg);
        return Prepare(imageCrs, loaded, admin is null ? null : (admin, adminLayer!));
    }

    /// <summary>As <see cref="Prepare(Crs, IReadOnlyList{LayerSpec}, AdminSpec?)"/>, on layers already in memory (transformed here when in another CRS).</summary>
    public static PreparedOverlay Prepare(Crs imageCrs, IReadOnlyList<LoadedLayer> layers, (AdminSpec Spec, PolygonLayer Layer)? admin)
    {
        ArgumentNullException.ThrowIfNull(imageCrs);
        ArgumentNullException.ThrowIfNull(layers);
        var duplicate = layers.GroupBy(l => l.Spec.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ChangeDetectionException($"Two layers are named '{duplicate.Key}': layer names must be unique.");
        foreach (var l in layers) _ = l.Spec.TaskField; // a custom kind without a field fails here, before any work

        var warnings = new List<string>();
        var indexes = new List<(LayerKey Key, OverlapIndex Index)>();
        foreach (var l in layers)
        {
            warnings.AddRange(l.Layer.Warnings);
            indexes.Add((l.Spec.Key, new OverlapIndex(l.Layer.TransformTo(imageCrs), imageCrs)));
        }
        AdminAttribution? attribution = null;
        if (admin is { } a)
        {
            warnings.AddRange(a.Layer.Warnings);
            attribution = new AdminAttribution(a.Layer.TransformTo(imageCrs), a.Spec, imageCrs, warnings);
        }
        return new PreparedOverlay(layers.Select(l => l.Spec).ToArray(), indexes, attribution, warnings);
    }

    /// <summary>The overlay proper, on layers already in memory (transformed here when in another CRS).</summary>
    /// <remarks>Patches are overlaid in parallel (<paramref name="workers"/>, null: all cores), the largest first; each patch's result is its own.</remarks>
    public static OverlayResult Compute(IReadOnlyList<Geometry> patchesInImageCrs, Crs imageCrs, IReadOnlyList<LoadedLayer> layers, (AdminSpec Spec, PolygonLayer Layer)? admin,
        AdminDivision? withoutAdmin = null, int? workers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patchesInImageCrs);
        return Compute(patchesInImageCrs, Prepare(imageCrs, layers, admin), withoutAdmin, workers, cancellationToken);
    }

    /// <summary>The overlay of <paramref name="patchesInImageCrs"/> on <paramref name="prepared"/> layers (see <see cref="Compute(IReadOnlyList{Geometry}, Crs, IReadOnlyList{LoadedLayer}, ValueTuple{AdminSpec, PolygonLayer}?, AdminDivision?, int?, CancellationToken)"/>).</summary>
    public static OverlayResult Compute(IReadOnlyList<Geometry> patchesInImageCrs, PreparedOverlay prepared, AdminDivision? withoutAdmin = null, int? workers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patchesInImageCrs);
        ArgumentNullException.ThrowIfNull(prepared);
        var (indexes, attribution) = (prepared.Indexes, prepared.Attribution);
        var results = new PatchOverlay[patchesInImageCrs.Count];
        LargestFirst.For(results.Length, p => patchesInImageCrs[p].NumPoints, workers ?? Environment.ProcessorCount, p =>
        {
            var patch = patchesInImageCrs[p];
            var overlaps = new Dictionary<LayerKey, double>(indexes.Count);
            foreach (var (key, index) in indexes) overlaps[key] = index.OverlapSquareMetres(patch);
            var patchWarnings = new List<string>();
            var division = attribution is null ? withoutAdmin ?? AdminDivision.Unknown : AdminDivision.Unknown;
            if (attribution is not null)
            {
                if (attribution.Attribute(patch) is AdminDivision d) division = d;
                else patchWarnings.Add($"patch {p + 1} lies outside every administrative division; code {AdminDivision.UnknownCode} ({AdminDivision.UnknownName}).");
            }
            results[p] = new PatchOverlay(overlaps, division, patchWarnings);
        }, cancellationToken);
        return new OverlayResult(results, prepared.Layers, prepared.Warnings);
    }
}

/// <summary>
/// The layers of an overlay read and indexed (<see cref="OverlayStage.Prepare(Crs, IReadOnlyList{LayerSpec}, AdminSpec?)"/>), read-only
/// from then on: the specs in order, an overlap index per layer, the division index, and the layers' warnings.
/// </summary>
internal sealed record PreparedOverlay(IReadOnlyList<LayerSpec> Layers, IReadOnlyList<(LayerKey Key, OverlapIndex Index)> Indexes, AdminAttribution? Attribution,
    IReadOnlyList<string> Warnings);
