using BitMiracle.LibTiff.Classic;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>
/// The GeoTIFF and GDAL private tags. LibTiff.NET does not know them: without the extender it
/// drops them silently on write, and reads them back as untyped bytes.
/// </summary>
internal static class GeoTiffTags
{
    public const TiffTag ModelPixelScale = (TiffTag)33550;
    public const TiffTag ModelTiepoint = (TiffTag)33922;
    public const TiffTag ModelTransformation = (TiffTag)34264;
    public const TiffTag GeoKeyDirectory = (TiffTag)34735;
    public const TiffTag GeoDoubleParams = (TiffTag)34736;
    public const TiffTag GeoAsciiParams = (TiffTag)34737;
    public const TiffTag GdalMetadata = (TiffTag)42112;
    public const TiffTag GdalNoData = (TiffTag)42113;

    private static readonly object Gate = new();
    private static bool _registered;
    private static Tiff.TiffExtendProc? _parent;

    /// <summary>Registers the tag extender and the quiet error handler once per process.</summary>
    public static void EnsureRegistered()
    {
        if (Volatile.Read(ref _registered)) return;
        lock (Gate)
        {
            if (_registered) return;
            _parent = Tiff.SetTagExtender(Extend);
            Tiff.SetErrorHandler(new TiffErrorCollector());
            Volatile.Write(ref _registered, true);
        }
    }

    private static void Extend(Tiff tif)
    {
        TiffFieldInfo[] fields =
        [
            new(ModelPixelScale, -1, -1, TiffType.DOUBLE, FieldBit.Custom, true, true, "ModelPixelScaleTag"),
            new(ModelTiepoint, -1, -1, TiffType.DOUBLE, FieldBit.Custom, true, true, "ModelTiepointTag"),
            new(ModelTransformation, -1, -1, TiffType.DOUBLE, FieldBit.Custom, true, true, "ModelTransformationTag"),
            new(GeoKeyDirectory, -1, -1, TiffType.SHORT, FieldBit.Custom, true, true, "GeoKeyDirectoryTag"),
            new(GeoDoubleParams, -1, -1, TiffType.DOUBLE, FieldBit.Custom, true, true, "GeoDoubleParamsTag"),
            new(GeoAsciiParams, -1, -1, TiffType.ASCII, FieldBit.Custom, true, false, "GeoASCIIParamsTag"),
            new(GdalMetadata, -1, -1, TiffType.ASCII, FieldBit.Custom, true, false, "GDALMetadata"),
            new(GdalNoData, -1, -1, TiffType.ASCII, FieldBit.Custom, true, false, "GDALNoDataValue"),
        ];
        tif.MergeFieldInfo(fields, fields.Length);
        _parent?.Invoke(tif);
    }
}

/// <summary>
/// LibTiff.NET reports problems through one process-wide handler that by default prints to the
/// console. This one keeps errors per thread so the caller can turn them into an exception that
/// names the file, and drops warnings (GDAL files trigger harmless ones such as unsorted tags).
/// </summary>
internal sealed class TiffErrorCollector : TiffErrorHandler
{
    [ThreadStatic] private static List<string>? _errors;

    public static void Clear() => _errors?.Clear();

    /// <summary>The errors LibTiff reported on this thread since the last <see cref="Clear"/>, joined.</summary>
    public static string? Take()
    {
        if (_errors is null || _errors.Count == 0) return null;
        string joined = string.Join("; ", _errors);
        _errors.Clear();
        return joined;
    }

    public override void ErrorHandler(Tiff tif, string method, string format, params object[] args) =>
        (_errors ??= []).Add(Format(format, args));

    public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }

    public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }

    public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }

    private static string Format(string format, object[] args)
    {
        try { return args.Length == 0 ? format : string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args); }
        catch (FormatException) { return format; }
    }
}
