using ChangeDetection.Geo;

namespace ChangeDetection.Overlay;

/// <summary>
/// Reads a polygon layer from an ESRI Shapefile (<c>.shp</c> with <c>.dbf</c>, <c>.cpg</c>, <c>.prj</c>),
/// a GeoPackage (<c>.gpkg</c>) or GeoJSON (<c>.geojson</c>/<c>.json</c>), in the file's own CRS.
/// Every failure is a <see cref="ChangeDetectionException"/> whose message starts with the file.
/// A file that does not say its CRS (or says one the pipeline cannot identify) may be given one by the
/// caller (the region config's <c>crs</c> key); a file that says another CRS than that is an error.
/// </summary>
public static class PolygonLayerReader
{
    /// <summary>Reads <paramref name="path"/>; <paramref name="table"/> picks a GeoPackage table when there are several.</summary>
    /// <param name="path">The layer file.</param>
    /// <param name="table">GeoPackage feature table, or null.</param>
    /// <param name="declaredEpsg">The CRS the region config gives the layer (its <c>crs</c> key), or null.</param>
    /// <exception cref="ChangeDetectionException">
    /// Missing or unreadable file, unknown format, a CRS that cannot be identified, a CRS that differs from
    /// <paramref name="declaredEpsg"/>, or longitude/latitude coordinates out of range.
    /// </exception>
    public static PolygonLayer Read(string path, string? table = null, int? declaredEpsg = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: the layer file does not exist.");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            var layer = ext switch
            {
                ".shp" => ShapefileLayerReader.Read(path, declaredEpsg),
                ".gpkg" => GeoPackageLayerReader.Read(path, table, declaredEpsg),
                ".geojson" or ".json" => GeoJsonLayerReader.Read(path, declaredEpsg),
                _ => throw new ChangeDetectionException($"{path}: unknown layer format '{ext}' (use .shp, .gpkg or .geojson)."),
            };
            RequireLonLatRange(layer, $"it is read as {layer.Crs}; if the coordinates are projected, give the file its real CRS, or the layer a \"crs\" in the region config");
            return layer;
        }
        catch (ChangeDetectionException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The format libraries throw whatever their parsers hit (EndOfStream, JsonException,
            // SqliteException, ArgumentException…): the user needs the file name and the reason.
            throw new ChangeDetectionException($"{path}: cannot read the layer: {e.Message}", e);
        }
    }

    /// <summary>Reads and transforms into <paramref name="target"/> (the image CRS).</summary>
    public static PolygonLayer Read(string path, Crs target, string? table = null, int? declaredEpsg = null) => Read(path, table, declaredEpsg).TransformTo(target);

    /// <summary>
    /// The layer's CRS: the EPSG code the file names (<paramref name="fileEpsg"/>; it must agree with
    /// <paramref name="declaredEpsg"/> and be one the pipeline knows), else, when the file's CRS could not be
    /// identified, the declared one, else an error saying <paramref name="what"/> the file has.
    /// </summary>
    internal static Crs ResolveCrs(int? fileEpsg, int? declaredEpsg, string path, string what)
    {
        if (fileEpsg is int f)
        {
            if (declaredEpsg is int d && d != f)
                throw new ChangeDetectionException($"{path}: the file gives its CRS as EPSG:{f} but the region config's \"crs\" says EPSG:{d}; remove the config's \"crs\" or fix the file.");
            return KnownCrs(f, path, what);
        }
        return KnownCrs(declaredEpsg ?? fileEpsg, path, what);
    }

    /// <summary>
    /// A layer read as longitude/latitude must have coordinates that can be: a projected layer read as
    /// lon/lat overlaps nothing and silently turns every overlap into 0.
    /// </summary>
    internal static void RequireLonLatRange(PolygonLayer layer, string fix)
    {
        if (!layer.Crs.IsGeographic) return;
        var box = new NetTopologySuite.Geometries.Envelope();
        foreach (var f in layer.Features) box.ExpandToInclude(f.Geometry.EnvelopeInternal);
        if (box.IsNull || (box.MinX >= -180 && box.MaxX <= 180 && box.MinY >= -90 && box.MaxY <= 90)) return;
        throw new ChangeDetectionException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{layer.SourcePath}: coordinates reach x {box.MinX:0.###}..{box.MaxX:0.###}, y {box.MinY:0.###}..{box.MaxY:0.###}, which cannot be longitude/latitude, but {fix}."));
    }

    /// <summary>A CRS from an EPSG code found in a file, or a clear error naming the file.</summary>
    internal static Crs KnownCrs(int? epsg, string path, string what)
    {
        if (epsg is int code && CrsRegistry.IsKnown(code)) return new Crs(code, null, CrsRegistry.IsGeographic(code));
        throw new ChangeDetectionException(
            $"{path}: cannot use its CRS ({what}); the pipeline knows CGCS2000 (EPSG:4490) and its 3° Gauss–Krüger zones (4513–4554), WGS 84 (4326) and UTM. Reproject the layer, e.g. ogr2ogr -t_srs EPSG:4490, or, when the file's CRS is missing or unreadable, give the layer's \"crs\" in the region config.");
    }
}
