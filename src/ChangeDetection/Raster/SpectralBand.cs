namespace ChangeDetection.Raster;

/// <summary>
/// The spectral bands the change kernel understands, in canonical order. The names are the band
/// descriptions GDAL writes (<c>blue</c>, <c>green</c>, …), as in the real test pairs.
/// </summary>
/// <remarks>
/// The last four are Sentinel-2's 20 m vegetation bands (B05, B06, B07 red edge at 705, 740, 783 nm; B8A narrow NIR at
/// 865 nm), read from separate band files (<see cref="SentinelBandFiles"/>). They come after the six broad bands so that
/// the canonical order of every band set without them is unchanged.
/// </remarks>
public enum SpectralBand { Blue, Green, Red, Nir, Swir1, Swir2, RedEdge1, RedEdge2, RedEdge3, NirNarrow }

public static class SpectralBands
{
    public static string Name(this SpectralBand band) => band switch
    {
        SpectralBand.Blue => "blue",
        SpectralBand.Green => "green",
        SpectralBand.Red => "red",
        SpectralBand.Nir => "nir",
        SpectralBand.Swir1 => "swir1",
        SpectralBand.Swir2 => "swir2",
        SpectralBand.RedEdge1 => "rededge1",
        SpectralBand.RedEdge2 => "rededge2",
        SpectralBand.RedEdge3 => "rededge3",
        _ => "nirnarrow",
    };

    /// <summary>Parses a band description (case-insensitive; also accepts common aliases such as "near-infrared").</summary>
    public static SpectralBand? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "blue" or "b" => SpectralBand.Blue,
        "green" or "g" => SpectralBand.Green,
        "red" or "r" => SpectralBand.Red,
        "nir" or "near-infrared" or "nearinfrared" or "near infrared" => SpectralBand.Nir,
        "swir1" or "swir-1" or "swir 1" => SpectralBand.Swir1,
        "swir2" or "swir-2" or "swir 2" => SpectralBand.Swir2,
        "rededge1" or "red edge 1" or "red-edge-1" => SpectralBand.RedEdge1,
        "rededge2" or "red edge 2" or "red-edge-2" => SpectralBand.RedEdge2,
        "rededge3" or "red edge 3" or "red-edge-3" => SpectralBand.RedEdge3,
        "nirnarrow" or "nir narrow" or "narrow nir" or "nir2" => SpectralBand.NirNarrow,
        _ => null,
    };

    /// <summary>
    /// Which file band (0-based) holds which spectral band: from the band descriptions when they
    /// name bands, else by convention (4 bands: blue, green, red, nir as GF-1/GF-2/ZY-3 deliver
    /// them; 3 bands: red, green, blue). Null when neither applies.
    /// </summary>
    public static Dictionary<SpectralBand, int>? Identify(IReadOnlyList<string?> descriptions)
    {
        var named = new Dictionary<SpectralBand, int>();
        for (int i = 0; i < descriptions.Count; i++)
            if (Parse(descriptions[i]) is SpectralBand b) named.TryAdd(b, i);
        if (named.Count > 0) return named;
        return descriptions.Count switch
        {
            4 => new() { [SpectralBand.Blue] = 0, [SpectralBand.Green] = 1, [SpectralBand.Red] = 2, [SpectralBand.Nir] = 3 },
            3 => new() { [SpectralBand.Red] = 0, [SpectralBand.Green] = 1, [SpectralBand.Blue] = 2 },
            _ => null,
        };
    }
}
