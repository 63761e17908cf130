using System.Text;
using ChangeDetection.Geo;
using ChangeDetection.Tasks;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Esri;
using NetTopologySuite.IO.Esri.Dbf.Fields;
using NetTopologySuite.IO.Esri.Shapefiles.Writers;

namespace ChangeDetection.Export;

/// <summary>Text encoding of a Shapefile's DBF, named in its <c>.cpg</c>.</summary>
public enum DbfEncoding
{
    /// <summary>UTF-8 (<c>.cpg</c> says <c>UTF-8</c>): what GDAL and current ArcGIS/QGIS read.</summary>
    Utf8,
    /// <summary>
    /// GBK (<c>.cpg</c> says <c>GBK</c>, LDID 0x4D = code page 936): for older desktop GIS in provincial
    /// offices. GBK is a superset of GB2312: a county name such as 浉河区 has characters outside GB2312.
    /// </summary>
    Gbk,
}

/// <summary>
/// Writes verification tasks as an ESRI Shapefile (<c>.shp</c>, <c>.shx</c>, <c>.dbf</c>, <c>.cpg</c>,
/// and <c>.prj</c> when the CRS is known) in the image CRS. The <c>.prj</c> holds OGC WKT1, which GDAL
/// and QGIS accept. The set is written in a scratch folder and moved into place with the <c>.shp</c>
/// last, so a crash never leaves a complete-looking Shapefile with a missing or stale part.
/// </summary>
internal static class ShapefileTaskWriter
{
    /// <summary>The file extensions written, <c>.shp</c> last.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".dbf", ".shx", ".cpg", ".prj", ".shp"];

    /// <summary>The .NET encoding for a <see cref="DbfEncoding"/> (registers the code-page provider GBK needs).</summary>
    public static Encoding EncodingOf(DbfEncoding encoding)
    {
        if (encoding == DbfEncoding.Utf8) return new UTF8Encoding(false);
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding("GBK");
    }

    /// <summary>The <c>.cpg</c> text for an encoding: <c>UTF-8</c> or <c>GBK</c> (both read by GDAL, QGIS and ArcGIS).</summary>
    public static string CodePageName(DbfEncoding encoding) => encoding == DbfEncoding.Utf8 ? "UTF-8" : "GBK";

    /// <summary>Writes <paramref name="shpPath"/> (ending in <c>.shp</c>) and its companion files.</summary>
    public static void Write(string shpPath, IReadOnlyList<VerificationTask> tasks, Crs crs, DbfEncoding encoding = DbfEncoding.Utf8)
    {
        ArgumentNullException.ThrowIfNull(crs);
        if (!shpPath.EndsWith(".shp", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("A Shapefile path ends in .shp.", nameof(shpPath));
        var ordered = TaskList.Ordered(tasks);
        var fields = TaskFields.For(ordered);
        string full = Path.GetFullPath(shpPath);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new ChangeDetectionException($"{shpPath}: the folder {dir} does not exist.");
        string stem = Path.GetFileNameWithoutExtension(full);
        string scratch = Path.Combine(dir, $".{stem}.partial-{Environment.ProcessId}");
        try
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            Directory.CreateDirectory(scratch);
            WriteCore(Path.Combine(scratch, stem + ".shp"), ordered, fields, crs, EncodingOf(encoding));
            // The library names GBK data "GB2312", which GDAL then decodes as GB2312 (garbling every
            // character outside it); name the code page the bytes are in.
            File.WriteAllText(Path.Combine(scratch, stem + ".cpg"), CodePageName(encoding), Encoding.ASCII);
            foreach (var ext in Extensions)
            {
                string target = Path.Combine(dir, stem + ext);
                string source = Path.Combine(scratch, stem + ext);
                if (File.Exists(source)) File.Move(source, target, overwrite: true);
                else if (File.Exists(target)) File.Delete(target); // e.g. a stale .prj from a run with a known CRS
            }
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    private static void WriteCore(string path, IReadOnlyList<VerificationTask> tasks, IReadOnlyList<TaskField> fields, Crs crs, Encoding encoding)
    {
        var dbf = fields.Select(f => f.Kind switch
        {
            TaskFieldKind.Real => (DbfField)new DbfNumericDoubleField(f.Name, f.Width, f.Decimals),
            TaskFieldKind.Date => new DbfDateField(f.Name),
            _ => new DbfCharacterField(f.Name, f.Width),
        }).ToArray();
        var options = new ShapefileWriterOptions(ShapeType.Polygon, dbf)
        {
            Encoding = encoding,
            Projection = crs.Epsg is int epsg ? CrsRegistry.Wkt(epsg) : null,
        };
        using var writer = Shapefile.OpenWrite(path, options);
        foreach (var t in tasks)
        {
            var attributes = new AttributesTable();
            foreach (var f in fields) attributes.Add(f.Name, f.Export(t) is DateOnly day ? day.ToDateTime(TimeOnly.MinValue) : f.Export(t));
            writer.Write(new Feature(t.Geometry is Polygon or MultiPolygon ? t.Geometry : throw new ChangeDetectionException($"Task {t.JCBH}: a {t.Geometry.GeometryType} cannot be written to a polygon Shapefile."), attributes));
        }
    }
}
