namespace ChangeDetection.Vectorization;

/// <summary>
/// The identity of a monitoring patch (图斑): the first pixel of its connected component in row-major order of the
/// whole scene (x = column, y = row, pixels of the mask's grid). The polygonizer assigns it, so it is the same at every
/// tile size, on every worker count and after a resumed run, and it orders patches as the polygonizer returns them
/// (row, then column). Patches built by hand without a polygonizer carry the default (0, 0).
/// </summary>
/// <param name="X">Column of the component's first pixel.</param>
/// <param name="Y">Row of the component's first pixel.</param>
public readonly record struct PatchId(int X, int Y) : IComparable<PatchId>
{
    /// <summary>Row-major order: row first, then column.</summary>
    public int CompareTo(PatchId other)
    {
        int c = Y.CompareTo(other.Y);
        return c != 0 ? c : X.CompareTo(other.X);
    }

    public static bool operator <(PatchId left, PatchId right) => left.CompareTo(right) < 0;
    public static bool operator >(PatchId left, PatchId right) => left.CompareTo(right) > 0;
    public static bool operator <=(PatchId left, PatchId right) => left.CompareTo(right) <= 0;
    public static bool operator >=(PatchId left, PatchId right) => left.CompareTo(right) >= 0;

    /// <summary><c>x,y</c> (column, row).</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{X},{Y}");
}

/// <summary>
/// Which patch holds each probed pixel: the answer of <see cref="MaskPolygonizer.PolygonizeWithOwners"/>
/// for pixels it was asked about (the first pixels of the detection tile pass's pieces of change, so that each piece
/// joins its patch by the labels the polygonizer gave, not by a geometric test). A pixel of no returned component
/// (no change there, or a component below <see cref="PolygonizeOptions.MinPixelCount"/>) has no owner.
/// </summary>
public sealed class PixelOwners
{
    private readonly Dictionary<PixelPoint, PatchId> _owners;

    internal PixelOwners(Dictionary<PixelPoint, PatchId> owners) => _owners = owners;

    /// <summary>No pixel has an owner (no probes were given).</summary>
    public static PixelOwners None { get; } = new([]);

    /// <summary>Probed pixels that lie in a returned component.</summary>
    public int Count => _owners.Count;

    /// <summary>The patch whose component holds <paramref name="pixel"/>, when it was probed and lies in one.</summary>
    public bool TryGetOwner(PixelPoint pixel, out PatchId owner) => _owners.TryGetValue(pixel, out owner);
}

/// <summary>One pixel of the mask's grid (x = column, y = row).</summary>
public readonly record struct PixelPoint(int X, int Y);
