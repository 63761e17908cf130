using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Overlay;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tasks;
using ChangeDetection.Vectorization;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace ChangeDetection.Synthetic;

/// <summary>A detected patch of a synthetic region with its features and its truth label.</summary>
public sealed record SyntheticPatchSample(long Seed, int PatchId, double AreaM2, float[] Features, string Label)
{
    public LabelledFeatures ToLabelled() => new(Features, Label);
}

/// <summary>Options for <see cref="SyntheticTrainingData.Build"/>.</summary>
public sealed record SyntheticTrainingOptions
{
    /// <summary>Edge of the synthetic region in pixels.</summary>
    public int Size { get; init; } = 1536;
    public int TileSize { get; init; } = 512;
    /// <summary>Minimum mapping unit of the detected patches.</summary>
    public double MinAreaM2 { get; init; } = 200;
    /// <summary>A patch takes the kind of the truth polygon covering most of it when that covers at least this share of it; else it is pseudo.</summary>
    public double MinTruthOverlap { get; init; } = 0.1;
    public int Workers { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Labelled patches from synthetic regions: generate a region, detect changes, build patches, compute
/// their features, and label each with the truth <c>kind</c> covering most of it (pseudo when no truth
/// polygon covers enough of it).
/// </summary>
public static class SyntheticTrainingData
{
    /// <summary>Generates the region of <paramref name="seed"/> in <paramref name="directory"/> and returns its labelled patches.</summary>
    public static IReadOnlyList<SyntheticPatchSample> Build(string directory, long seed, SyntheticTrainingOptions? options = null)
    {
        options ??= new SyntheticTrainingOptions();
        var summary = SyntheticRegion.Generate(directory, new SyntheticRegionOptions { Size = options.Size, Seed = seed, Workers = options.Workers });
        using var pair = ScenePair.Open(summary.BeforeImage, summary.AfterImage);
        string maskPath = Path.Combine(summary.Directory, "mask.tif");
        var detection = ChangeDetector.Detect(pair, maskPath, new ChangeDetectionOptions { TileSize = options.TileSize, Workers = options.Workers });
        IReadOnlyList<Patch> patches;
        PixelOwners owners;
        using (var reader = GeoTiffReader.Open(maskPath))
        {
            var polygonized = MaskPolygonizer.PolygonizeWithOwners(new GeoTiffMaskSource(reader), PatchFeatures.Probes(detection.Pieces),
                new PolygonizeOptions { MaxDegreeOfParallelism = options.Workers });
            patches = PatchBuilder.Build(polygonized.Components, pair.Grid, new PatchOptions { MinAreaM2 = options.MinAreaM2 }, options.Workers);
            owners = polygonized.Owners;
        }
        var truth = ReadTruth(summary.TruthFile);
        var features = PatchFeatures.ForPatches(patches, detection.Pieces, owners, detection.Threshold);
        return patches.Select((p, k) => new SyntheticPatchSample(seed, p.Id, p.AreaM2, features[k], Label(p.MapGeometry, truth, options.MinTruthOverlap))).ToList();
    }

    /// <summary>Truth polygons (image CRS) with their kind.</summary>
    internal static STRtree<(Geometry Geometry, string Kind)> ReadTruth(string path)
    {
        var tree = new STRtree<(Geometry, string)>();
        foreach (var f in GeoJsonLayer.Read(path))
        {
            if (f.Geometry is null || f.Geometry.IsEmpty) continue;
            string kind = f.Attributes?.Exists("kind") == true ? f.Attributes["kind"]?.ToString() ?? "" : "";
            if (kind.Length == 0) continue;
            tree.Insert(f.Geometry.EnvelopeInternal, (f.Geometry, kind));
        }
        tree.Build();
        return tree;
    }

    /// <summary>The kind of the truth polygon with the largest overlap, if it covers at least <paramref name="minOverlap"/> of the patch; else pseudo.</summary>
    internal static string Label(Geometry patch, STRtree<(Geometry Geometry, string Kind)> truth, double minOverlap)
    {
        double area = patch.Area, best = 0;
        string label = ChangeClasses.Pseudo.Code;
        foreach (var (g, kind) in truth.Query(patch.EnvelopeInternal))
        {
            double overlap;
            try { overlap = patch.Intersection(g).Area; }
            catch (TopologyException) { overlap = patch.Buffer(0).Intersection(g.Buffer(0)).Area; }
            if (overlap > best) { best = overlap; label = kind; }
        }
        return area > 0 && best / area >= minOverlap ? label : ChangeClasses.Pseudo.Code;
    }
}
