using ChangeDetection.Classification;
using ChangeDetection.Geo;
using ChangeDetection.Overlay;
using ChangeDetection.Raster;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace ChangeDetection.Pipeline;

/// <summary>What <see cref="RegionRun.Check"/> found: the grid a run will use and the warnings it will report.</summary>
/// <param name="Grid">The pair's grid (size in pixels, transform, CRS).</param>
/// <param name="Bands">The bands matched in both images.</param>
/// <param name="AfterResampled">True when the after image is resampled onto the before grid.</param>
/// <param name="Warnings">Problems that do not stop a run (a layer outside the image, no admin layer); they go to the run output and run.json.</param>
public sealed record RegionCheckResult(GeoGrid Grid, IReadOnlyList<SpectralBand> Bands, bool AfterResampled, IReadOnlyList<string> Warnings);

/// <summary>The check of everything a run will use, made before any raster work (cdx validate, run, enqueue and the jobs).</summary>
public sealed partial class RegionRun
{
    /// <summary>
    /// Opens and checks everything this run will use, without raster work: the classifier model, the
    /// pixel model (it loads, the pair has its bands), the image pair (georeferencing, CRS, overlap, bands), every layer file (it parses, its CRS is usable
    /// and transforms to the image's) and the admin layer with its code and name fields. The config
    /// itself was checked when it was read (<see cref="RegionConfig.Load"/>), the detection settings when
    /// this run was made. <c>cdx validate</c>, <c>cdx enqueue</c> and the start of every run call this.
    /// </summary>
    /// <exception cref="ConfigException">Anything that would stop the run; the message names the file or key.</exception>
    public RegionCheckResult Check()
    {
        try
        {
            var warnings = new List<string>();
            if (ModelPath is string model) PatchClassifier.Check(model);
            using var pair = ScenePair.Open(Config.Before.Path, Config.After.Path, new ScenePairOptions { BandNumbers = Config.Bands });
            CheckPixelModel(pair, warnings);
            var footprint = PreparedGeometryFactory.Prepare(Footprint(pair.Grid));
            foreach (var spec in LayerSpecs())
                CheckFootprint(PolygonLayerReader.Read(spec.Path, pair.Grid.Crs, spec.Table, spec.Epsg), $"layer '{spec.Name}'", footprint, warnings);
            if (AdminSpecOrNull() is { } admin)
            {
                var layer = PolygonLayerReader.Read(admin.Path, pair.Grid.Crs, admin.Table, admin.Epsg);
                CheckAdminFields(layer, admin);
                CheckFootprint(layer, "the admin layer", footprint, warnings);
            }
            else
            {
                warnings.Add($"{Config.FilePath}: no \"admin\" layer, so every task gets the region's code {RegionDivision.Code} ({RegionDivision.Name}) as XZQDM and province {RegionDivision.Province}; add an admin layer when the image crosses county borders.");
            }
            return new RegionCheckResult(pair.Grid, pair.Bands, pair.AfterResampled, warnings);
        }
        catch (ChangeDetectionException e) when (e is not ConfigException)
        {
            // Whatever the readers found wrong here is the config's to fix: a retry cannot help.
            throw new ConfigException(e.Message, e);
        }
    }

    /// <summary>
    /// The options of the pair the pixel model reads: the config's band numbers and its band files
    /// (<see cref="RegionConfig.ExtraBands"/>), which only the pixel model reads.
    /// </summary>
    internal ScenePairOptions PixelPairOptions => new() { BandNumbers = Config.Bands, ExtraBands = Config.ExtraBands };

