using System.Globalization;
using System.Xml.Linq;
using ChangeDetection.Geo;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>
/// The GeoTIFF key directory (tag 34735) decoded into a dictionary, plus the GDAL conventions
/// layered on top of it (pixel-is-point shift, GDAL_METADATA band descriptions, GDAL_NODATA).
/// </summary>
internal static class GeoKeys
{
    public const ushort ModelType = 1024;
    public const ushort RasterType = 1025;
    public const ushort Citation = 1026;
    public const ushort GeographicType = 2048;
    public const ushort GeogCitation = 2049;
    public const ushort GeogAngularUnits = 2054;
    public const ushort ProjectedType = 3072;
    public const ushort PcsCitation = 3073;
    public const ushort ProjLinearUnits = 3076;

    public const ushort ModelTypeProjected = 1;
    public const ushort ModelTypeGeographic = 2;
    public const ushort RasterPixelIsArea = 1;
    public const ushort RasterPixelIsPoint = 2;
    public const ushort UserDefined = 32767;

    /// <summary>Key id → value (a number, or a string for keys stored in GeoAsciiParams).</summary>
    public static Dictionary<ushort, object> Parse(ReadOnlySpan<ushort> dir, ReadOnlySpan<double> doubles, string? ascii)
    {
        var keys = new Dictionary<ushort, object>();
        if (dir.Length < 4) return keys;
        int count = dir[3];
        for (int i = 0; i < count && 4 + 4 * i + 3 < dir.Length; i++)
        {
            int e = 4 + 4 * i;
            ushort id = dir[e], location = dir[e + 1], n = dir[e + 2], valueOrOffset = dir[e + 3];
            switch ((int)location)
            {
                case 0:
                    keys[id] = (double)valueOrOffset;
                    break;
                case 34736 when valueOrOffset + n <= doubles.Length && n >= 1:
                    keys[id] = doubles[valueOrOffset];
                    break;
                case 34737 when ascii is not null && valueOrOffset + n <= ascii.Length:
                    keys[id] = ascii.Substring(valueOrOffset, n).TrimEnd('|', '\0');
                    break;
            }
        }
        return keys;
    }

    public static int? Int(Dictionary<ushort, object> keys, ushort id) =>
        keys.TryGetValue(id, out var v) && v is double d ? (int)d : null;

    public static string? Text(Dictionary<ushort, object> keys, ushort id) =>
        keys.TryGetValue(id, out var v) ? v as string : null;

    /// <summary>The CRS the keys describe: EPSG code when given, else the citation.</summary>
    public static Crs ToCrs(Dictionary<ushort, object> keys)
    {
        int? model = Int(keys, ModelType);
        if (model == ModelTypeProjected)
        {
            int? code = Int(keys, ProjectedType);
            string? cite = Text(keys, PcsCitation) ?? Text(keys, Citation);
            return new Crs(code is > 0 and not UserDefined ? code : null, cite);
        }
        if (model == ModelTypeGeographic)
        {
            int? code = Int(keys, GeographicType);
            string? cite = Text(keys, GeogCitation) ?? Text(keys, Citation);
            return new Crs(code is > 0 and not UserDefined ? code : null, cite, IsGeographic: true);
        }
        return Crs.Unknown;
    }

    /// <summary>
    /// Geotransform from the model tags, in GDAL's pixel-corner convention. For
    /// RasterPixelIsPoint files GDAL moves the origin back half a pixel; so do we.
    /// </summary>
    public static GeoTransform? ToTransform(double[]? scale, double[]? tiepoints, double[]? matrix, bool pixelIsPoint)
    {
        GeoTransform gt;
        if (matrix is { Length: >= 16 })
        {
            gt = new GeoTransform(matrix[3], matrix[0], matrix[1], matrix[7], matrix[4], matrix[5]);
        }
        else if (tiepoints is { Length: >= 6 } && scale is { Length: >= 2 })
        {
            double sx = scale[0], sy = scale[1];
            gt = new GeoTransform(tiepoints[3] - tiepoints[0] * sx, sx, 0, tiepoints[4] + tiepoints[1] * sy, 0, -sy);
        }
        else
        {
            return null;
        }

        if (pixelIsPoint)
        {
            gt = gt with
            {
                OriginX = gt.OriginX - 0.5 * gt.PixelWidth - 0.5 * gt.RowRotation,
                OriginY = gt.OriginY - 0.5 * gt.ColumnRotation - 0.5 * gt.PixelHeight,
            };
        }
        return gt;
    }

    /// <summary>Band descriptions from GDAL's metadata XML (<c>Item role="description" sample="N"</c>).</summary>
    public static string?[] BandDescriptions(string? gdalMetadataXml, int bands)
    {
        var names = new string?[bands];
        if (string.IsNullOrWhiteSpace(gdalMetadataXml)) return names;
        try
        {
            var doc = XDocument.Parse(gdalMetadataXml.TrimEnd('\0'));
            foreach (var item in doc.Root?.Elements("Item") ?? [])
            {
                if ((string?)item.Attribute("role") != "description") continue;
                if (!int.TryParse((string?)item.Attribute("sample"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s)) continue;
                if (s >= 0 && s < bands && !string.IsNullOrEmpty(item.Value)) names[s] = item.Value;
            }
        }
        catch (System.Xml.XmlException)
        {
            // A malformed metadata block only costs the band names, never the pixels.
        }
        return names;
    }
}
