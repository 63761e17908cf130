using System.CommandLine;
using System.Globalization;
using ChangeDetection.Classification;
using ChangeDetection.IO;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Review;
using ChangeDetection.Synthetic;

namespace ChangeDetection.Cli.Commands;

/// <summary>
/// <c>cdx train --synthetic-seeds 1,2,3 [--size 1536] [--labels FEATURES.csv] [--pairs PAIRS.csv] [--results FILE --run RUN_DIR [--result-column NAME]]
/// [--out MODEL.zip] [--pixel-model PIXEL.zip] [--trainer lightgbm|fasttree] [--folds 5] [--seed 1] [--test-seeds 7,8] [--work DIR] [--export-features CSV]</c>
/// (at least one of --out and --pixel-model; --pixel-model trains the learned per-pixel model on the pairs' labelled pixels):
/// labelled patches from synthetic regions, real labelled pairs, a labelled feature table and/or verification results
/// sent back by provinces (joined to the patches of the run they were exported from), a
/// cross-validated confusion matrix, the model, and <c>MODEL.metrics.txt</c> next to it.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var seeds = new Option<string?>("--synthetic-seeds") { Description = "Comma-separated seeds of the synthetic training regions." };
        var labels = new Option<string?>("--labels") { Description = "A labelled feature table (CSV with a 'label' column, as written by --export-features) to train on as well." };
        var results = new Option<string[]>("--results")
        {
            Description = "Verification results sent back by a province: the exported tasks (.csv, .xlsx, .shp, .gpkg, .geojson) with JCBH and a result column (class code or Chinese name; empty = not verified); 'review' for the verdicts of 'cdx review' in the --run folder. Repeatable, each with its --run.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var runs = new Option<string[]>("--run")
        {
            Description = "The output folder of the 'cdx run' the results' tasks were exported from (its patch_features.csv). One per --results, or one for all.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var resultColumn = new Option<string?>("--result-column") { Description = "The result column of --results (default: the first of HCJG, result, label)." };
        var pairs = new Option<string?>("--pairs") { Description = "Real labelled pairs (the CSV 'cdx eval --pairs' reads): each pair is detected, a patch mostly on changed truth pixels is a change (construction), one mostly on unchanged pixels pseudo-change." };
        var export = new Option<string?>("--export-features") { Description = "Write the synthetic training patches' features and labels to this CSV." };
        var size = new Option<int>("--size") { Description = "Synthetic region width and height in pixels.", DefaultValueFactory = _ => 1536 };
        var output = new Option<string?>("--out") { Description = "The patch classifier model file (.zip)." };
        var pixelModel = new Option<string?>("--pixel-model") { Description = "Also (or, without --out, only) train the learned per-pixel change model on the labelled pixels of --pairs, on the bands all pairs share, and write it here (.zip)." };
        var trainer = new Option<string>("--trainer") { Description = "lightgbm (default) or fasttree.", DefaultValueFactory = _ => "lightgbm" };
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds.", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Training and fold seed.", DefaultValueFactory = _ => 1 };
        var testSeeds = new Option<string?>("--test-seeds") { Description = "Comma-separated seeds of held-out synthetic regions to evaluate the final model on." };
        var work = new Option<string?>("--work") { Description = "Folder for the generated regions (default: a temporary folder, deleted afterwards)." };
        var cmd = new Command("train", "Train the patch classifier (change type, pseudo-change) on synthetic regions, real labelled pairs, feature tables and verification results.") { seeds, labels, pairs, results, runs, resultColumn, size, output, pixelModel, trainer, folds, seed, testSeeds, work, export };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var ci = CultureInfo.InvariantCulture;
            string? pixelPath = r.GetValue(pixelModel);
            if (pixelPath is not null)
            {
                if (r.GetValue(pairs) is not string pixelPairs)
                    throw Usage.Error("train", "--pixel-model trains on the labelled pixels of real pairs: give --pairs PAIRS.csv.");
                TrainPixelModel(stdout, pixelPairs, Path.GetFullPath(pixelPath), r.GetValue(seed));
                if (r.GetValue(output) is null) return CdxApp.Ok;
            }
            if (r.GetValue(output) is null)
                throw Usage.Error("train", "Give --out MODEL.zip (the patch classifier) and/or --pixel-model PIXEL.zip (the pixel model, with --pairs).");
            var trainSeeds = r.GetValue(seeds) is string ss ? ParseSeeds(ss, "--synthetic-seeds") : [];
            string? labelFile = r.GetValue(labels);
            var resultFiles = r.GetValue(results) ?? [];
            var runFolders = r.GetValue(runs) ?? [];
            string? pairList = r.GetValue(pairs);
            if (trainSeeds.Length == 0 && labelFile is null && resultFiles.Length == 0 && pairList is null)
                throw Usage.Error("train", "Nothing to train on: give --synthetic-seeds, --labels, --pairs, or --results with --run.");
            var realPairs = pairList is null ? [] : Evaluation.PairList.Read(pairList);
            IReadOnlyList<LabelledFeatures> labelled = labelFile is null ? [] : FeatureTable.Read(labelFile);
            // Verification results first: a wrong file or run folder is reported before minutes of synthetic regions.
            var feedback = Feedback(stdout, stderr, resultFiles, runFolders, r.GetValue(resultColumn));
            var heldOut = r.GetValue(testSeeds) is string t ? ParseSeeds(t, "--test-seeds") : [];
            var options = new PatchClassifierOptions
            {
                Seed = r.GetValue(seed),
                Trainer = r.GetValue(trainer)!.Trim().ToLowerInvariant() switch
                {
                    "lightgbm" => ClassifierTrainer.LightGbm,
                    "fasttree" => ClassifierTrainer.FastTree,
                    var other => throw Usage.Error("train", $"--trainer: '{other}' is not a trainer; use lightgbm or fasttree."),
                },
            };
            string model = Path.GetFullPath(r.GetValue(output)!);
            string? workDir = r.GetValue(work);
            bool temporary = workDir is null;
            workDir = Path.GetFullPath(workDir ?? Path.Combine(Path.GetTempPath(), "cdx-train-" + Guid.NewGuid().ToString("N")));
            var dataOptions = new SyntheticTrainingOptions { Size = r.GetValue(size) };
            try
            {
                var train = Samples(stdout, workDir, trainSeeds, dataOptions);
                var examples = train.Select(s => s.ToLabelled()).ToList();
                if (r.GetValue(export) is string exportFile)
                {
                    FeatureTable.Write(exportFile, train.Select(s => ($"seed{s.Seed}-patch{s.PatchId}", s.ToLabelled())));
                    stdout.WriteLine($"features: {Path.GetFullPath(exportFile)}");
                }
                if (labelled.Count > 0)
                {
                    stdout.WriteLine($"{labelFile}: {labelled.Count} labelled patches");
                    examples.AddRange(labelled);
                }
                foreach (var f in feedback) examples.AddRange(f.Examples);
                foreach (var pair in realPairs)
                {
                    var (_, patches) = Evaluation.ClassifiedEvaluation.Detect(pair, new Detection.ChangeDetectionOptions(), workDir);
                    var pairExamples = Evaluation.ClassifiedEvaluation.MajorityExamples(patches).ToList();
                    stdout.WriteLine($"pair {pair.Source}/{pair.Name}: {patches.Count} patches, {pairExamples.Count} labelled ({pairExamples.Count(e => e.Label != Tasks.ChangeClasses.Pseudo.Code)} change)");
                    examples.AddRange(pairExamples);
                }
                stdout.WriteLine($"{examples.Count} labelled patches: {string.Join(", ", examples.GroupBy(e => e.Label).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}");

                var cv = ClassifierMetrics.CrossValidate(examples, r.GetValue(folds), options);
                string report = $"{r.GetValue(folds)}-fold cross-validation ({options.Trainer}, seed {options.Seed}, {Source(trainSeeds, dataOptions.Size, labelFile, pairList, feedback)})\n" + cv.ToText();
                stdout.WriteLine();
                stdout.Write(report);

                var classifier = PatchClassifier.Train(examples, options);
                classifier.Save(model);
                if (heldOut.Length > 0)
                {
                    var test = Samples(stdout, workDir, heldOut, dataOptions);
                    var held = ClassifierMetrics.Compute(test.Select(s => (s.Label, classifier.Predict(s.Features))));
                    string heldReport = $"\nheld-out synthetic seeds {string.Join(",", heldOut)} (never seen in training)\n" + held.ToText();
                    stdout.Write(heldReport);
                    report += heldReport;
                }
                string metrics = MetricsPath(model);
                AtomicFile.WriteAllText(metrics, report);
                stdout.WriteLine();
                stdout.WriteLine(string.Create(ci, $"model: {model} (feature schema {PatchFeatures.SchemaVersion})"));
                stdout.WriteLine($"metrics: {metrics}");
            }
            finally
            {
                if (temporary)
                {
                    try { Directory.Delete(workDir, recursive: true); }
                    catch (IOException) { }
                }
            }
            return CdxApp.Ok;
        }));
        return cmd;
    }

    /// <summary>
    /// <c>--pixel-model</c>: draws the labelled pixels of every pair on the bands they all share, trains the pixel
    /// model and saves it; prints the pixels per pair, the bands, the features and the chosen threshold.
    /// </summary>
    private static void TrainPixelModel(TextWriter stdout, string pairList, string modelPath, int seed)
    {
        var pairs = Evaluation.PairList.Read(pairList);
        var bands = Evaluation.PixelModelEvaluation.CommonBands(pairs);
        var samples = new List<PixelModel.PixelSamples>();
        foreach (var pair in pairs)
        {
            var prepared = Evaluation.PixelModelEvaluation.Prepare(pair, new PixelModel.PixelSamplingOptions { Seed = seed }, bands);
            stdout.WriteLine($"pair {pair.Source}/{pair.Name}: {prepared.Samples.Count} labelled pixels drawn ({prepared.Samples.Labels.Count(l => l)} changed)");
            samples.Add(prepared.Samples);
        }
        var model = PixelModel.PixelChangeModel.Train(samples, new PixelModel.PixelModelOptions { Seed = seed });
        model.Save(modelPath);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pixel model: {modelPath} (feature schema {model.Schema.Version}, bands {string.Join(",", model.Bands.Select(b => b.Name()))}, {model.FeatureNames.Count} features, {(model.ThresholdRule == PixelModel.PixelThresholdRule.Scene ? $"threshold per scene (plug-in expected F1; fallback {model.Threshold:0.000})" : $"threshold {model.Threshold:0.000}")})"));
    }

    private static string Source(long[] seeds, int size, string? labels, string? pairs, IReadOnlyList<FeedbackExamples> feedback) =>
        string.Join("; ", new[] { seeds.Length > 0 ? $"synthetic seeds {string.Join(",", seeds)}, size {size}" : null, labels is null ? null : $"labels {labels}", pairs is null ? null : $"pairs {pairs}" }
            .Concat(feedback.Select(f => $"results {f.ResultsPath} (run {f.RunFolder})")).OfType<string>());

    /// <summary>
    /// The verified patches of every --results file, joined to its --run (paired in order, or one run
    /// for all): per file, the verified patches used per class on stdout, and on stderr a warning for
    /// results that name no patch of the run.
    /// </summary>
    private static List<FeedbackExamples> Feedback(TextWriter stdout, TextWriter stderr, string[] resultFiles, string[] runFolders, string? column)
    {
        if (resultFiles.Length == 0)
        {
            if (runFolders.Length > 0) throw Usage.Error("train", "--run names the run of --results FILE; give the results too.");
            if (column is not null) throw Usage.Error("train", "--result-column applies to --results; give the results too.");
            return [];
        }
        if (runFolders.Length == 0)
            throw Usage.Error("train", "--results needs --run RUN_DIR: the output folder of the 'cdx run' its tasks were exported from.");
        if (runFolders.Length != 1 && runFolders.Length != resultFiles.Length)
            throw Usage.Error("train", $"{resultFiles.Length} --results and {runFolders.Length} --run: give one --run per --results (in the same order), or one --run for all.");
        var all = new List<FeedbackExamples>();
        for (int i = 0; i < resultFiles.Length; i++)
        {
            string runFolder = runFolders[runFolders.Length == 1 ? 0 : i];
            var f = VerificationFeedback.Load(ResultsFile(resultFiles[i], runFolder), runFolder, column);
            foreach (var w in f.Warnings) stderr.WriteLine($"cdx: warning: {w}");
            if (f.NotInRun.Count > 0)
                stderr.WriteLine($"cdx: warning: {f.ResultsPath}: {f.NotInRun.Count} verified JCBH are no patch of the run in {f.RunFolder} ({VerificationFeedback.Sample(f.NotInRun)}); not used.");
            if (f.AreaMismatch.Count > 0)
                stderr.WriteLine($"cdx: warning: {f.ResultsPath}: {f.AreaMismatch.Count} verified JCBH name a patch of another area (TBMJ) in the run in {f.RunFolder} ({VerificationFeedback.Sample(f.AreaMismatch)}): the run was made again since the export; not used.");
            stdout.WriteLine($"{f.ResultsPath} ({f.Column}, run {f.RunFolder}): {f.Examples.Count} verified patches used: {string.Join(", ", f.ByClass.Select(c => $"{c.Class} {c.Count}"))}; {f.Unverified} not verified");
            all.Add(f);
        }
        return all;
    }

    /// <summary>
    /// The results file of <c>--results</c>: the word <c>review</c> is the verdict file <c>cdx review</c> keeps in the run
    /// folder (unless a file of that name exists), anything else a path.
    /// </summary>
    internal static string ResultsFile(string results, string runFolder)
    {
        if (results != ReviewVerdicts.ResultsKeyword || File.Exists(results)) return results;
        string verdicts = ReviewVerdicts.PathIn(runFolder);
        if (!File.Exists(verdicts))
            throw new ChangeDetectionException($"{verdicts}: no verdicts yet; review the run first with 'cdx review {runFolder}', or give the results file with --results FILE.");
        return verdicts;
    }

    /// <summary><c>MODEL.zip</c> → <c>MODEL.metrics.txt</c>.</summary>
    internal static string MetricsPath(string model) =>
        Path.Combine(Path.GetDirectoryName(model)!, Path.GetFileNameWithoutExtension(model) + ".metrics.txt");

    private static List<SyntheticPatchSample> Samples(TextWriter stdout, string workDir, long[] seeds, SyntheticTrainingOptions options)
    {
        var all = new List<SyntheticPatchSample>();
        foreach (long s in seeds)
        {
            var samples = SyntheticTrainingData.Build(Path.Combine(workDir, $"seed-{s}"), s, options);
            stdout.WriteLine($"synthetic seed {s}: {samples.Count} patches");
            all.AddRange(samples);
        }
        return all;
    }

    private static long[] ParseSeeds(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw Usage.Error("train", $"{option}: no seeds given.");
        return parts.Select(p => long.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
            ? v : throw Usage.Error("train", $"{option}: '{p}' is not an integer seed.")).ToArray();
    }
}
