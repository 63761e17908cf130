using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ChangeDetection.Export;
using ChangeDetection.IO;
using ChangeDetection.Raster;

namespace ChangeDetection.Pipeline;

/// <summary>
/// <c>run.json</c>: what a region run was given and what it found, read and written only here
/// (System.Text.Json source generation, snake_case keys). <c>cdx export</c> re-delivers a run from it
/// and the run's <see cref="RunTasks"/>, so every setting that shapes a province package is recorded.
/// While a run writes the folder the record is <see cref="Running"/> (with <see cref="Previous"/>, the
/// record of the complete set the folder still holds); at the end it is <see cref="Complete"/>.
/// </summary>
public sealed record RunRecord
{
    /// <summary>The record's file name in the output folder.</summary>
    public const string FileName = "run.json";
    /// <summary><see cref="Status"/> of a record written at the start of a run.</summary>
    public const string Running = "running";
    /// <summary><see cref="Status"/> of the record of a delivered set.</summary>
    public const string Complete = "complete";

    /// <summary><see cref="Running"/> or <see cref="Complete"/>.</summary>
    public required string Status { get; init; }
    public IReadOnlyList<string>? Warnings { get; init; }
    public string Tool { get; init; } = "cdx";
    /// <summary>The cdx version (assembly informational version) that wrote the record.</summary>
    public required string Version { get; init; }
    /// <summary>Start time of a running record, ISO 8601 UTC.</summary>
    public string? StartedUtc { get; init; }
    /// <summary>End time of a complete record, ISO 8601 UTC.</summary>
    public string? FinishedUtc { get; init; }
    public int? ProcessId { get; init; }
    public required RunRegion Region { get; init; }
    /// <summary>The acquisition dates of the two images.</summary>
    public RunDates? Dates { get; init; }
    public required RunConfigFile Config { get; init; }
    /// <summary>The ledger's key (the raster inputs and detection settings); also the packages' run ID.</summary>
    public string? Fingerprint { get; init; }
    public IReadOnlyList<RunInput>? Inputs { get; init; }
    public required RunParameters Parameters { get; init; }
    /// <summary>The global threshold, in score units.</summary>
    public float? Threshold { get; init; }
    public RunCounts? Counts { get; init; }
    /// <summary>Seconds per stage, and <c>total</c>.</summary>
    [JsonPropertyName("timings_s")]
    public IReadOnlyDictionary<string, double>? Timings { get; init; }
    public RunGrid? Grid { get; init; }
    /// <summary>In a running record: the complete record of the set still in the folder, kept verbatim (null when none).</summary>
    public JsonObject? Previous { get; init; }

    /// <summary>The input file of <paramref name="role"/> (<c>before</c>, <c>after</c>, <c>model</c>, …), or null.</summary>
    public RunInput? Input(string role) => Inputs?.FirstOrDefault(i => i.Role == role);

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="ChangeDetectionException">Missing, not JSON, or not a run record: one line naming the file.</exception>
    public static RunRecord Read(string path)
    {
        if (!File.Exists(path))
            throw new ChangeDetectionException($"{Path.GetDirectoryName(path)}: no {FileName} here; export needs the output folder of a finished 'cdx run'.");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), RunRecordJson.Default.RunRecord)
                ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new ChangeDetectionException($"{path}: not a run record of cdx ({e.Message.TrimEnd('.')}); run the region again with 'cdx run'.", e);
        }
    }

    /// <summary>
    /// The record of the set the folder of <paramref name="path"/> holds: the complete record, or for a run that stopped
    /// before it swapped its set in, the record of the previous set it kept. <paramref name="then"/> names what the user
    /// does after re-running (<c>export</c>, <c>review</c>) in the error.
    /// </summary>
    /// <exception cref="ChangeDetectionException">The run did not finish and no earlier complete run is there.</exception>
    public static RunRecord ReadDelivered(string path, string then)
    {
        var record = Read(path);
        return record.Status == Complete ? record : record.PreviousRecord() ?? throw new ChangeDetectionException(
            $"{path}: the run did not finish and the folder holds no earlier complete run; run the region with 'cdx run' (it resumes), then {then}.");
    }

    /// <summary>How the run read its images: with the band numbers it recorded.</summary>
    /// <exception cref="ChangeDetectionException">A recorded band name that is not a band.</exception>
    public ScenePairOptions PairOptions() => new()
    {
        BandNumbers = Parameters.BandNumbers?.ToDictionary(b => SpectralBands.Parse(b.Key) ?? throw new ChangeDetectionException($"{FileName}: band '{b.Key}' is not a band name."), b => b.Value),
    };

    /// <summary>The record of the set a running record says the folder still holds, or null (none, or unreadable).</summary>
    public RunRecord? PreviousRecord()
    {
        try
        {
            return Previous?.Deserialize(RunRecordJson.Default.RunRecord);
        }
        catch (JsonException)
        {
            return null; // an odd previous record describes nothing usable
        }
    }

    /// <summary>Reads the previous record of <paramref name="path"/> to keep it under <see cref="Previous"/>: the complete one, or the one it kept.</summary>
    internal static JsonObject? PreviousOf(string path)
    {
        try
        {
            if (File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject old)
                return old["status"]?.GetValue<string>() == Complete ? old : old["previous"]?.DeepClone() as JsonObject;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // An unreadable record (or a "status" that is not text) describes nothing: there is no previous set to point to.
        }
        return null;
    }

    /// <summary>Writes the record to <paramref name="path"/> (temporary name, then rename).</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>The record as run.json holds it (indented, CJK unescaped).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RunRecordJson.Readable.RunRecord);
}

