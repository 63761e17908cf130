using System.CommandLine;
using System.Text.Json;
using ChangeDetection.Export;
using ChangeDetection.Pipeline;

namespace ChangeDetection.Cli.Commands;

/// <summary>
/// <c>cdx export RUN_DIR [--province CODE] [--encoding utf-8|gbk] [--crs gk3|gk6|image|EPSG:N]</c>: writes the per-province
/// packages of a finished run again (e.g. GBK Shapefiles for an older desktop GIS). The run's
/// ledger holds every tile, so this redoes only the vector stages and the export.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runDir = new Argument<string>("run-dir") { Description = "The output folder of a finished 'cdx run' (holds run.json)." };
        var province = new Option<string?>("--province") { Description = "Export only this province (first two digits of XZQDM)." };
        var encoding = new Option<string>("--encoding") { Description = "Shapefile text encoding: utf-8 (default) or gbk.", DefaultValueFactory = _ => "utf-8" };
        var crs = CrsOption();
        var cmd = new Command("export", "Write the per-province task packages of a finished run (SHP, GPKG, GeoJSON, CSV, XLSX, KML, chips).") { runDir, province, encoding, crs };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            string dir = Path.GetFullPath(r.GetValue(runDir)!);
            string runJson = Path.Combine(dir, "run.json");
            if (!File.Exists(runJson))
                throw new ChangeDetectionException($"{dir}: no run.json here; export needs the output folder of a finished 'cdx run'.");
            string configPath;
            int? tileSize = null;
            using (var doc = JsonDocument.Parse(File.ReadAllText(runJson)))
            {
                configPath = doc.RootElement.GetProperty("config").GetProperty("path").GetString()!;
                // The run's own tile size: the ledger's tiles are cut with it.
                if (doc.RootElement.TryGetProperty("parameters", out var p) && p.TryGetProperty("tile_size", out var t)) tileSize = t.GetInt32();
            }
            var dbf = r.GetValue(encoding)!.ToLowerInvariant() switch
            {
                "utf-8" or "utf8" => DbfEncoding.Utf8,
                "gbk" or "gb2312" or "cp936" => DbfEncoding.Gbk,
                var other => throw new ChangeDetectionException($"--encoding '{other}' is not utf-8 or gbk."),
            };
            string? code = r.GetValue(province);
            if (code is not null && (code.Length != 2 || !code.All(char.IsAsciiDigit)))
                throw new ChangeDetectionException($"--province '{code}' is not a two-digit province code (the first two digits of XZQDM).");
            var delivery = ParseCrs(r.GetValue(crs));
            var config = RegionConfig.Load(configPath);
            var result = ConsoleProgress.Run(stderr, p => RegionRun.Run(config, new RegionRunOptions { Output = dir, TileSize = tileSize, ShapefileEncoding = dbf, Province = code, DeliveryCrs = delivery }, p));
            if (code is not null && !result.TasksByProvince.ContainsKey(code))
                stdout.WriteLine($"province {code} has no verification tasks in this run: nothing written for it.");
            RunCommand.Summarise(stdout, config, result);
            return CdxApp.Ok;
        }));
        return cmd;
    }

    /// <summary>The <c>--crs</c> option of <c>run</c> and <c>export</c>.</summary>
    internal static Option<string?> CrsOption() => new("--crs")
    {
        Description = $"CRS of the packages' Shapefile and GeoPackage: {DeliveryCrs.Choices}; GeoJSON and KML are always EPSG:4490. Overrides the config's \"deliveryCrs\".",
    };

    /// <summary>Parses a <c>--crs</c> value; null when the option is absent.</summary>
    /// <exception cref="ChangeDetectionException">Not a delivery CRS setting.</exception>
    internal static DeliveryCrs? ParseCrs(string? text)
    {
        if (text is null) return null;
        try
        {
            return DeliveryCrs.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ChangeDetectionException($"--crs {e.Message}.");
        }
    }
}
