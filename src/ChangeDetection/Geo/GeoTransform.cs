namespace ChangeDetection.Geo;

/// <summary>
/// Affine transform from pixel space to map space, in GDAL order:
/// <c>X = OriginX + col·PixelWidth + row·RowRotation</c>, <c>Y = OriginY + col·ColumnRotation + row·PixelHeight</c>.
/// Pixel coordinates are pixel corners (0,0 is the top-left corner of the first pixel); map units are
/// those of the CRS (metres for projected CRSs, degrees for geographic ones).
/// </summary>
public readonly record struct GeoTransform(
    double OriginX, double PixelWidth, double RowRotation,
    double OriginY, double ColumnRotation, double PixelHeight)
{
    /// <summary>The identity transform GDAL reports for a raster without georeferencing.</summary>
    public static GeoTransform Identity => new(0, 1, 0, 0, 0, 1);

    /// <summary>The six coefficients in GDAL order.</summary>
    public double[] ToArray() => [OriginX, PixelWidth, RowRotation, OriginY, ColumnRotation, PixelHeight];

    public static GeoTransform FromArray(ReadOnlySpan<double> c)
    {
        if (c.Length != 6) throw new ArgumentException("A geotransform has exactly six coefficients.", nameof(c));
        return new GeoTransform(c[0], c[1], c[2], c[3], c[4], c[5]);
    }

    /// <summary>True when rows and columns are aligned with the map axes.</summary>
    public bool IsNorthUp => RowRotation == 0 && ColumnRotation == 0;

    /// <summary>Map coordinates of a pixel-space point (pixel corners are integers).</summary>
    public (double X, double Y) PixelToMap(double col, double row) =>
        (OriginX + col * PixelWidth + row * RowRotation, OriginY + col * ColumnRotation + row * PixelHeight);

    /// <summary>Pixel-space coordinates of a map point (inverse of <see cref="PixelToMap"/>).</summary>
    public (double Col, double Row) MapToPixel(double x, double y)
    {
        double det = PixelWidth * PixelHeight - RowRotation * ColumnRotation;
        if (det == 0) throw new InvalidOperationException("The geotransform is singular.");
        double dx = x - OriginX, dy = y - OriginY;
        return ((dx * PixelHeight - dy * RowRotation) / det, (dy * PixelWidth - dx * ColumnRotation) / det);
    }

    /// <summary>Area of one pixel in squared map units (m² for a projected CRS).</summary>
    public double PixelArea => Math.Abs(PixelWidth * PixelHeight - RowRotation * ColumnRotation);
}
