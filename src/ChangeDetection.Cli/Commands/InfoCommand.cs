using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx info FILE [--json] [--checksum]</c>: describes a raster.</summary>
internal static class InfoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("file") { Description = "The raster (GeoTIFF) to describe." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var checksum = new Option<bool>("--checksum") { Description = "Also read every pixel: per-band SHA-256 (little-endian, row-major) and sum." };
        var cmd = new Command("info", "Describe a raster: size, bands, type, georeferencing, nodata, band names, layout.") { file, json, checksum };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            using var reader = GeoTiffReader.Open(r.GetValue(file)!);
            (string[] Sha, double[] Sum)? sums = r.GetValue(checksum) ? RasterChecksum.Compute(reader) : null;
            var layout = CogLayout.Inspect(r.GetValue(file)!);
            if (r.GetValue(json)) WriteJson(stdout, reader.Info, layout, sums);
            else WriteText(stdout, reader.Info, layout, sums);
            return CdxApp.Ok;
        }));
        return cmd;
    }

    private static void WriteJson(TextWriter stdout, RasterInfo info, CogLayout layout, (string[] Sha, double[] Sum)? sums)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("file", info.Path);
            w.WriteNumber("width", info.Width);
            w.WriteNumber("height", info.Height);
            w.WriteNumber("bands", info.BandCount);
            w.WriteString("dtype", info.DataType.Name());
            w.WriteStartArray("geotransform");
            foreach (double c in info.Transform.ToArray()) w.WriteNumberValue(c);
            w.WriteEndArray();
            if (info.Crs.Epsg is int epsg) w.WriteNumber("epsg", epsg); else w.WriteNull("epsg");
            WriteNumberOrNull(w, "nodata", info.NoData);
            w.WriteStartArray("band_names");
            foreach (var n in info.BandNames) if (n is null) w.WriteNullValue(); else w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteString("compression", info.Compression);
            w.WriteBoolean("tiled", info.Tiled);
            w.WriteBoolean("bigtiff", info.BigTiff);
            w.WriteStartArray("overviews");
            foreach (var ov in layout.Overviews)
            {
                w.WriteStartObject();
                w.WriteNumber("width", ov.Width);
                w.WriteNumber("height", ov.Height);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBoolean("cog", layout.IsCog);
            if (sums is var (sha, sum))
            {
                w.WriteStartArray("band_sha256");
                foreach (var s in sha) w.WriteStringValue(s);
                w.WriteEndArray();
                w.WriteStartArray("band_sum");
                foreach (var s in sum) w.WriteNumberValue(s);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, double? value)
    {
        // JSON has no NaN or infinity: spell them as GDAL does ("nan", "inf").
        if (value is not double v) w.WriteNull(name);
        else if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteString(name, NoDataText.Format(v));
    }

    private static void WriteText(TextWriter o, RasterInfo info, CogLayout layout, (string[] Sha, double[] Sum)? sums)
    {
        var ci = CultureInfo.InvariantCulture;
        var gt = info.Transform;
        o.WriteLine($"File:        {info.Path}");
        o.WriteLine($"Size:        {info.Width} × {info.Height} pixels, {info.BandCount} band(s) of {info.DataType.Name()}");
        o.WriteLine($"CRS:         {(info.IsGeoreferenced ? info.Crs.ToString() : "none (no georeferencing)")}");
        o.WriteLine(string.Create(ci, $"Origin:      ({gt.OriginX}, {gt.OriginY})"));
        o.WriteLine(string.Create(ci, $"Pixel size:  ({gt.PixelWidth}, {gt.PixelHeight})"));
        o.WriteLine($"NoData:      {(info.NoData is double nd ? NoDataText.Format(nd) : "none")}");
        o.WriteLine($"Layout:      {(info.Tiled ? "tiled" : "striped")} {info.BlockWidth}×{info.BlockHeight}, {info.Compression}{(info.Predictor > 1 ? $" (predictor {info.Predictor})" : "")}, {info.Interleave.ToString().ToLowerInvariant()}-interleaved{(info.BigTiff ? ", BigTIFF" : "")}");
        o.WriteLine($"Overviews:   {(layout.Overviews.Count == 0 ? "none" : $"{layout.Overviews.Count}: " + string.Join(", ", layout.Overviews.Select(v => $"{v.Width}×{v.Height}")))}");
        o.WriteLine($"COG:         {(layout.IsCog ? "yes (Cloud-Optimized GeoTIFF layout)" : $"no ({layout.NotCogReason})")}");
        if (info.PixelIsPoint) o.WriteLine("Registration: AREA_OR_POINT=Point (origin shown at the pixel corner, as GDAL does)");
        for (int b = 0; b < info.BandCount; b++)
        {
            string line = $"Band {b + 1}:      {info.BandNames[b] ?? "(unnamed)"}";
            if (sums is var (sha, sum)) line += string.Create(ci, $"  sum={sum[b]} sha256={sha[b]}");
            o.WriteLine(line);
        }
    }
}
