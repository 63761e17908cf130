using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Raster;

namespace ChangeDetection.Pipeline;

/// <summary>
/// What a region run is keyed by and what it records about its inputs, read from the files before any raster work:
/// the ledger key (<see cref="Raster"/>), the config's and the models' SHA-256 and every input file as the run saw it.
/// Hashes are lower-case hex.
/// </summary>
/// <param name="Raster">The key of the run ledger (<see cref="RasterKey"/>).</param>
/// <param name="ConfigSha256">SHA-256 of the region config's bytes.</param>
/// <param name="ModelSha256">SHA-256 of the classifier model, or null without one.</param>
/// <param name="PixelModelSha256">SHA-256 of the pixel model, or null when the detector's threshold decides the mask.</param>
/// <param name="Inputs">Every input file (config, images, layers, admin, models) with size and modification time, for run.json.</param>
internal sealed record RunFingerprint(string Raster, string ConfigSha256, string? ModelSha256, string? PixelModelSha256, IReadOnlyList<RunInput> Inputs)
{
    /// <summary>The fingerprint of a run of <paramref name="config"/> with these detection settings and models (null: none).</summary>
    public static RunFingerprint Of(RegionConfig config, ChangeDetectionOptions detection, string? modelPath, string? pixelModelPath)
    {
        string? modelSha = modelPath is string m ? Sha256(m) : null;
        string? pixelSha = pixelModelPath is string pm ? Sha256(pm) : null;
        return new RunFingerprint(RasterKey(config, detection, pixelSha), Sha256(config.FilePath), modelSha, pixelSha,
            InputRecords(config, modelPath, modelSha, pixelModelPath, pixelSha));
    }

    /// <summary>
    /// The key of the ledger alone (<see cref="RasterKey"/>), for the fan-out's steps, which record nothing in run.json.
    /// </summary>
    public static string RasterOf(RegionConfig config, ChangeDetectionOptions detection, string? pixelModelPath) =>
        RasterKey(config, detection, pixelModelPath is string pm ? Sha256(pm) : null);

    /// <summary>
    /// The key of the ledger: only what its raster work (detection model, histogram, mask tiles, their
    /// feature sums) depends on — the two images, the bands, the detection parameters with the tile grid,
    /// the feature schema and the pixel model's SHA-256 with the band files it reads (<see cref="RegionConfig.ExtraBands"/>),
    /// when one decides the mask. A changed layer, admin layer, classifier model, minimum mapping unit or
    /// export setting is not in it: the next run resumes every mask tile and re-does only the vector stages.
    /// </summary>
    private static string RasterKey(RegionConfig config, ChangeDetectionOptions detection, string? pixelModelSha256)
    {
        var text = new StringBuilder();
        foreach (var (role, path) in new[] { ("before", config.Before.Path), ("after", config.After.Path) })
        {
            var file = new FileInfo(path);
            text.Append(role).Append('=').Append(path).Append('|').Append(file.Length).Append('|').Append(file.LastWriteTimeUtc.Ticks).Append('\n');
        }
        if (config.Bands is { } bands)
            text.Append("bands=").AppendJoin(',', bands.OrderBy(b => b.Key).Select(b => $"{b.Key.Name()}:{b.Value}")).Append('\n');
        // Every detection parameter, present and future, but not the worker count (which never changes a result).
        text.Append("detection=").Append(DetectionText(detection)).Append('\n');
        // The ledger keeps per-tile feature sums: another feature schema cannot resume from it.
        text.Append("features=").Append(PatchFeatures.SchemaVersion).Append('\n');
        // The detector's decision rules change what a tile's scores and mask are: a ledger of older rules cannot resume.
        text.Append("detector=").Append(ChangeDetector.RulesVersion).Append('\n');
        // The bytes, not the path: a retrained model under the same name decides other masks. Absent without a
        // pixel model, so the ledgers of runs without one keep their key.
        if (pixelModelSha256 is string pixel) text.Append("pixelModel=").Append(pixel).Append('\n');
        // The band files feed the pixel model alone: other files (or none) decide other masks; without a pixel model
        // they are not read and do not key the ledger, so a run with the detector's threshold keeps its key.
        if (pixelModelSha256 is not null)
            foreach (var band in config.ExtraBands)
                foreach (var (role, path) in new[] { ("before", band.Before), ("after", band.After) })
                {
                    var file = new FileInfo(path);
                    text.Append("band:").Append(band.Band.Name()).Append(':').Append(role).Append('=').Append(path).Append('|')
                        .Append(file.Length).Append('|').Append(file.LastWriteTimeUtc.Ticks).Append('\n');
                }
        return Sha256(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>
    /// The detection settings as the ledger key spells them: their JSON with one worker. Written by the source-generated
    /// <see cref="DetectionOptionsJson"/>, the same text as the reflection serializer's (a test holds them equal, so old
    /// ledgers keep their key) without building the reflection metadata on the start of every run (~0.1 s of JIT).
    /// </summary>
    internal static string DetectionText(ChangeDetectionOptions detection) =>
        JsonSerializer.Serialize(detection with { Workers = 1 }, DetectionOptionsJson.Default.ChangeDetectionOptions);

    /// <summary>Inputs as (role, path, size, mtime), with the models' hashes: enough to notice a replaced or edited file.</summary>
    private static List<RunInput> InputRecords(RegionConfig config, string? modelPath, string? modelSha256, string? pixelModelPath, string? pixelModelSha256)
    {
        var files = new List<(string Role, string Path, string? Sha256)> { ("config", config.FilePath, null), ("before", config.Before.Path, null), ("after", config.After.Path, null) };
        files.AddRange(config.Layers.Select(l => ($"layer:{l.Name}", l.Path, (string?)null)));
        if (config.Admin is { } a) files.Add(("admin", a.Path, null));
        if (modelPath is string m) files.Add(("model", m, modelSha256));
        if (pixelModelPath is string pm) files.Add(("pixel-model", pm, pixelModelSha256));
        files.AddRange(config.ExtraBands.SelectMany(b => new[] { ($"before-band:{b.Band.Name()}", b.Before, (string?)null), ($"after-band:{b.Band.Name()}", b.After, (string?)null) }));
        return files.Select(f => new RunInput(f.Role, f.Path, new FileInfo(f.Path).Length, File.GetLastWriteTimeUtc(f.Path).ToString("O"), f.Sha256)).ToList();
    }

    private static string Sha256(string path) => Sha256(File.ReadAllBytes(path));

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}

/// <summary>The detection settings' JSON for the ledger key (<see cref="RunFingerprint.DetectionText"/>), with the serializer's defaults.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(ChangeDetectionOptions))]
internal sealed partial class DetectionOptionsJson : System.Text.Json.Serialization.JsonSerializerContext;
