namespace ChangeDetection.Geo;

/// <summary>Area units of Chinese land administration.</summary>
public static class AreaUnits
{
    /// <summary>One 亩 (mu) in m²: 10 000 / 15 ≈ 666.67.</summary>
    public const double SquareMetresPerMu = 10_000.0 / 15.0;

    /// <summary>m² → 亩.</summary>
    public static double ToMu(double squareMetres) => squareMetres / SquareMetresPerMu;
}
