namespace ChangeDetection.Tasks;

/// <summary>
/// Minimum mapping units (最小上图面积) in m², per change class with a default: a patch smaller than
/// the unit of its class is not delivered. The class is known only after classification, so the
/// patch stage keeps everything above the <see cref="Smallest"/> unit and <see cref="Keeps"/> decides
/// once each patch has its class. Without a classifier every patch is <c>unclassified</c> and the
/// default applies.
/// </summary>
public sealed record MinimumMappingUnits
{
    public const string DefaultKey = "default";

    /// <summary>
    /// The units when a region config gives none (m²): 400 for any class, 200 for construction
    /// (the common rules for farmland changes and buildings).
    /// </summary>
    public static IReadOnlyDictionary<string, double> DefaultUnitsM2 { get; } =
        new Dictionary<string, double> { [DefaultKey] = DefaultUnitM2, ["construction"] = 200 };

    /// <summary>The minimum mapping unit of any class without one of its own, in m² (0.6 亩).</summary>
    public const double DefaultUnitM2 = 400;

    /// <param name="unitsM2">Unit in m² by class code, with an optional <c>default</c> (else <paramref name="fallbackM2"/>).</param>
    /// <param name="fallbackM2">The default unit when <paramref name="unitsM2"/> has none.</param>
    /// <exception cref="ArgumentException">A key that is neither <c>default</c> nor a class code, or a negative or non-finite area.</exception>
    public MinimumMappingUnits(IReadOnlyDictionary<string, double> unitsM2, double fallbackM2 = DefaultUnitM2)
    {
        ArgumentNullException.ThrowIfNull(unitsM2);
        foreach (var (key, value) in unitsM2)
        {
            if (key != DefaultKey && !ChangeClasses.All.Any(c => c.Code == key))
                throw new ArgumentException($"'{key}' is not a change class; use 'default' or one of {string.Join(", ", ChangeClasses.All.Select(c => c.Code))}.", nameof(unitsM2));
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentException($"The unit of '{key}' ({value}) must be a non-negative area in m².", nameof(unitsM2));
        }
        Units = new Dictionary<string, double>(unitsM2, StringComparer.Ordinal);
        DefaultM2 = unitsM2.TryGetValue(DefaultKey, out double d) ? d : fallbackM2;
    }

    /// <summary>The units by class code as given (m²).</summary>
    public IReadOnlyDictionary<string, double> Units { get; }

    /// <summary>The unit of classes without their own (m²).</summary>
    public double DefaultM2 { get; }

    /// <summary>The unit of a class (m²).</summary>
    public double For(string classCode) => Units.TryGetValue(classCode, out double m2) ? m2 : DefaultM2;

    /// <summary>The smallest unit any patch can be held to: with classes, the least of all; without, the default (m²).</summary>
    public double Smallest(bool classified) => classified ? Units.Values.Append(DefaultM2).Min() : DefaultM2;

    /// <summary>Whether a patch of <paramref name="areaM2"/> m² and class <paramref name="classCode"/> is delivered.</summary>
    public bool Keeps(string classCode, double areaM2) => areaM2 >= For(classCode);
}
