using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using ChangeDetection.IO;

namespace ChangeDetection.Export;

/// <summary>One file of a package: path relative to the package folder ('/'-separated), size in bytes, SHA-256 (lower-case hex).</summary>
public sealed record ManifestFile(string Path, long Bytes, string Sha256);

/// <summary>
/// A protected layer the run overlaid (its overlap column is filled, 0 meaning "checked, no overlap");
/// a standard overlap column whose layer is not listed is empty ("not checked").
/// </summary>
/// <param name="Name">The layer's name in the region config.</param>
/// <param name="Kind">Its kind (<c>permanent-basic-farmland</c>, <c>farmland</c>, <c>ecological-redline</c>, <c>urban-boundary</c> or custom).</param>
/// <param name="Field">The task column holding the overlap in m², e.g. <c>YJJBNTMJ</c>.</param>
public sealed record ManifestLayer(string Name, string Kind, string Field);

/// <summary>The run a package comes from, as its <c>manifest.json</c> and <c>说明.txt</c> name it.</summary>
/// <param name="RegionCode">The monitoring region's XZQDM (6 digits).</param>
/// <param name="RegionName">Its name, e.g. 贾汪区.</param>
/// <param name="Quarter">The quarter, e.g. <c>2026Q3</c>.</param>
/// <param name="RunId">The run's fingerprint (run.json <c>fingerprint</c>: config and inputs).</param>
/// <param name="ToolVersion">The version of cdx that wrote the package.</param>
public sealed record PackageRun(string RegionCode, string RegionName, string Quarter, string RunId, string ToolVersion);

/// <summary>
/// <c>manifest.json</c> of a province package: the province code and name, the run (region, quarter,
/// run ID, tool version), the delivery CRS, the task count, the layers that were checked and every
/// other file with its SHA-256, so that a province can check a transfer and an analyst can tell two
/// deliveries apart.
/// </summary>
public sealed record PackageManifest(string Province, int TaskCount, IReadOnlyList<ManifestFile> Files)
{
    public const string FileName = "manifest.json";

    /// <summary>The province's name (江苏省), or null for a code that is no province.</summary>
    public string? ProvinceName { get; init; }

    /// <summary>The run the package comes from; null when the writer was not told.</summary>
    public PackageRun? Run { get; init; }

    /// <summary>The CRS of <c>tasks.shp</c>, <c>tasks.gpkg</c> and of ZXDX/ZXDY, e.g. <c>EPSG:4527</c> (GeoJSON and KML are EPSG:4490).</summary>
    public string? Crs { get; init; }

    /// <summary>The protected layers overlaid, in config order (empty: none was configured).</summary>
    public IReadOnlyList<ManifestLayer> Layers { get; init; } = [];

    /// <summary>
    /// Hashes every file under <paramref name="folder"/> (except the manifest) into <see cref="Files"/> of
    /// <paramref name="header"/> and writes the manifest atomically.
    /// </summary>
    public static PackageManifest Write(string folder, PackageManifest header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: System.IO.Path.GetRelativePath(folder, f).Replace('\\', '/')))
            .Where(f => f.Relative != FileName)
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => new ManifestFile(f.Relative, new FileInfo(f.Full).Length, Sha256Of(f.Full)))
            .ToList();
        var manifest = header with { Files = files };
        AtomicFile.WriteAllText(System.IO.Path.Combine(folder, FileName), JsonSerializer.Serialize(manifest, Options));
        return manifest;
    }

    /// <summary>Reads a manifest written by <see cref="Write"/>.</summary>
    public static PackageManifest Read(string path) =>
        JsonSerializer.Deserialize<PackageManifest>(File.ReadAllText(path), Options)
        ?? throw new ChangeDetectionException($"{path}: empty manifest.");

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
