namespace ChangeDetection.Kernels;

/// <summary>
/// Radiometric parameters of one band for <see cref="ChangeKernel"/>.
/// <see cref="Gain"/> (dimensionless) and <see cref="Offset"/> (before-image DN) map an after
/// sample onto the before image's radiometry: <c>after' = Gain · after + Offset</c>.
/// <see cref="Scale"/> (1/DN) turns a DN difference into a comparable unit, typically
/// <c>1 / std(before)</c> so every band counts in standard deviations; a per-band weight is
/// folded into it by multiplying.
/// </summary>
public readonly record struct BandNormalization(float Gain, float Offset, float Scale)
{
    /// <summary>No radiometric change and differences counted in raw DN.</summary>
    public static BandNormalization Identity => new(1f, 0f, 1f);

    /// <summary>True when every parameter is a finite number (the kernel refuses anything else).</summary>
    public bool IsFinite => float.IsFinite(Gain) && float.IsFinite(Offset) && float.IsFinite(Scale);
}
