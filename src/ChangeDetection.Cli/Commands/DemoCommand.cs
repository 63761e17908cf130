using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChangeDetection.Classification;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;

namespace ChangeDetection.Cli.Commands;

/// <summary>
/// <c>cdx demo [--out DIR] [--size 4096] [--seed 42] [--model MODEL.zip|none]</c>: the README's main job.
/// Generates the sample region (unless DIR already holds it), records the model in its region.json and
/// runs the whole pipeline on it with the embedded SQLite ledger, then says what it found and where.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<string>("--out") { Description = "Folder for the sample region and its outputs.", DefaultValueFactory = _ => "cdx-demo" };
        var size = new Option<int>("--size") { Description = "Sample width and height in pixels.", DefaultValueFactory = _ => 4096 };
        var seed = new Option<long>("--seed") { Description = "Sample seed.", DefaultValueFactory = _ => 42 };
        var model = new Option<string?>("--model") { Description = "Patch classifier model (default: the one shipped with cdx, models/classifier.zip; 'none' for no classifier)." };
        var cmd = new Command("demo", "Generate a sample region and run the whole pipeline on it with embedded SQLite.") { output, size, seed, model };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            string dir = Path.GetFullPath(r.GetValue(output)!);
            string regionFile = Path.Combine(dir, "region.json");
            var options = new SyntheticRegionOptions { Size = r.GetValue(size), Seed = r.GetValue(seed) };
            if (!SampleIsCurrent(dir, options))
            {
                RefuseUnlessDemoFolder(dir);
                // Marked before generating: a generation cut short is still recognised as a demo next time.
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, MarkerName), "made by cdx demo; 'cdx demo --out' may overwrite this folder\n");
                stdout.WriteLine($"generating the sample region ({options.Size} × {options.Size} px, seed {options.Seed}) in {dir}");
                ConsoleProgress.Run(stderr, p => SyntheticRegion.Generate(dir, options, p));
            }
            else
            {
                stdout.WriteLine($"using the sample region already in {dir}");
            }

            RecordModel(regionFile, r.GetValue(model));
            var config = RegionConfig.Load(regionFile);
            var run = new RegionRun(config, new RegionRunOptions { WriteMask = true, RestartIfChanged = true });
            if (run.ModelPath is string modelPath) stdout.WriteLine($"classifying patches with {modelPath}");
            var result = Interrupt.Run(stderr, stop => ConsoleProgress.Run(stderr, p => run.Execute(p, stop)));
            RunCommand.Summarise(stdout, config, result);
            stdout.WriteLine("To look at them, open the images and the patches together in a desktop GIS, e.g.:");
            stdout.WriteLine($"  qgis {Path.Combine(dir, "before.tif")} {Path.Combine(dir, "after.tif")} {Path.Combine(result.OutputFolder, "patches.gpkg")} {Path.Combine(dir, "truth.geojson")}");
            return CdxApp.Ok;
        }));
        return cmd;
    }

    /// <summary>
    /// Writes the model the demo runs with into its region.json (<c>model</c>: the file's full path, or
    /// <c>none</c>), so that <c>cdx run region.json</c> reproduces the demo's tasks in its output folder.
    /// </summary>
    private static void RecordModel(string regionFile, string? model)
    {
        string value = model switch
        {
            null => PatchClassifier.ShippedModelPath,
            PatchClassifier.NoModel => PatchClassifier.NoModel,
            _ => Path.GetFullPath(model),
        };
        if (value != PatchClassifier.NoModel && !File.Exists(value))
            throw new ChangeDetectionException(model is null
                ? $"{value}: the shipped classifier is missing; give --model MODEL.zip, or --model none for no classifier."
                : $"--model {model}: no such file; give a model from 'cdx train', or none.");
        var root = JsonNode.Parse(File.ReadAllText(regionFile))?.AsObject() ?? throw new ChangeDetectionException($"{regionFile}: not a JSON object.");
        if (root["model"] is JsonValue v && v.TryGetValue(out string? old) && old == value) return;
        root["model"] = value;
        File.WriteAllText(regionFile, root.ToJsonString(RegionJsonOptions) + "\n");
    }

    private static readonly JsonSerializerOptions RegionJsonOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The file <c>cdx demo</c> leaves in its folder: only such a folder (or an empty one) is written over.</summary>
    internal const string MarkerName = ".cdx-demo";

    /// <summary>
    /// Refuses to generate into a folder that is neither empty nor a demo (marker, or a sample's
    /// <c>synthetic.json</c>): it could hold a real region's <c>before.tif</c>/<c>after.tif</c>.
    /// </summary>
    private static void RefuseUnlessDemoFolder(string dir)
    {
        if (!Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any()) return;
        if (File.Exists(Path.Combine(dir, MarkerName)) || IsSample(Path.Combine(dir, "synthetic.json"))) return;
        throw new ChangeDetectionException($"{dir}: this folder is not empty and holds no demo made by 'cdx demo'; the demo would overwrite its files (before.tif, after.tif, region.json). Choose an empty or new folder with --out.");
    }

    private static bool IsSample(string record)
    {
        if (!File.Exists(record)) return false;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(record));
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && doc.RootElement.TryGetProperty("generator", out var g) && g.ValueKind == System.Text.Json.JsonValueKind.String && g.GetString() == "cdx sample";
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>The sample is reused when its record says it was made with the same size and seed.</summary>
    private static bool SampleIsCurrent(string dir, SyntheticRegionOptions options)
    {
        string record = Path.Combine(dir, "synthetic.json");
        if (!File.Exists(record) || !File.Exists(Path.Combine(dir, "region.json"))) return false;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(record));
            var root = doc.RootElement;
            return root.TryGetProperty("size", out var s) && s.GetInt32() == options.Size
                && root.TryGetProperty("seed", out var k) && k.GetInt64() == options.Seed;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
