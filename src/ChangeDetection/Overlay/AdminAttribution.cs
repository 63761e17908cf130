using NetTopologySuite.Geometries;

namespace ChangeDetection.Overlay;

/// <summary>An administrative division: 6-digit code (XZQDM) and name (XZQMC).</summary>
public readonly record struct AdminDivision(string Code, string Name)
{
    /// <summary>Code of patches outside every division.</summary>
    public const string UnknownCode = "000000";

    /// <summary>Name of patches outside every division.</summary>
    public const string UnknownName = "未知";

    /// <summary>The division of patches outside every division.</summary>
    public static AdminDivision Unknown => new(UnknownCode, UnknownName);

    /// <summary>True for <see cref="Unknown"/>.</summary>
    public bool IsUnknown => Code == UnknownCode;

    /// <summary>Province code: the first two digits (exports are split by it).</summary>
    public string Province => Code.Length >= 2 ? Code[..2] : Code;
}

/// <summary>
/// Gives each patch the division holding most of its area (a patch across a county border belongs
/// to one county, the one with the larger share; ties go to the smaller code so runs repeat).
/// </summary>
internal sealed class AdminAttribution
{
    private readonly OverlapIndex _index;
    private readonly AdminDivision[] _divisions;

    /// <param name="layer">The division layer, already in <paramref name="crs"/>.</param>
    /// <param name="spec">Names of the code and name fields.</param>
    /// <param name="crs">CRS of the layer and the patches.</param>
    /// <param name="warnings">Receives a warning for every division without a 6-digit code.</param>
    public AdminAttribution(PolygonLayer layer, AdminSpec spec, Geo.Crs crs, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(warnings);
        _index = new OverlapIndex(layer, crs);
        _divisions = new AdminDivision[layer.Features.Count];
        for (int i = 0; i < _divisions.Length; i++)
        {
            var f = layer.Features[i];
            string? code = f.Text(spec.CodeField);
            if (code is null || code.Length != 6 || !code.All(char.IsAsciiDigit))
                warnings.Add($"{layer.SourcePath}: feature {i + 1} has {spec.CodeField} '{code}', not a 6-digit division code.");
            _divisions[i] = new AdminDivision(code ?? AdminDivision.UnknownCode, f.Text(spec.NameField) ?? "");
        }
    }

    /// <summary>The division with the largest share of <paramref name="patch"/>, or null when it lies outside all of them.</summary>
    public AdminDivision? Attribute(Geometry patch)
    {
        // Sum by code: one county may come as several features (islands, exclaves).
        var byCode = new Dictionary<string, (AdminDivision Division, double Area)>(StringComparer.Ordinal);
        foreach (var (feature, area) in _index.OverlapsByFeature(patch))
        {
            var d = _divisions[feature];
            byCode[d.Code] = byCode.TryGetValue(d.Code, out var e) ? (e.Division, e.Area + area) : (d, area);
        }
        if (byCode.Count == 0) return null;
        return byCode.Values
            .Where(e => e.Area > 0)
            .OrderByDescending(e => e.Area).ThenBy(e => e.Division.Code, StringComparer.Ordinal)
            .Select(e => (AdminDivision?)e.Division)
            .FirstOrDefault();
    }
}
