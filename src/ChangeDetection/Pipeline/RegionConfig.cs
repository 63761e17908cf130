using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Overlay;
using ChangeDetection.Raster;

namespace ChangeDetection.Pipeline;

/// <summary>One acquisition: the image file and its date.</summary>
public sealed record SceneConfig(string Path, DateOnly Date, string? Sensor);

/// <summary>A protected (red-line) layer: 永久基本农田, 耕地, 生态保护红线, 城镇开发边界 or a custom one.</summary>
public sealed record LayerConfig(string Name, string Kind, string Path, string? Field)
{
    /// <summary>The layer's CRS (EPSG code) from the config's <c>crs</c> key, for a file that does not say (GeoJSON without a <c>crs</c> member, a Shapefile without .prj); null: the file's own.</summary>
    public int? Epsg { get; init; }
}

/// <summary>Administrative divisions (行政区) with their XZQDM code and name fields.</summary>
public sealed record AdminConfig(string Path, string CodeField, string NameField)
{
    /// <summary>The layer's CRS (EPSG code) from the config's <c>crs</c> key; null: the file's own.</summary>
    public int? Epsg { get; init; }
}

/// <summary>
/// Detection settings of a region: the detector's one options record (<see cref="Detection.ChangeDetectionOptions"/>, with
/// its defaults; sizes in pixels) as the config's <c>detection</c> object sets it, and the minimum mapping units (m²).
/// </summary>
public sealed record DetectionConfig
{
    /// <summary>The detector's options from <c>detection.*</c>; what the config leaves out keeps the record's default.</summary>
    public Detection.ChangeDetectionOptions Options { get; init; } = new();
    /// <summary>Minimum mapping unit per change class in m² (key "default" for any class).</summary>
    public IReadOnlyDictionary<string, double> MinAreaM2 { get; init; } = Tasks.MinimumMappingUnits.DefaultUnitsM2;
}

/// <summary>
/// A region and quarter to run (one JSON file; paths inside are relative to it). Parsing is
/// strict: an unknown key, a missing file, a bad date, a quarter that is not <c>YYYYQn</c> or does not
/// hold the after date, a layer kind that is neither standard nor given a field, a threshold word it
/// does not know is a <see cref="ConfigException"/> naming the key or the file. What needs the files
/// opened (rasters, layers, admin fields) is checked by <see cref="RegionRun.Check"/>.
/// </summary>
public sealed record RegionConfig
{
    public required string FilePath { get; init; }
    /// <summary>Administrative code (XZQDM, 6 digits) of the region.</summary>
    public required string RegionCode { get; init; }
    public required string RegionName { get; init; }
    /// <summary>The quarter, <c>YYYYQn</c>.</summary>
    public required string Quarter { get; init; }
    public required SceneConfig Before { get; init; }
    public required SceneConfig After { get; init; }
    /// <summary>Explicit band numbers (1-based), or null to match bands by description.</summary>
    public IReadOnlyDictionary<SpectralBand, int>? Bands { get; init; }
    public IReadOnlyList<LayerConfig> Layers { get; init; } = [];
    public AdminConfig? Admin { get; init; }
    public DetectionConfig Detection { get; init; } = new();
    /// <summary>The output folder (absolute).</summary>
    public required string Output { get; init; }
    /// <summary>
    /// The patch classifier model (.zip from <c>cdx train</c>): the config's <c>model</c>, or without that key the
    /// shipped model (<see cref="Classification.PatchClassifier.ShippedModelPath"/>); null when the config says
    /// <c>"model": "none"</c> (every patch stays <c>unclassified</c> and the default minimum mapping unit applies).
    /// </summary>
    public string? Model { get; init; }
    /// <summary>
    /// With a model: a patch classified pseudo-change with at least this confidence (0–1) produces no
    /// task (it stays in the patch layer, flagged); null: the run's default (0.5).
    /// </summary>
    public double? PseudoConfidence { get; init; }
    /// <summary>
    /// The learned pixel model (.zip from <c>cdx train --pixel-model</c>, <c>"pixelModel"</c>): where given, its calibrated
    /// probability decides the change mask instead of the detector's threshold on its score. Null without the key or with
    /// <c>"pixelModel": "none"</c> (no model is shipped: the detector's threshold decides).
    /// </summary>
    public string? PixelModel { get; init; }
    /// <summary>
    /// Bands held in files of their own, one GeoTIFF per band and date (<c>"beforeBands"</c>, <c>"afterBands"</c>: a folder of
    /// Sentinel-2 band files named as ESA names them, such as an OSCD city's <c>bands_1/</c> and <c>bands_2/</c>, or a list of
    /// such files and folders), in canonical band order. Only the pixel model reads them (<see cref="RegionRun"/>), resampled
    /// onto the pair grid (<see cref="ScenePairOptions.ExtraBands"/>), as <c>cdx train</c> and <c>cdx eval</c> read the
    /// <c>before_bands</c>, <c>after_bands</c> columns of a pairs CSV; the detector and the patch classifier read the two
    /// images. Empty without the keys or with <c>"none"</c>.
    /// </summary>
    public IReadOnlyList<BandFiles> ExtraBands { get; init; } = [];
    /// <summary>The CRS of the packages' Shapefile and GeoPackage (<c>"deliveryCrs"</c>); null: <see cref="Export.DeliveryCrs.Default"/>.</summary>
    public Export.DeliveryCrs? DeliveryCrs { get; init; }

