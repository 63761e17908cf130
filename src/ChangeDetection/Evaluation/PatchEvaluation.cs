using ChangeDetection.Overlay;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace ChangeDetection.Evaluation;

/// <summary>
/// Object-level scores of monitoring patches against reference polygons (e.g. a synthetic
/// region's truth.geojson): a reference change is found when patches cover at least half of its
/// area; a patch is correct when it overlaps a reference change. Pseudo-changes (kind
/// <c>pseudo</c>) are not changes: a patch on one counts against precision.
/// </summary>
public sealed record ObjectScore(int Changes, int Found, int Patches, int PatchesOnChanges, int PatchesOnPseudo)
{
    public double Recall => Changes == 0 ? 0 : (double)Found / Changes;
    public double Precision => Patches == 0 ? 0 : (double)PatchesOnChanges / Patches;
    /// <summary>
    /// Share of patches that lie on an injected feature, change or look-alike: what differencing
    /// alone can be held to. Telling look-alikes from changes is the patch classifier's job.
    /// </summary>
    public double PrecisionOnInjected => Patches == 0 ? 0 : (double)(PatchesOnChanges + PatchesOnPseudo) / Patches;
}

public static class PatchEvaluation
{
    public const string PseudoKind = "pseudo";

    /// <summary>Scores <paramref name="patches"/> (map coordinates) against a truth GeoJSON in the same CRS with a <c>kind</c> property.</summary>
    public static ObjectScore Score(IReadOnlyList<Geometry> patches, string truthGeoJson)
    {
        var truth = GeoJsonLayer.Read(truthGeoJson)
            .Select(f => (Geometry: f.Geometry, Kind: f.Attributes.Exists("kind") ? f.Attributes["kind"]?.ToString() ?? "" : ""))
            .ToList();
        return Score(patches, truth);
    }

    public static ObjectScore Score(IReadOnlyList<Geometry> patches, IReadOnlyList<(Geometry Geometry, string Kind)> truth)
    {
        var index = new STRtree<Geometry>();
        foreach (var p in patches) index.Insert(p.EnvelopeInternal, p);
        index.Build();

        int changes = 0, found = 0;
        foreach (var (g, kind) in truth.Where(t => t.Kind != PseudoKind))
        {
            changes++;
            double covered = index.Query(g.EnvelopeInternal).Sum(p => p.Intersection(g).Area);
            if (covered >= 0.5 * g.Area) found++;
        }

        int onChanges = 0, onPseudo = 0;
        foreach (var p in patches)
        {
            bool change = false, pseudo = false;
            foreach (var (g, kind) in truth)
            {
                if (!p.EnvelopeInternal.Intersects(g.EnvelopeInternal) || !p.Intersects(g)) continue;
                if (kind == PseudoKind) pseudo = true; else change = true;
            }
            if (change) onChanges++;
            else if (pseudo) onPseudo++;
        }
        return new ObjectScore(changes, found, patches.Count, onChanges, onPseudo);
    }
}
