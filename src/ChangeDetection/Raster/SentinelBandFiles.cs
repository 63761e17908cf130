using System.Text.RegularExpressions;

namespace ChangeDetection.Raster;

/// <summary>
/// One spectral band of both dates held in single-band GeoTIFFs of its own (e.g. a Sentinel-2 20 m band next to a
/// 10 m stack), on any north-up grid in the pair's CRS: <see cref="ScenePair"/> resamples it onto the pair grid.
/// </summary>
/// <param name="Band">The band both files hold.</param>
/// <param name="Before">Path of the before date's file (band 1 is read).</param>
/// <param name="After">Path of the after date's file (band 1 is read).</param>
public sealed record BandFiles(SpectralBand Band, string Before, string After)
{
    /// <summary>
    /// The band files of both dates from folders and files of Sentinel-2 bands named as ESA names them
    /// (<see cref="SentinelBandFiles.OfDate"/>), in canonical band order; every band needs its file in both dates.
    /// </summary>
    /// <param name="before">The before date's folders and files.</param>
    /// <param name="after">The after date's folders and files.</param>
    /// <param name="beforeName">What the before paths are called in a message (an option or key).</param>
    /// <param name="afterName">What the after paths are called in a message.</param>
    /// <exception cref="ChangeDetectionException">A path is missing or not a band file, two files hold one band, or a band has one date only.</exception>
    public static IReadOnlyList<BandFiles> Of(IEnumerable<string> before, IEnumerable<string> after, string beforeName, string afterName) =>
        SentinelBandFiles.Match(SentinelBandFiles.OfDate(before), SentinelBandFiles.OfDate(after), beforeName, afterName);
}

/// <summary>
/// Finds the band files of a Sentinel-2 tile cut into one GeoTIFF per band, as ESA names them and as the OSCD
/// folders hold them (<c>…_B05.tif</c>, <c>…_B8A.tif</c>, one folder per date).
/// </summary>
internal static partial class SentinelBandFiles
{
    /// <summary>
    /// The Sentinel-2 MSI band codes read, and the band each one is. B02–B04 and B08 are the 10 m broad bands; B05–B07
    /// (red edge), B8A (narrow NIR), B11 and B12 (SWIR) the 20 m bands. B01 (aerosols), B09 (water vapour) and B10
    /// (cirrus) are 60 m bands made to correct the atmosphere, not to see the ground, and are not read: with them the
    /// per-band and IR-MAD detector scores on the OSCD cities fell as with the 20 m bands (README, Detection).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, SpectralBand> Codes = new Dictionary<string, SpectralBand>(StringComparer.OrdinalIgnoreCase)
    {
        ["B02"] = SpectralBand.Blue,
        ["B03"] = SpectralBand.Green,
        ["B04"] = SpectralBand.Red,
        ["B08"] = SpectralBand.Nir,
        ["B05"] = SpectralBand.RedEdge1,
        ["B06"] = SpectralBand.RedEdge2,
        ["B07"] = SpectralBand.RedEdge3,
        ["B8A"] = SpectralBand.NirNarrow,
        ["B11"] = SpectralBand.Swir1,
        ["B12"] = SpectralBand.Swir2,
    };

    [GeneratedRegex(@"(?:^|[_\-.])(B(?:0[1-9]|1[0-2]|8A))\.tiff?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BandCode();

    /// <summary>The band a file name stands for (<c>T40QBM_20180328T065919_B11.tif</c> → swir1); null for other names and the 60 m bands.</summary>
    public static SpectralBand? BandOf(string path)
    {
        var m = BandCode().Match(Path.GetFileName(path));
        return m.Success && Codes.TryGetValue(m.Groups[1].Value, out var band) ? band : null;
    }

    /// <summary>
    /// The bands found in both folders, in canonical order, one <see cref="BandFiles"/> each.
    /// </summary>
    /// <exception cref="ChangeDetectionException">A folder is missing, or holds two files of one band.</exception>
    public static IReadOnlyList<BandFiles> Pair(string beforeDir, string afterDir)
    {
        var before = Folder(beforeDir);
        var after = Folder(afterDir);
        return [.. Enum.GetValues<SpectralBand>().Where(b => before.ContainsKey(b) && after.ContainsKey(b)).Select(b => new BandFiles(b, before[b], after[b]))];
    }

    /// <summary>
    /// The band files of one date from folders (each file named as ESA names a band is taken, others are passed over, as
    /// <see cref="Pair"/> does) and single files (each must be so named), by band.
    /// </summary>
    /// <exception cref="ChangeDetectionException">A path does not exist, a file is not named as a band read, two files
    /// hold one band, or no band file is found; the message names the file or folder.</exception>
    public static IReadOnlyDictionary<SpectralBand, string> OfDate(IEnumerable<string> paths)
    {
        var found = new Dictionary<SpectralBand, string>();
        var given = new List<string>();
        foreach (string path in paths)
        {
            given.Add(path);
            if (Directory.Exists(path))
            {
                foreach (var (band, file) in Folder(path)) Add(band, file);
                continue;
            }
            if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: band file or folder not found.");
            Add(BandOf(path) ?? throw new ChangeDetectionException(
                $"{path}: not named as ESA names a Sentinel-2 band file ('…_B05.tif', '…_B8A.tif'; read: {string.Join(", ", Codes.Keys)})."), path);
        }
        if (found.Count == 0)
            throw new ChangeDetectionException($"{string.Join(", ", given)}: no Sentinel-2 band file named as ESA names them ('…_B05.tif', '…_B8A.tif'; read: {string.Join(", ", Codes.Keys)}).");
        return found;

        void Add(SpectralBand band, string file)
        {
            if (!found.TryAdd(band, file))
                throw new ChangeDetectionException($"{file}: a second file of band {band.Name()} (the first: {found[band]}); keep one file per band.");
        }
    }

    /// <summary>
    /// The band files of both dates, in canonical order: every band of one date must have its file in the other
    /// (<paramref name="beforeName"/>, <paramref name="afterName"/> name the two in the message).
    /// </summary>
    /// <exception cref="ChangeDetectionException">A band has a file for one date only.</exception>
    public static IReadOnlyList<BandFiles> Match(IReadOnlyDictionary<SpectralBand, string> before, IReadOnlyDictionary<SpectralBand, string> after,
        string beforeName, string afterName)
    {
        foreach (var (have, lack, haveName, lackName) in new[] { (before, after, beforeName, afterName), (after, before, afterName, beforeName) })
            foreach (var (band, file) in have)
                if (!lack.ContainsKey(band))
                    throw new ChangeDetectionException($"{lackName} has no file of band {band.Name()}, which {haveName} has ({file}); give every band for both dates.");
        return [.. Enum.GetValues<SpectralBand>().Where(before.ContainsKey).Select(b => new BandFiles(b, before[b], after[b]))];
    }

    private static Dictionary<SpectralBand, string> Folder(string dir)
    {
        if (!Directory.Exists(dir)) throw new ChangeDetectionException($"{dir}: band folder not found.");
        var found = new Dictionary<SpectralBand, string>();
        foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
        {
            if (BandOf(file) is not SpectralBand band) continue;
            if (!found.TryAdd(band, file))
                throw new ChangeDetectionException($"{dir}: two files of band {band.Name()} ({Path.GetFileName(found[band])}, {Path.GetFileName(file)}); keep one file per band.");
        }
        return found;
    }
}