    /// <summary>
    /// The pixel model loads, and the pair with the config's band files has every band it was trained on (the band files
    /// are opened here, so a file off the pair's CRS or not georeferenced is found before any raster work). Band files
    /// with no pixel model to read them are a warning: they change nothing.
    /// </summary>
    private void CheckPixelModel(ScenePair imagePair, List<string> warnings)
    {
        if (LoadedPixelModel() is not { } model)
        {
            if (Config.ExtraBands.Count > 0)
                warnings.Add($"{Config.FilePath}: \"beforeBands\" and \"afterBands\" are read by a pixel model only, and this run has none, so they are not read.");
            return;
        }
        using var withFiles = Config.ExtraBands.Count > 0 ? ScenePair.Open(Config.Before.Path, Config.After.Path, PixelPairOptions) : null;
        var pair = withFiles ?? imagePair;
        var missing = model.Bands.Where(b => !pair.Bands.Contains(b)).ToList();
        if (missing.Count == 0) return;
        static string Names(IEnumerable<SpectralBand> bands) => string.Join(",", bands.Select(b => b.Name()));
        string setting = Options.PixelModel is null ? $"{Config.FilePath}: \"pixelModel\"" : "--pixel-model";
        string files = withFiles is null ? "" : " with the band files of \"beforeBands\" and \"afterBands\"";
        throw new ConfigException(
            $"{setting} {PixelModelPath} needs the bands {Names(model.Bands)}, and {Config.Before.Path} and {Config.After.Path}{files} share only {Names(pair.Bands)} (missing {Names(missing)}); give their numbers in \"bands\", their files in \"beforeBands\" and \"afterBands\" (Sentinel-2 band files named as ESA names them), a pixel model trained on this sensor's bands, or \"pixelModel\": \"none\".");
    }

    /// <summary>The protected layers of the config, as the overlay reads them.</summary>
    private IReadOnlyList<LayerSpec> LayerSpecs() =>
        Config.Layers.Select(l => new LayerSpec(l.Name, l.Kind, l.Path) { Field = l.Field, Epsg = l.Epsg }).ToList();

    /// <summary>The admin layer of the config, or null.</summary>
    private AdminSpec? AdminSpecOrNull() =>
        Config.Admin is { } a ? new AdminSpec(a.Path, a.CodeField, a.NameField) { Epsg = a.Epsg } : null;

    /// <summary>The division every task gets when the config has no admin layer: the region itself.</summary>
    private AdminDivision RegionDivision => new(Config.RegionCode, Config.RegionName);

    /// <summary>The image's outline in map coordinates (the grid's four corners).</summary>
    private static Polygon Footprint(GeoGrid grid)
    {
        var t = grid.Transform;
        var corners = new[] { t.PixelToMap(0, 0), t.PixelToMap(grid.Width, 0), t.PixelToMap(grid.Width, grid.Height), t.PixelToMap(0, grid.Height), t.PixelToMap(0, 0) };
        return Geometry.DefaultFactory.CreatePolygon(corners.Select(c => new Coordinate(c.X, c.Y)).ToArray());
    }

    /// <summary>A layer that touches no part of the image adds nothing to any task: most likely a wrong file or CRS, so say so.</summary>
    private static void CheckFootprint(PolygonLayer layerInImageCrs, string what, IPreparedGeometry footprint, List<string> warnings)
    {
        if (layerInImageCrs.Features.Any(f => footprint.Intersects(f.Geometry))) return;
        warnings.Add(layerInImageCrs.Features.Count == 0
            ? $"{layerInImageCrs.SourcePath}: {what} has no polygons, so it overlaps no patch."
            : $"{layerInImageCrs.SourcePath}: {what} lies entirely outside the image footprint, so it overlaps no patch; check that it is the right file and CRS.");
    }

    /// <summary>A code or name field the admin layer does not have would give every task code 000000 (未知).</summary>
    private void CheckAdminFields(PolygonLayer layer, AdminSpec admin)
    {
        var fields = layer.Features.SelectMany(f => f.Attributes.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, field) in new[] { ("admin.codeField", admin.CodeField), ("admin.nameField", admin.NameField) })
        {
            if (fields.Contains(field)) continue;
            throw new ConfigException(layer.Features.Count == 0
                ? $"{Config.FilePath}: \"admin.path\" {admin.Path} has no polygons; give the county layer of the region."
                : $"{Config.FilePath}: \"{key}\" is '{field}', but {admin.Path} has no such field (it has: {string.Join(", ", fields.Order(StringComparer.Ordinal))}); name one of its fields.");
        }
    }
}
