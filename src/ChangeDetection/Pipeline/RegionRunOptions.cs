using ChangeDetection.Classification;
using ChangeDetection.Export;

namespace ChangeDetection.Pipeline;

/// <summary>Options of a region run that are not in the config (host choices). Sizes in pixels.</summary>
public sealed record RegionRunOptions
{
    /// <summary>Output folder; overrides the config's <c>output</c>.</summary>
    public string? Output { get; init; }
    /// <summary>Tile edge in pixels; overrides the config's <c>detection.tileSize</c>.</summary>
    public int? TileSize { get; init; }
    public int Workers { get; init; } = Environment.ProcessorCount;
    /// <summary>Keep the change mask (mask.tif) in the output folder.</summary>
    public bool WriteMask { get; init; }
    /// <summary>Discard a ledger written by a different run and start over.</summary>
    public bool Force { get; init; }
    /// <summary>Resume when the ledger belongs to this same run, start over silently when it does not (the demo's choice).</summary>
    public bool RestartIfChanged { get; init; }
    /// <summary>The patch classifier model; overrides the config's <c>model</c>; <see cref="PatchClassifier.NoModel"/> (<c>none</c>): no classifier.</summary>
    public string? Model { get; init; }
    /// <summary>
    /// A patch classified pseudo-change with at least this confidence produces no task (it stays in the
    /// patch layer); overrides the config's <c>pseudoConfidence</c>; null: that, else <see cref="RegionRun.DefaultPseudoConfidence"/>.
    /// </summary>
    public double? PseudoConfidence { get; init; }
    /// <summary>DBF encoding of the exported Shapefiles (UTF-8; GBK for older desktop GIS).</summary>
    public DbfEncoding ShapefileEncoding { get; init; } = DbfEncoding.Utf8;
    /// <summary>The packages' delivery CRS; overrides the config's <c>deliveryCrs</c>; null: that, else <see cref="DeliveryCrs.Default"/>.</summary>
    public DeliveryCrs? DeliveryCrs { get; init; }
    /// <summary>Export only this province (two-digit code); null: every province.</summary>
    public string? Province { get; init; }
    /// <summary>
    /// The learned pixel model (<c>cdx train --pixel-model</c>) whose probability decides the mask; overrides the config's
    /// <c>pixelModel</c>; <see cref="RegionConfig.PixelModelNone"/> (<c>none</c>): the detector's threshold decides.
    /// </summary>
    public string? PixelModel { get; init; }
}

/// <summary>The outcome of a region run: where things are and the figures of run.json.</summary>
public sealed record RegionRunResult(string OutputFolder, string RunJson, float Threshold, long ValidPixels, long ChangedPixels, int Tiles, int TilesResumed, string? MaskPath)
{
    /// <summary>Monitoring patches (图斑) delivered (above the minimum mapping unit).</summary>
    public int Patches { get; init; }
    /// <summary>Patches the classifier called pseudo-change with enough confidence: in the patch layer, not tasks.</summary>
    public int PseudoPatches { get; init; }
    /// <summary>Verification tasks (核查任务) by province code.</summary>
    public IReadOnlyDictionary<string, int> TasksByProvince { get; init; } = new Dictionary<string, int>();
    /// <summary>Warnings of the overlay (repaired layer polygons, patches outside every division).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The deliverables written (absolute paths).</summary>
    public IReadOnlyList<string> Outputs { get; init; } = [];

    /// <summary>The pixel model whose probability decided the mask, or null when the detector's <see cref="Threshold"/> did.</summary>
    public string? PixelModel { get; init; }

    /// <summary>The pixel model's probability threshold (change above it); null without a pixel model.</summary>
    public double? PixelThreshold { get; init; }
}