/// <summary>The monitoring region and quarter of a run.</summary>
public sealed record RunRegion(string Code, string Name, string Quarter);

/// <summary>The acquisition dates of the before and after images.</summary>
public sealed record RunDates(DateOnly Before, DateOnly After);

/// <summary>The region config a run was started from (path and SHA-256 of its bytes, lower-case hex).</summary>
public sealed record RunConfigFile(string Path, string Sha256);

/// <summary>An input file as the run saw it: enough to notice a replaced or edited file.</summary>
/// <param name="Role"><c>config</c>, <c>before</c>, <c>after</c>, <c>layer:NAME</c>, <c>admin</c>, <c>model</c> or <c>pixel-model</c>.</param>
/// <param name="Path">Absolute path.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="ModifiedUtc">Last write time, ISO 8601 UTC.</param>
/// <param name="Sha256">Content hash (lower-case hex); recorded for the classifier and pixel models.</param>
public sealed record RunInput(string Role, string Path, long Size, string ModifiedUtc, string? Sha256 = null);

/// <summary>
/// The settings of a run: detection, classification and delivery. In a running record only those known
/// before any raster work are set. Sizes in pixels, radii in pixels.
/// </summary>
public sealed record RunParameters
{
    public required int TileSize { get; init; }
    public int? Workers { get; init; }
    public string? ThresholdRule { get; init; }
    public int? OpenRadius { get; init; }
    public int? CloseRadius { get; init; }
    public int? SmoothRadius { get; init; }
    /// <summary>The bands both images were read with, by name.</summary>
    public IReadOnlyList<string>? Bands { get; init; }
    /// <summary>The config's band numbers by band name (<c>bands</c>), or null when identified from the files.</summary>
    public IReadOnlyDictionary<string, int>? BandNumbers { get; init; }
    public bool? AfterResampled { get; init; }
    public RunRegistration? Registration { get; init; }
    public bool? RegistrationApplied { get; init; }
    /// <summary>The classifier model's path; null without a classifier (its hash is under <see cref="ModelSha256"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Model { get; init; }
    /// <summary>SHA-256 of the classifier model file (lower-case hex): which model it was, wherever it lies.</summary>
    public string? ModelSha256 { get; init; }
    public double? PseudoConfidence { get; init; }
    /// <summary>The learned pixel model's path when its probability decided the mask; null when the detector's threshold did.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? PixelModel { get; init; }
    /// <summary>SHA-256 of the pixel model file (lower-case hex); the run ledger is keyed on it.</summary>
    public string? PixelModelSha256 { get; init; }
    /// <summary>The pixel model's calibrated-probability threshold (change above it), from its training.</summary>
    public double? PixelThreshold { get; init; }
    /// <summary>The packages' delivery CRS setting (<see cref="DeliveryCrs.ToString"/>).</summary>
    public string? DeliveryCrs { get; init; }
    /// <summary>The Shapefiles' text encoding: <c>utf-8</c> or <c>gbk</c>.</summary>
    public string? ShapefileEncoding { get; init; }
    /// <summary>The overlay layers checked (name, kind, task field), as the package manifests list them.</summary>
    public IReadOnlyList<ManifestLayer>? Layers { get; init; }
}

/// <summary>The after image's co-registration shift in pixels of the pair grid, as estimated.</summary>
public sealed record RunRegistration(double Dx, double Dy, string Status, int Windows, int Confident, int Agreeing, string Reason);

/// <summary>What a run found: tiles, pixels, patches and tasks.</summary>
public sealed record RunCounts(int Tiles, int TilesResumed, long ValidPixels, long ChangedPixels, int Patches, int PseudoPatches, int Tasks, IReadOnlyDictionary<string, int> TasksByProvince);

/// <summary>The pair grid: size in pixels, EPSG code (null when none) and GDAL geotransform.</summary>
public sealed record RunGrid(int Width, int Height, int? Epsg, IReadOnlyList<double> Geotransform);

/// <summary>The Shapefile encoding words of run.json and <c>--encoding</c>.</summary>
public static class ShapefileEncodings
{
    /// <summary>The word for <paramref name="encoding"/>.</summary>
    public static string Name(DbfEncoding encoding) => encoding == DbfEncoding.Gbk ? "gbk" : "utf-8";

    /// <summary>The encoding of a word (case-insensitive; <c>utf8</c>, <c>gb2312</c> and <c>cp936</c> too), or null.</summary>
    public static DbfEncoding? Parse(string? text) => text?.ToLowerInvariant() switch
    {
        "utf-8" or "utf8" => DbfEncoding.Utf8,
        "gbk" or "gb2312" or "cp936" => DbfEncoding.Gbk,
        _ => null,
    };
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RunRecord))]
internal sealed partial class RunRecordJson : JsonSerializerContext
{
    /// <summary>The context with CJK kept readable (what run.json has always been written with).</summary>
    public static RunRecordJson Readable { get; } = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
