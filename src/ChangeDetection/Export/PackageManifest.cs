using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using ChangeDetection.Pipeline;

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

/// <summary>
/// <c>manifest.json</c> of a province package: the province code, the task count, the layers that were
/// checked and every other file with its SHA-256, so that a province can check a transfer and an
/// analyst can tell two deliveries apart.
/// </summary>
public sealed record PackageManifest(string Province, int TaskCount, IReadOnlyList<ManifestFile> Files)
{
    public const string FileName = "manifest.json";

    /// <summary>The CRS of <c>tasks.shp</c>, <c>tasks.gpkg</c> and of ZXDX/ZXDY, e.g. <c>EPSG:4527</c> (GeoJSON and KML are EPSG:4490).</summary>
    public string? Crs { get; init; }

    /// <summary>The protected layers overlaid, in config order (empty: none was configured).</summary>
    public IReadOnlyList<ManifestLayer> Layers { get; init; } = [];

    /// <summary>Hashes every file under <paramref name="folder"/> (except the manifest) and writes the manifest atomically.</summary>
    public static PackageManifest Write(string folder, string province, int taskCount, IReadOnlyList<ManifestLayer>? layers = null, Geo.Crs? crs = null)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: System.IO.Path.GetRelativePath(folder, f).Replace('\\', '/')))
            .Where(f => f.Relative != FileName)
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => new ManifestFile(f.Relative, new FileInfo(f.Full).Length, Sha256Of(f.Full)))
            .ToList();
        var manifest = new PackageManifest(province, taskCount, files) { Layers = layers ?? [], Crs = crs?.ToString() };
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