    private static readonly Regex QuarterPattern = new(@"^\d{4}Q[1-4]$", RegexOptions.CultureInvariant);
    private static readonly Regex CodePattern = new(@"^\d{6}$", RegexOptions.CultureInvariant);

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">The file is missing, not JSON, or breaks a rule; the message names the key or file.</exception>
    public static RegionConfig Load(string path)
    {
        JsonDocument doc;
        try
        {
            doc = ConfigJson.Load(path, "region config");
        }
        catch (ChangeDetectionException e) when (e is not ConfigException)
        {
            throw new ConfigException(e.Message, e);
        }
        using (doc) return Parse(doc.RootElement, path);
    }

    private static RegionConfig Parse(JsonElement root, string path)
    {
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var r = new Reader(path, dir);
        if (root.ValueKind != JsonValueKind.Object)
            throw new ConfigException($"{path}: a region config must be a JSON object with \"region\", \"quarter\", \"before\" and \"after\", not a {root.ValueKind.ToString().ToLowerInvariant()}.");
        r.Keys(root, "", "region", "quarter", "before", "after", "bands", "layers", "admin", "detection", "output", "model", "pixelModel", "pseudoConfidence", "deliveryCrs",
            "beforeBands", "afterBands");

        var region = r.Object(root, "region");
        r.Keys(region, "region.", "code", "name");
        string code = r.String(region, "code", "region.code");
        if (!CodePattern.IsMatch(code)) throw r.Error("region.code", $"'{code}' is not a 6-digit administrative code (XZQDM)");
        string quarter = r.String(root, "quarter", "quarter");
        if (!QuarterPattern.IsMatch(quarter)) throw r.Error("quarter", $"'{quarter}' is not a quarter like 2026Q3");

        var before = r.Scene(root, "before");
        var after = r.Scene(root, "after");
        if (after.Date <= before.Date)
            throw r.Error("after.date", $"{after.Date:yyyy-MM-dd} is not later than before.date {before.Date:yyyy-MM-dd}");
        // The quarter names the imagery it runs on (JCBH, exports): the after image belongs to it.
        if (QuarterOf(after.Date) != quarter)
            throw r.Error("quarter", $"'{quarter}' does not hold after.date {after.Date:yyyy-MM-dd} (quarter {QuarterOf(after.Date)}); fix the quarter or the date");

        Dictionary<SpectralBand, int>? bands = null;
        if (root.TryGetProperty("bands", out var b))
        {
            bands = [];
            foreach (var p in r.ObjectValue(b, "bands").EnumerateObject())
            {
                var band = SpectralBands.Parse(p.Name) ?? throw r.Error($"bands.{p.Name}", "is not a band name (blue, green, red, nir, swir1, swir2)");
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int n) || n < 1)
                    throw r.Error($"bands.{p.Name}", "must be a band number starting at 1");
                bands[band] = n;
            }
        }

        var layers = new List<LayerConfig>();
        if (root.TryGetProperty("layers", out var ls))
        {
            if (ls.ValueKind != JsonValueKind.Array) throw r.Error("layers", "must be an array");
            int i = 0;
            foreach (var l in ls.EnumerateArray())
            {
                string at = $"layers[{i++}]";
                r.Keys(r.ObjectValue(l, at), at + ".", "name", "kind", "path", "field", "crs");
                var layer = new LayerConfig(r.String(l, "name", at + ".name"), r.String(l, "kind", at + ".kind"),
                    r.File(l, "path", at + ".path"), r.OptionalString(l, "field", at + ".field")) { Epsg = r.Crs(l, at + ".crs") };
                if (layer.Field is null && !LayerKind.IsStandard(layer.Kind))
                    throw r.Error(at + ".kind", $"'{layer.Kind}' is not a standard kind ({string.Join(", ", LayerKind.Standard.Select(k => k.Kind))}); for a custom kind give the task field for its overlap area (\"field\")");
                if (layers.Any(x => x.Name == layer.Name))
                    throw r.Error(at + ".name", $"'{layer.Name}' is already the name of another layer: layer names must be unique");
                layers.Add(layer);
            }
        }

        AdminConfig? admin = null;
        if (root.TryGetProperty("admin", out var a))
        {
            r.Keys(r.ObjectValue(a, "admin"), "admin.", "path", "codeField", "nameField", "crs");
            admin = new AdminConfig(r.File(a, "path", "admin.path"), r.OptionalString(a, "codeField", "admin.codeField") ?? "XZQDM",
                r.OptionalString(a, "nameField", "admin.nameField") ?? "XZQMC") { Epsg = r.Crs(a, "admin.crs") };
        }

        var detection = new DetectionConfig();
        if (root.TryGetProperty("detection", out var d))
        {
            r.Keys(r.ObjectValue(d, "detection"), "detection.", "tileSize", "threshold", "minAreaM2", "open", "close", "smooth", "normalization", "register",
                "ndviWeight", "waterWeight", "histogramBins", "statisticsWindows");
            var o = detection.Options;
            detection = new DetectionConfig
            {
                Options = o with
                {
                    TileSize = r.OptionalInt(d, "tileSize", "detection.tileSize") ?? o.TileSize,
                    Threshold = r.OptionalString(d, "threshold", "detection.threshold") is string t ? ParseThreshold(t, r) : o.Threshold,
                    OpenRadius = r.OptionalInt(d, "open", "detection.open") ?? o.OpenRadius,
                    CloseRadius = r.OptionalInt(d, "close", "detection.close") ?? o.CloseRadius,
                    SmoothRadius = r.OptionalInt(d, "smooth", "detection.smooth"),
                    Normalization = r.OptionalString(d, "normalization", "detection.normalization") is string n
                        ? ParseNormalization(n, r)
                        : o.Normalization,
                    Register = d.TryGetProperty("register", out var reg) ? reg.ValueKind switch
                    {
                        System.Text.Json.JsonValueKind.True => true,
                        System.Text.Json.JsonValueKind.False => false,
                        _ => throw r.Error("detection.register", "must be true or false"),
                    } : o.Register,
                    NdviWeight = r.OptionalFloat(d, "ndviWeight", "detection.ndviWeight"),
                    WaterWeight = r.OptionalFloat(d, "waterWeight", "detection.waterWeight"),
                    HistogramBins = r.OptionalInt(d, "histogramBins", "detection.histogramBins") ?? o.HistogramBins,
                    StatisticsWindows = r.OptionalInt(d, "statisticsWindows", "detection.statisticsWindows") ?? o.StatisticsWindows,
                },
                MinAreaM2 = d.TryGetProperty("minAreaM2", out var m) ? r.Areas(m) : detection.MinAreaM2,
            };
        }

        string output = r.OptionalString(root, "output", "output") ?? "out";
        return new RegionConfig
        {
            FilePath = System.IO.Path.GetFullPath(path),
            RegionCode = code,
            RegionName = r.OptionalString(region, "name", "region.name") ?? code,
            Quarter = quarter,
            Before = before,
            After = after,
            Bands = bands,
            Layers = layers,
            Admin = admin,
            Detection = detection,
            Output = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, output)),
            Model = r.Model(root),
            PixelModel = r.OptionalString(root, "pixelModel", "pixelModel") is null or PixelModelNone ? null : r.File(root, "pixelModel", "pixelModel"),
            ExtraBands = r.BandFiles(root),
            PseudoConfidence = r.PseudoConfidence(root),
            DeliveryCrs = r.OptionalString(root, "deliveryCrs", "deliveryCrs") is string crs ? ParseDeliveryCrs(crs, r) : null,
        };
    }

    /// <summary>The <c>pixelModel</c> (and <c>--pixel-model</c>) word for no pixel model.</summary>
    public const string PixelModelNone = "none";

    /// <summary>The <c>beforeBands</c>, <c>afterBands</c> word (both, as in a pairs CSV) for no band files.</summary>
    public const string BandFilesNone = "none";

    /// <summary>The quarter (<c>YYYYQn</c>) a date falls in.</summary>
    public static string QuarterOf(DateOnly date) => $"{date.Year:D4}Q{(date.Month - 1) / 3 + 1}";

    private static ThresholdRule ParseThreshold(string text, Reader r)
    {
        try
        {
            return ThresholdText.Parse(text);
        }
        catch (FormatException e)
        {
            throw r.Error("detection.threshold", e.Message.TrimEnd('.'));
        }
    }

    private static Export.DeliveryCrs ParseDeliveryCrs(string text, Reader r)
    {
        try
        {
            return Export.DeliveryCrs.Parse(text);
        }
        catch (FormatException e)
        {
            throw r.Error("deliveryCrs", $"{e.Message}");
        }
    }

    private static ChangeDetection.Detection.RadiometricFit ParseNormalization(string text, Reader r)
    {
        try
        {
            return ChangeDetection.Detection.RadiometricFitText.Parse(text);
        }
        catch (FormatException)
        {
            throw r.Error("detection.normalization", $"is '{text}'; use \"invariant\" or \"meanstd\"");
        }
    }

    /// <summary>Typed access to the JSON with errors that name the file and the key.</summary>
    private sealed class Reader(string path, string dir)
    {
        public ConfigException Error(string key, string problem) => new($"{path}: \"{key}\" {problem}.");

        public void Keys(JsonElement obj, string prefix, params string[] allowed)
        {
            foreach (var p in obj.EnumerateObject())
                if (!allowed.Contains(p.Name, StringComparer.Ordinal))
                    throw Error(prefix + p.Name, $"is not a known key (expected one of: {string.Join(", ", allowed)})");
        }

        public JsonElement Object(JsonElement parent, string key) =>
            parent.TryGetProperty(key, out var v) ? ObjectValue(v, key) : throw Error(key, "is missing");

        public JsonElement ObjectValue(JsonElement v, string key) =>
            v.ValueKind == JsonValueKind.Object ? v : throw Error(key, "must be an object");

        public string String(JsonElement parent, string key, string at) =>
            OptionalString(parent, key, at) ?? throw Error(at, "is missing");

        public string? OptionalString(JsonElement parent, string key, string at)
        {
            if (!parent.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()) ? v.GetString()! : throw Error(at, "must be a non-empty string");
        }

        public int? OptionalInt(JsonElement parent, string key, string at)
        {
            if (!parent.TryGetProperty(key, out var v)) return null;
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : throw Error(at, "must be an integer");
        }

        public float? OptionalFloat(JsonElement parent, string key, string at)
        {
            if (!parent.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.Number && v.TryGetSingle(out float f) && float.IsFinite(f) ? f : throw Error(at, "must be a number");
        }

        public double? OptionalFraction(JsonElement parent, string key)
        {
            if (!parent.TryGetProperty(key, out var v)) return null;
            return v.ValueKind == JsonValueKind.Number && v.GetDouble() is >= 0 and <= 1 ? v.GetDouble() : throw Error(key, "must be a number from 0 to 1");
        }

        public string File(JsonElement parent, string key, string at)
        {
            string rel = String(parent, key, at);
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, rel));
            if (!System.IO.File.Exists(full)) throw Error(at, $"names {full}, which does not exist");
            return full;
        }

        /// <summary>The config's <c>model</c>: a file, <c>none</c> (null), or absent (the shipped model, which must then exist).</summary>
        /// <summary>The optional <c>pseudoConfidence</c>, which needs a classifier: with <c>"model": "none"</c> it is an error.</summary>
        public double? PseudoConfidence(JsonElement root)
        {
            double? confidence = OptionalFraction(root, "pseudoConfidence");
            // A confidence with no classifier to be confident would change nothing (as the CLI's --pseudo-confidence with --model none).
            bool noModel = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() == Classification.PatchClassifier.NoModel;
            return confidence is not null && noModel
                ? throw Error("pseudoConfidence", "needs a patch classifier, and this config says \"model\": \"none\"; drop pseudoConfidence or give a model")
                : confidence;
        }

        public string? Model(JsonElement root)
        {
            if (root.TryGetProperty("model", out _))
                return String(root, "model", "model") == Classification.PatchClassifier.NoModel ? null : File(root, "model", "model");
            string shipped = Classification.PatchClassifier.ShippedModelPath;
            // Without the key a run classifies with the shipped model, as cdx demo and cdx eval do; a host
            // without that file must say what it wants rather than silently deliver unclassified tasks.
            return System.IO.File.Exists(shipped) ? shipped
                : throw new ConfigException($"{path}: has no \"model\" key, so the shipped classifier {shipped} would be used, but it is missing; give \"model\": \"none\" for no classifier, or the path of a model from 'cdx train'.");
        }

        /// <summary>
        /// An optional <c>crs</c> key: <c>"EPSG:4527"</c>, <c>"urn:ogc:def:crs:EPSG::4527"</c> or <c>4527</c>; the CRS
        /// must be one the pipeline can transform.
        /// </summary>
        public int? Crs(JsonElement parent, string at)
        {
            if (!parent.TryGetProperty("crs", out var v) || v.ValueKind == JsonValueKind.Null) return null;
            int? code = v.ValueKind switch
            {
                JsonValueKind.Number => v.TryGetInt32(out int n) ? n : null,
                JsonValueKind.String => GeoJsonLayerReader.ParseCrsName(v.GetString()!) ?? (int.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null),
                _ => null,
            };
            if (code is int c && Geo.CrsRegistry.IsKnown(c)) return c;
            throw Error(at, $"is {v.GetRawText()}; give an EPSG code the pipeline knows, e.g. \"EPSG:4527\" (CGCS2000 3° Gauss–Krüger zones 4513–4554, 4490, 4326, UTM 326xx/327xx)");
        }

        /// <summary>
        /// The optional <c>beforeBands</c> and <c>afterBands</c>, given together: each a folder, a band file or an array of
        /// them, relative to the config (<see cref="SentinelBandFiles.OfDate"/>); both <c>"none"</c>: none. Every band
        /// of one date needs its file in the other: a file named and then not read would be a silent surprise.
        /// </summary>
        public IReadOnlyList<BandFiles> BandFiles(JsonElement root)
        {
            bool hasBefore = root.TryGetProperty("beforeBands", out var b), hasAfter = root.TryGetProperty("afterBands", out var a);
            if (hasBefore != hasAfter)
                throw Error(hasBefore ? "afterBands" : "beforeBands", $"is missing: give the band files of both dates, \"beforeBands\" and \"afterBands\", or neither");
            if (!hasBefore) return [];
            static bool None(JsonElement e) => e.ValueKind == JsonValueKind.String && e.GetString() == BandFilesNone;
            if (None(b) || None(a))
                return None(b) && None(a) ? [] : throw Error(None(b) ? "afterBands" : "beforeBands", $"names band files, and the other date says \"{BandFilesNone}\"; give both or \"{BandFilesNone}\" in both");
            var before = BandDate(b, "beforeBands");
            var after = BandDate(a, "afterBands");
            try
            {
                return SentinelBandFiles.Match(before, after, "\"beforeBands\"", "\"afterBands\"");
            }
            catch (ChangeDetectionException e)
            {
                throw new ConfigException($"{path}: {e.Message}", e);
            }
        }

        /// <summary>One date's band files: a string (folder or file) or an array of them, each relative to the config and existing.</summary>
        private IReadOnlyDictionary<SpectralBand, string> BandDate(JsonElement v, string key)
        {
            var paths = new List<string>();
            if (v.ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (var item in v.EnumerateArray()) paths.Add(BandPath(item, $"{key}[{i++}]"));
                if (paths.Count == 0) throw Error(key, "is an empty array; give a folder or band files, or \"none\" in both beforeBands and afterBands");
            }
            else paths.Add(BandPath(v, key));
            try
            {
                return SentinelBandFiles.OfDate(paths);
            }
            catch (ChangeDetectionException e)
            {
                throw Error(key, e.Message.TrimEnd('.'));
            }
        }

        private string BandPath(JsonElement v, string at)
        {
            if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
                throw Error(at, "must be a folder or a band file (a non-empty string), or an array of them");
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, v.GetString()!));
            return System.IO.File.Exists(full) || Directory.Exists(full) ? full : throw Error(at, $"names {full}, which does not exist");
        }

        public SceneConfig Scene(JsonElement root, string key)
        {
            var s = Object(root, key);
            Keys(s, key + ".", "path", "date", "sensor");
            string date = String(s, "date", key + ".date");
            if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                throw Error(key + ".date", $"'{date}' is not a date like 2026-07-20");
            return new SceneConfig(File(s, "path", key + ".path"), d, OptionalString(s, "sensor", key + ".sensor"));
        }

        public Dictionary<string, double> Areas(JsonElement m)
        {
            var result = new Dictionary<string, double>(StringComparer.Ordinal);
            if (m.ValueKind == JsonValueKind.Number)
            {
                result["default"] = m.GetDouble() is >= 0 and var v && double.IsFinite(v) ? v : throw Error("detection.minAreaM2", "must be a non-negative area in m²");
                return result;
            }
            foreach (var p in ObjectValue(m, "detection.minAreaM2").EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number || p.Value.GetDouble() < 0)
                    throw Error($"detection.minAreaM2.{p.Name}", "must be a non-negative area in m²");
                result[p.Name] = p.Value.GetDouble();
            }
            if (!result.ContainsKey(Tasks.MinimumMappingUnits.DefaultKey)) result[Tasks.MinimumMappingUnits.DefaultKey] = Tasks.MinimumMappingUnits.DefaultUnitM2;
            try { _ = new Tasks.MinimumMappingUnits(result); }
            catch (ArgumentException e) { throw Error("detection.minAreaM2", e.Message.Split(" (Parameter")[0].TrimEnd('.')); }
            return result;
        }
    }
}
