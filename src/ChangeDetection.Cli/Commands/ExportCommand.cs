using System.CommandLine;
using ChangeDetection.Export;
using ChangeDetection.Pipeline;

namespace ChangeDetection.Cli.Commands;

/// <summary>
/// <c>cdx export RUN_DIR [--province CODE] [--encoding utf-8|gbk] [--crs gk3|gk6|image|EPSG:N]</c>: writes the per-province
/// packages of a finished run again (e.g. GBK Shapefiles for an older desktop GIS) from what the run recorded
/// (run.json and run_tasks.json): no detection, and the config and model as they are now do not matter.
/// </summary>
internal static class ExportCommand
{
    private const string Name = "export";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runDir = new Argument<string>("run-dir") { Description = "The output folder of a finished 'cdx run' (holds run.json)." };
        var province = new Option<string?>("--province") { Description = "Export only this province (first two digits of XZQDM)." };
        var encoding = new Option<string?>("--encoding") { Description = "Shapefile text encoding: utf-8 or gbk (default: the run's, utf-8)." };
        var crs = CrsOption();
        var cmd = new Command(Name, "Write the per-province task packages of a finished run again (SHP, GPKG, GeoJSON, CSV, XLSX, KML, chips) from what it recorded.") { runDir, province, encoding, crs };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            string dir = Path.GetFullPath(r.GetValue(runDir)!);
            // Usage first, before any file is read.
            DbfEncoding? dbf = null;
            if (r.GetValue(encoding) is string word)
                dbf = ShapefileEncodings.Parse(word) ?? throw Usage.Error(Name, $"--encoding '{word}' is not utf-8 or gbk.");
            string? code = r.GetValue(province);
            if (code is not null && (code.Length != 2 || !code.All(char.IsAsciiDigit)))
                throw Usage.Error(Name, $"--province '{code}' is not a two-digit province code (the first two digits of XZQDM).");
            DeliveryCrs? delivery;
            try
            {
                delivery = ParseCrs(r.GetValue(crs));
            }
            catch (ChangeDetectionException e)
            {
                throw Usage.Error(Name, e.Message);
            }
            // Ctrl+C or SIGTERM stops the export as it stops a run's: between chips and provinces, nothing swapped in.
            var options = new RunExportOptions { Province = code, ShapefileEncoding = dbf, Crs = delivery };
            var result = Interrupt.Run(stderr, stop => RunExport.Execute(dir, options, stop), Interrupt.ExportMessage);
            if (code is not null && !result.TasksByProvince.ContainsKey(code))
                stdout.WriteLine($"province {code} has no verification tasks in this run: nothing written for it.");
            Summarise(stdout, result);
            return CdxApp.Ok;
        }));
        return cmd;
    }

    private static void Summarise(TextWriter stdout, RunExportResult result)
    {
        var region = result.Record.Region;
        stdout.WriteLine($"region {region.Code} {region.Name}, {region.Quarter}: exported {result.TasksByProvince.Values.Sum()} verification tasks (核查任务) of the run finished {result.Record.FinishedUtc}");
        foreach (var p in result.Packages) stdout.WriteLine($"  province {p.Province}: {p.TaskCount} tasks in {p.Folder}");
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
