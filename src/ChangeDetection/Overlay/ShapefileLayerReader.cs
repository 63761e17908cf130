using System.Text;
using NetTopologySuite.Features;
using NetTopologySuite.IO.Esri;
using NetTopologySuite.IO.Esri.Shapefiles.Readers;

namespace ChangeDetection.Overlay;

/// <summary>
/// ESRI Shapefile: the encoding comes from the <c>.cpg</c> (UTF-8 or GBK/GB2312/936 — Chinese data
/// is often GBK), else from the DBF language driver byte; the CRS from the <c>.prj</c> (required unless declared).
/// </summary>
internal static class ShapefileLayerReader
{
    public static PolygonLayer Read(string path, int? declaredEpsg)
    {
        string prj = Path.ChangeExtension(path, ".prj");
        if (!File.Exists(prj) && declaredEpsg is null)
            throw new ChangeDetectionException($"{path}: no .prj file next to it, so its CRS is unknown; add one (e.g. ogr2ogr -a_srs EPSG:4527) or give the layer a \"crs\" in the region config.");
        if (!File.Exists(Path.ChangeExtension(path, ".dbf")))
            throw new ChangeDetectionException($"{path}: no .dbf file next to it.");
        var crs = File.Exists(prj)
            ? PolygonLayerReader.ResolveCrs(EsriPrj.Identify(File.ReadAllText(prj)), declaredEpsg, path, $"{Path.GetFileName(prj)} is not a CRS it knows")
            : PolygonLayerReader.KnownCrs(declaredEpsg, path, "the region config's \"crs\"");

        // The default (Strict) builder throws on the first self-intersecting ring, losing the whole layer;
        // IgnoreInvalidShapes hands the invalid polygon over so LayerFeatureBuilder repairs and reports it.
        var options = new ShapefileReaderOptions { Encoding = CpgEncoding(path), GeometryBuilderMode = GeometryBuilderMode.IgnoreInvalidShapes };
        var builder = new LayerFeatureBuilder(path);
        int n = 0;
        foreach (var feature in Shapefile.ReadAllFeatures(path, options))
        {
            n++;
            builder.Add(feature.Geometry, Attributes(feature.Attributes), $"record {n}");
        }
        return builder.Build(crs);
    }

    /// <summary>The encoding the <c>.cpg</c> names, or null (let the reader use the DBF language driver id).</summary>
    internal static Encoding? CpgEncoding(string shpPath)
    {
        string cpg = Path.ChangeExtension(shpPath, ".cpg");
        if (!File.Exists(cpg)) return null;
        string name = File.ReadAllText(cpg).Trim().ToUpperInvariant().Replace("ANSI ", "", StringComparison.Ordinal);
        switch (name)
        {
            case "UTF-8" or "UTF8" or "65001": return new UTF8Encoding(false);
            case "GBK" or "GB2312" or "936" or "CP936" or "GB18030" or "54936":
                // .NET Core ships only Unicode encodings; code page 936 (GBK) comes from the provider.
                Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
                return Encoding.GetEncoding(name is "GB18030" or "54936" ? 54936 : 936);
            default:
                try
                {
                    Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
                    return Encoding.GetEncoding(name);
                }
                catch (ArgumentException)
                {
                    throw new ChangeDetectionException($"{shpPath}: the .cpg names an unknown encoding '{name}' (use UTF-8 or GBK).");
                }
        }
    }

    private static Dictionary<string, object?> Attributes(IAttributesTable table)
    {
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in table.GetNames()) result[name] = table[name];
        return result;
    }
}
