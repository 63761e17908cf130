using ChangeDetection.Geo;

namespace ChangeDetection.Overlay;

/// <summary>
/// Reads a polygon layer from an ESRI Shapefile (<c>.shp</c> with <c>.dbf</c>, <c>.cpg</c>, <c>.prj</c>),
/// a GeoPackage (<c>.gpkg</c>) or GeoJSON (<c>.geojson</c>/<c>.json</c>), in the file's own CRS.
/// Every failure is a <see cref="ChangeDetectionException"/> whose message starts with the file.
/// </summary>
public static class PolygonLayerReader
{
    /// <summary>Reads <paramref name="path"/>; <paramref name="table"/> picks a GeoPackage table when there are several.</summary>
    /// <exception cref="ChangeDetectionException">Missing or unreadable file, unknown format, or a CRS that cannot be identified.</exception>
    public static PolygonLayer Read(string path, string? table = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new ChangeDetectionException($"{path}: the layer file does not exist.");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            return ext switch
            {
                ".shp" => ShapefileLayerReader.Read(path),
                ".gpkg" => GeoPackageLayerReader.Read(path, table),
                ".geojson" or ".json" => GeoJsonLayerReader.Read(path),
                _ => throw new ChangeDetectionException($"{path}: unknown layer format '{ext}' (use .shp, .gpkg or .geojson)."),
            };
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
    public static PolygonLayer Read(string path, Crs target, string? table = null) => Read(path, table).TransformTo(target);

    /// <summary>A CRS from an EPSG code found in a file, or a clear error naming the file.</summary>
    internal static Crs KnownCrs(int? epsg, string path, string what)
    {
        if (epsg is int code && CrsRegistry.IsKnown(code)) return new Crs(code, null, CrsRegistry.IsGeographic(code));
        throw new ChangeDetectionException(
            $"{path}: cannot identify its CRS ({what}); the pipeline knows CGCS2000 (EPSG:4490) and its 3° Gauss–Krüger zones (4513–4554), WGS 84 (4326) and UTM. Reproject the layer, e.g. ogr2ogr -t_srs EPSG:4490.");
    }
}
