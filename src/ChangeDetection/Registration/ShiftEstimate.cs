namespace ChangeDetection.Registration;

/// <summary>
/// A translation between a before and an after image, in pixels, with how sure the estimate is.
/// <para>
/// Sign convention: (<see cref="Dx"/>, <see cref="Dy"/>) is where the after image's content lies
/// relative to the before image, x to the right (columns) and y down (rows):
/// <c>after(x + Dx, y + Dy) ≈ before(x, y)</c>. Resampling the after image at
/// (x + Dx, y + Dy) therefore puts it on the before image. A house at column 100 in the before
/// image that appears at column 101.5 in the after image gives Dx = +1.5.
/// </para>
/// </summary>
/// <param name="Dx">Shift along columns (x, to the right), in pixels.</param>
/// <param name="Dy">Shift along rows (y, down), in pixels.</param>
/// <param name="Confidence">
/// Peak ratio: the phase-correlation peak over the highest value outside a small neighbourhood
/// of it (dimensionless, ≥ 1 when there is any peak; 0 when nothing could be correlated, e.g. a
/// window that is all nodata or flat). Near 1 means no distinct peak: the shift is noise.
/// </param>
internal readonly record struct ShiftEstimate(double Dx, double Dy, double Confidence)
{
    /// <summary>No estimate: zero shift, zero confidence.</summary>
    public static ShiftEstimate None => default;

    /// <summary>Length of the shift, in pixels.</summary>
    public double Magnitude => Math.Sqrt(Dx * Dx + Dy * Dy);

    public override string ToString() =>
        FormattableString.Invariant($"({Dx:0.000}, {Dy:0.000}) px, confidence {Confidence:0.00}");
}
