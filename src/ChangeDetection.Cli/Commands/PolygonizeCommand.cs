using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ChangeDetection.Export;
using ChangeDetection.IO;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx polygonize MASK.tif OUT.gpkg [--connectivity 4|8] [--min-area M2] [--tile N] [--simplify M] [--fill-holes]</c>.</summary>
internal static class PolygonizeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var mask = new Argument<string>("mask") { Description = "Change mask GeoTIFF: 1 band of uint8, 0 = no change, 1.. = change (class), nodata = not change." };
        var output = new Argument<string>("output") { Description = "GeoPackage to create (overwritten); layer 'patches' in the mask's CRS." };
        var connectivity = new Option<int>("--connectivity") { Description = "4 (edge neighbours, default) or 8 (also corner neighbours).", DefaultValueFactory = _ => 4 };
        connectivity.AcceptOnlyFromAmong("4", "8");
        var minArea = new Option<double>("--min-area") { Description = "Minimum mapping unit in m² (default 400); smaller patches are dropped.", DefaultValueFactory = _ => PatchOptions.DefaultMinAreaM2 };
        var tile = new Option<int?>("--tile") { Description = "Tile size in pixels (a speed knob; results do not depend on it). Default: file blocks, ~1024." };
        var simplify = new Option<double?>("--simplify") { Description = "Simplification tolerance in metres (default half a pixel; 0 = exact staircase outlines)." };
        var fillHoles = new Option<bool>("--fill-holes") { Description = "Fill holes smaller than the minimum mapping unit." };
        var cmd = new Command("polygonize", "Turn a 0/1 change mask into monitoring patches (图斑): one polygon per connected component, with holes, m², 亩, centroid and lon/lat, written to a GeoPackage.")
        {
            mask, output, connectivity, minArea, tile, simplify, fillHoles,
        };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            double min = r.GetValue(minArea);
            if (min < 0 || double.IsNaN(min)) throw Usage.Error("polygonize", $"--min-area must be ≥ 0 m², got {min.ToString(CultureInfo.InvariantCulture)}.");
            int? tileSize = r.GetValue(tile);
            if (tileSize is <= 0) throw Usage.Error("polygonize", $"--tile must be a positive number of pixels, got {tileSize}.");
            double? tol = r.GetValue(simplify);
            if (tol is < 0) throw Usage.Error("polygonize", "--simplify must be ≥ 0 m.");
            string maskPath = r.GetValue(mask)!;
            if (!File.Exists(maskPath)) throw new ChangeDetectionException($"{maskPath}: no such file.");

            var clock = Stopwatch.StartNew();
            using var reader = GeoTiffReader.Open(maskPath);
            var source = new GeoTiffMaskSource(reader);
            var components = MaskPolygonizer.Polygonize(source, new PolygonizeOptions
            {
                Connectivity = r.GetValue(connectivity) == 8 ? Connectivity.Eight : Connectivity.Four,
                TileSize = tileSize,
            });
            var patches = PatchBuilder.Build(components, reader.Info.Grid, new PatchOptions
            {
                MinAreaM2 = min,
                SimplifyToleranceMetres = tol,
                FillHolesBelowMinArea = r.GetValue(fillHoles),
            });
            string outPath = r.GetValue(output)!;
            // Under a temporary name, then renamed: a failed write (a full disk) leaves the old file whole.
            AtomicFile.Write(outPath, tmp => GeoPackagePatchWriter.Write(tmp, patches, reader.Info.Crs));
            double total = patches.Sum(p => p.AreaM2);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{outPath}: {patches.Count} patches ({components.Count} components, {components.Count - patches.Count} below {min} m²), {total:F1} m² = {Geo.AreaUnits.ToMu(total):F2} 亩, {reader.Info.Crs}, {clock.Elapsed.TotalSeconds:F2} s"));
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
