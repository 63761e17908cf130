using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Evaluation;
using ChangeDetection.Pipeline;
using ChangeDetection.Raster;
using ChangeDetection.Registration;

namespace ChangeDetection.Cli.Commands;

/// <summary>
/// <c>cdx eval --pairs PAIRS.csv [--json] [--model FILE|none] [--classifier off|loso|lopo] [--pixel-model PIXEL.zip]</c> or
/// <c>cdx eval --before A --after B --truth T</c>: scores on labelled pixels only what <c>cdx run</c>
/// delivers on labelled pairs (by default), or the detector alone or with a classifier trained on the
/// other pairs (<c>--classifier</c>; <c>lopo</c> also scores the learned pixel model left out by group),
/// and a given pixel model (<c>--pixel-model</c>), always next to the plain baseline (<see cref="BaselineDetector"/>).
/// </summary>
internal static class EvalCommand
{
    /// <summary>One scored line set: a method and its score per pair.</summary>
    private sealed record Scored(string Method, IReadOnlyList<(LabelledPair Pair, ChangeScore Score)> Results, IReadOnlyDictionary<string, object?> Extra)
    {
        /// <summary>Keys of one pair's line only (e.g. how its pixel model was held out).</summary>
        public IReadOnlyDictionary<LabelledPair, IReadOnlyDictionary<string, object?>> PerPair { get; init; } = new Dictionary<LabelledPair, IReadOnlyDictionary<string, object?>>();
    }

    /// <summary>The co-registration pass 1 found for a pair, as keys of its line (pixels of the pair grid, after(x + dx, y + dy) ≈ before(x, y); applied only with --register).</summary>
    private static IReadOnlyDictionary<string, object?> ShiftKeys(GlobalShift shift) => new Dictionary<string, object?>
    {
        ["shift_dx"] = Math.Round(shift.Dx, 3), ["shift_dy"] = Math.Round(shift.Dy, 3), ["shift_status"] = shift.Status.ToString(),
    };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var pairs = new Option<string?>("--pairs") { Description = "CSV of labelled pairs (columns source, pair, dir, optional group; dir relative to the CSV holds before.tif, after.tif, truth.tif)." };
        var before = new Option<string?>("--before") { Description = "One pair: the earlier image." };
        var after = new Option<string?>("--after") { Description = "One pair: the later image." };
        var truth = new Option<string?>("--truth") { Description = "One pair: the reference (uint8: 1 changed, 0 unchanged, 255 unlabelled)." };
        var json = new Option<bool>("--json") { Description = "One JSON object per line: method (product, baseline, kernel, loso, lopo, pixel-model, pixel-lopo), source, pair (null for a source total, which also has f1_mean), precision, recall, f1, iou, tp, fp, fn." };
        var keep = new Option<string?>("--keep-masks") { Description = "Folder to keep the masks in (default: a temporary folder, deleted)." };
        var model = new Option<string?>("--model") { Description = "Patch classifier of the product score (default: the shipped models/classifier.zip, as cdx run; 'none': no classifier, only the default minimum mapping unit applies)." };
        var classifier = new Option<string?>("--classifier") { Description = "Score the detector instead of the product: off (the detector mask alone), or loso/lopo (also with pseudo-change patches removed by a classifier trained leave-one-source-out or leave-one-group-out, never on the pair scored)." };
        var pseudoConfidence = new Option<double?>("--pseudo-confidence") { Description = $"A patch called pseudo-change with at least this confidence gives no task (default {RegionRun.DefaultPseudoConfidence}, as cdx run) or, with --classifier loso|lopo, is removed (default {ClassifiedEvaluation.DefaultPseudoConfidence})." };
        var pixelModel = new Option<string?>("--pixel-model") { Description = "Learned pixel model (cdx train --pixel-model) deciding the product's mask, as cdx run --pixel-model does ('none', the default: the detector's threshold, as cdx run without one); also scores its mask alone, method pixel-model. Pairs without the model's bands are skipped with a warning." };
        var detection = new DetectionOptionsBinding("eval");
        var beforeBands = new Option<string[]>("--before-bands") { Description = "One pair, with --pixel-model: the before date's band files for the model (a folder of Sentinel-2 band files named as ESA names them, e.g. OSCD's bands_1, or such files; repeatable), as cdx detect; a pairs CSV names them in its beforeBands/afterBands columns." };
        var afterBands = new Option<string[]>("--after-bands") { Description = "One pair, with --pixel-model: the after date's band files, as --before-bands (every band in both)." };
        var skipPixelLopo = new Option<bool>("--skip-pixel-lopo") { Description = "With --classifier lopo: score only the patch classifier, not the pixel model left out by group (which trains one model per group: minutes on two dozen pairs)." };
        var cmd = new Command("eval", "Score what cdx run delivers on labelled pairs (precision, recall, F1, IoU of the change class), next to a plain baseline.") { pairs, before, after, truth, json, keep, model, classifier, pseudoConfidence, pixelModel, beforeBands, afterBands, skipPixelLopo };
        detection.AddTo(cmd);
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var options = detection.Bind(r);
            string? mode = r.GetValue(classifier);
            if (mode is not (null or "off" or "loso" or "lopo"))
                throw Usage.Error("eval", $"--classifier '{mode}' is not off, loso or lopo.");
            if (mode is not null && r.GetValue(model) is not null)
                throw Usage.Error("eval", "--model sets the classifier of the product score; --classifier scores the detector with classifiers trained on the other pairs. Give one of them.");
            if (r.GetValue(pseudoConfidence) is double c && c is not (>= 0 and <= 1))
                throw Usage.Error("eval", $"--pseudo-confidence {c.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1.");
            // As in cdx run: a confidence with no classifier to be confident would change nothing.
            if (r.GetValue(pseudoConfidence) is not null && (mode == "off" || (mode is null && r.GetValue(model) == PatchClassifier.NoModel)))
                throw Usage.Error("eval", $"--pseudo-confidence needs a patch classifier, and {(mode == "off" ? "--classifier off" : "--model none")} scores without one; drop --pseudo-confidence or give a model.");
            string[] givenBefore = r.GetValue(beforeBands) ?? [], givenAfter = r.GetValue(afterBands) ?? [];
            if (r.GetValue(pairs) is not null && givenBefore.Length + givenAfter.Length > 0)
                throw Usage.Error("eval", "--before-bands and --after-bands go with --before/--after (one pair); a pairs CSV names each pair's band files in its beforeBands and afterBands columns.");
            var list = Pairs(r.GetValue(pairs), r.GetValue(before), r.GetValue(after), r.GetValue(truth));
            var bandFiles = DetectCommand.BandFiles("eval", givenBefore, givenAfter, r.GetValue(pixelModel) is string p && p != RegionConfig.PixelModelNone);
            if (bandFiles.Count > 0) list = [list[0] with { ExtraBands = bandFiles }];
            bool asJson = r.GetValue(json);

            // A folder of its own per evaluation: two in one process (a host, the tests) must not share one.
            string maskDir = r.GetValue(keep) ?? Directory.CreateTempSubdirectory("cdx-eval-").FullName;
            Directory.CreateDirectory(maskDir);
            try
            {
                string? pixelPath = r.GetValue(pixelModel) is string given && given != RegionConfig.PixelModelNone ? Path.GetFullPath(given) : null;
                var pixel = pixelPath is null ? null : PixelModel.PixelChangeModel.Load(pixelPath);
                var scored = mode switch
                {
                    null => new List<Scored> { Product(stderr, list, options, ModelPath(r.GetValue(model)), r.GetValue(pseudoConfidence) ?? RegionRun.DefaultPseudoConfidence, maskDir, asJson, pixel, pixelPath) },
                    "off" => new List<Scored> { Kernel(stderr, list, options, maskDir, asJson) },
                    _ => WithClassifier(stderr, list, options, maskDir, asJson, mode == "loso" ? HoldOut.Source : HoldOut.Group, mode,
                        r.GetValue(pseudoConfidence) ?? ClassifiedEvaluation.DefaultPseudoConfidence),
                };
                if (mode == "lopo" && !r.GetValue(skipPixelLopo)) scored.Add(PixelLopo(stderr, list, options, maskDir, asJson));
                if (pixel is not null) scored.Add(PixelScored(stderr, list, pixel, pixelPath!, options, maskDir, asJson));
                var baseline = Baseline(stderr, list, options.TileSize, maskDir, asJson);
                Print(stdout, scored, baseline, asJson);
            }
            finally
            {
                if (r.GetValue(keep) is null) Directory.Delete(maskDir, recursive: true);
            }
            return CdxApp.Ok;
        }));
        return cmd;
    }

    private static IReadOnlyList<LabelledPair> Pairs(string? csv, string? before, string? after, string? truth)
    {
        if (csv is not null) return PairList.Read(csv);
        if (before is null || after is null || truth is null)
            throw Usage.Error("eval", "give either --pairs PAIRS.csv, or all of --before, --after and --truth.");
        return [new LabelledPair("pair", Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(truth))) ?? "pair", "") { Before = before, After = after, Truth = truth }];
    }

    /// <summary>The product's classifier: the shipped model by default (as a region config without "model"), none, or a file.</summary>
    private static string? ModelPath(string? given)
    {
        if (given == Classification.PatchClassifier.NoModel) return null;
        if (given is not null) return Path.GetFullPath(given);
        string shipped = Classification.PatchClassifier.ShippedModelPath;
        return File.Exists(shipped) ? shipped
            : throw new ChangeDetectionException($"{shipped}: the shipped classifier, which cdx run uses by default, is missing; give --model FILE, or --model none to score without a classifier.");
    }

    /// <summary>
    /// The default: each pair's detector mask (decided by the pixel model where one is given, as cdx run with it) reduced
    /// to the patches that become tasks under cdx run's rules.
    /// </summary>
    private static Scored Product(TextWriter stderr, IReadOnlyList<LabelledPair> list, ChangeDetectionOptions options, string? modelPath, double pseudoConfidence, string maskDir, bool json,
        PixelModel.PixelChangeModel? pixel, string? pixelPath)
    {
        var rules = ProductRules.Load(modelPath, pseudoConfidence);
        var results = new List<(LabelledPair, ChangeScore)>();
        var shifts = new Dictionary<LabelledPair, IReadOnlyDictionary<string, object?>>();
        foreach (var pair in list)
        {
            if (pixel is not null && MissingBands(stderr, pair, pixel, pixelPath!)) continue;
            var masks = ProductEvaluation.Detect(pair, options, rules, maskDir, pixelModel: pixel);
            shifts[pair] = ShiftKeys(masks.Registration);
            var score = MaskEvaluation.Score(masks.ProductMaskPath, pair.Truth);
            results.Add((pair, score));
            if (!json) stderr.WriteLine($"{pair.Source}/{pair.Name}: {masks.Candidates.Count} candidate patches, {masks.Tasks} tasks, {masks.PseudoPatches} pseudo-change; F1 {score.F1:0.000}");
        }
        return new Scored("product", results, new Dictionary<string, object?> { ["model"] = modelPath, ["pseudo_confidence"] = pseudoConfidence, ["pixel_model"] = pixelPath }) { PerPair = shifts };
    }

    /// <summary><c>--classifier off</c>: the detector mask alone.</summary>
    private static Scored Kernel(TextWriter stderr, IReadOnlyList<LabelledPair> list, ChangeDetectionOptions options, string maskDir, bool json)
    {
        var results = new List<(LabelledPair, ChangeScore)>();
        var shifts = new Dictionary<LabelledPair, IReadOnlyDictionary<string, object?>>();
        foreach (var pair in list)
        {
            string mask = Path.Combine(maskDir, $"{pair.Source}_{pair.Name}_mask.tif");
            using (var scene = ScenePair.Open(pair.Before, pair.After))
                shifts[pair] = ShiftKeys(ChangeDetector.Detect(scene, mask, options).Registration);
            var score = MaskEvaluation.Score(mask, pair.Truth);
            results.Add((pair, score));
            if (!json) stderr.WriteLine($"{pair.Source}/{pair.Name}: F1 {score.F1:0.000}");
        }
        return new Scored("kernel", results, new Dictionary<string, object?> { ["classifier"] = "off" }) { PerPair = shifts };
    }

    /// <summary>The baseline's score of every pair, the reference line of every report.</summary>
    private static Scored Baseline(TextWriter stderr, IReadOnlyList<LabelledPair> list, int tileSize, string maskDir, bool json)
    {
        var results = new List<(LabelledPair, ChangeScore)>();
        foreach (var pair in list)
        {
            string mask = Path.Combine(maskDir, $"{pair.Source}_{pair.Name}_baseline.tif");
            using (var scene = ScenePair.Open(pair.Before, pair.After))
                BaselineDetector.Detect(scene, mask, tileSize);
            var score = MaskEvaluation.Score(mask, pair.Truth);
            results.Add((pair, score));
            if (!json) stderr.WriteLine($"{pair.Source}/{pair.Name}: baseline F1 {score.F1:0.000}");
        }
        return new Scored("baseline", results, new Dictionary<string, object?>());
    }

    /// <summary>Scores every pair with the detector alone, then with pseudo-change patches removed by a classifier trained on the pairs <paramref name="holdOut"/> allows.</summary>
    private static List<Scored> WithClassifier(TextWriter stderr, IReadOnlyList<LabelledPair> list, ChangeDetectionOptions options, string maskDir, bool json, HoldOut holdOut, string mode, double pseudoConfidence)
    {
        var detected = list.Select(p =>
        {
            var (mask, patches) = ClassifiedEvaluation.Detect(p, options, maskDir);
            if (!json) stderr.WriteLine($"{p.Source}/{p.Name}: {patches.Count} patches, {patches.Count(x => x.ChangedFraction is not null)} labelled");
            return (Pair: p, Mask: mask, Patches: patches);
        }).ToList();
        var off = detected.Select(d => (d.Pair, MaskEvaluation.Score(d.Mask, d.Pair.Truth))).ToList();
        var on = new List<(LabelledPair Pair, ChangeScore Score)>();
        foreach (var d in detected)
        {
            var others = detected.Where(o => ClassifiedEvaluation.MayTrainOn(o.Pair, d.Pair, holdOut)).SelectMany(o => o.Patches).ToList();
            Classification.PatchClassifier model;
            try { model = ClassifiedEvaluation.Train(others); }
            catch (ChangeDetectionException e) { throw new ChangeDetectionException($"{mode} for {d.Pair.Source}/{d.Pair.Name}: {e.Message}", e); }
            string cleaned = Path.Combine(maskDir, $"{d.Pair.Source}_{d.Pair.Name}_classified.tif");
            int removed = ClassifiedEvaluation.RemovePseudo(d.Mask, d.Patches, model, pseudoConfidence, cleaned);
            if (!json) stderr.WriteLine($"{d.Pair.Source}/{d.Pair.Name}: classifier (trained on {others.Count(x => x.ChangedFraction is not null)} patches of other {(holdOut == HoldOut.Source ? "sources" : "groups")}) removed {removed} of {d.Patches.Count} patches");
            on.Add((d.Pair, MaskEvaluation.Score(cleaned, d.Pair.Truth)));
        }
        return
        [
            new Scored("kernel", off, new Dictionary<string, object?> { ["classifier"] = "off" }),
            new Scored(mode, on, new Dictionary<string, object?> { ["classifier"] = "on", ["pseudo_confidence"] = pseudoConfidence }),
        ];
    }

    /// <summary><c>--pixel-model FILE</c>: the mask of a trained pixel model on every pair that has its bands.</summary>
    private static Scored PixelScored(TextWriter stderr, IReadOnlyList<LabelledPair> list, PixelModel.PixelChangeModel model, string modelPath, ChangeDetectionOptions options, string maskDir, bool json)
    {
        var results = new List<(LabelledPair, ChangeScore)>();
        foreach (var pair in list)
        {
            if (MissingBands(stderr, pair, model, modelPath)) continue;
            var s = PixelModelEvaluation.Score(pair, model, maskDir, options.TileSize, morphology: PixelModel.MaskMorphology.Of(options));
            results.Add((pair, s.Score));
            if (!json) stderr.WriteLine($"{pair.Source}/{pair.Name}: pixel model F1 {s.Score.F1:0.000}");
        }
        return new Scored("pixel-model", results, new Dictionary<string, object?> { ["pixel_model"] = modelPath, ["threshold"] = Math.Round(model.Threshold, 4),
            ["threshold_rule"] = model.ThresholdRule == PixelModel.PixelThresholdRule.Scene ? "scene" : "model" });
    }

    /// <summary>True (with a warning) when the pair lacks one of the pixel model's bands: it cannot score the pair.</summary>
    private static bool MissingBands(TextWriter stderr, LabelledPair pair, PixelModel.PixelChangeModel model, string modelPath)
    {
        using var scene = pair.OpenForPixelModel();
        var missing = model.Bands.Where(b => !scene.Bands.Contains(b)).ToList();
        if (missing.Count == 0) return false;
        stderr.WriteLine($"cdx: warning: {pair.Source}/{pair.Name} has no {string.Join(",", missing.Select(b => b.Name()))} band; the pixel model {modelPath} does not score it.");
        return true;
    }

    /// <summary><c>--classifier lopo</c>: the pixel model trained leave-one-group-out (see <see cref="PixelModelEvaluation.LeaveOneGroupOut"/>), with the detector's morphology.</summary>
    private static Scored PixelLopo(TextWriter stderr, IReadOnlyList<LabelledPair> list, ChangeDetectionOptions options, string maskDir, bool json)
    {
        var scores = PixelModelEvaluation.LeaveOneGroupOut(list, maskDir, tileSize: options.TileSize, log: json ? null : stderr.WriteLine, morphology: PixelModel.MaskMorphology.Of(options));
        return new Scored("pixel-lopo", [.. scores.Select(s => (s.Pair, s.Score))], new Dictionary<string, object?>())
        {
            PerPair = scores.ToDictionary(s => s.Pair, s => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["holdout"] = s.HoldOut == PixelHoldOut.Group ? "group" : "spatial-2x2-folds",
                ["training_pixels"] = s.TrainingPixels,
                ["threshold"] = Math.Round(s.Threshold, 4),
            }),
        };
    }

    /// <summary>One line: a pair, or a source total (pair null) with the mean of its pairs' F1.</summary>
    private sealed record Line(string Source, string? Pair, ChangeScore Score, double? F1Mean);

    /// <summary>Per pair, then per source: the pooled counts and the mean of the per-pair F1s (a source is not one big pair).</summary>
    private static List<Line> Lines(IReadOnlyList<(LabelledPair Pair, ChangeScore Score)> results)
    {
        var lines = new List<Line>();
        foreach (var group in results.GroupBy(x => x.Pair.Source))
        {
            foreach (var (pair, score) in group) lines.Add(new Line(pair.Source, pair.Name, score, null));
            lines.Add(new Line(group.Key, null, group.Aggregate(default(ChangeScore), (acc, x) => acc + x.Score), group.Average(x => x.Score.F1)));
        }
        return lines;
    }

    private static void Print(TextWriter stdout, IReadOnlyList<Scored> scored, Scored baseline, bool json)
    {
        var baselineBySource = Lines(baseline.Results).Where(l => l.Pair is null).ToDictionary(l => l.Source);
        if (json)
        {
            foreach (var set in scored.Append(baseline))
                foreach (var line in Lines(set.Results))
                {
                    var values = JsonLine(set, line);
                    var pair = line.Pair is null ? null : set.Results.First(x => x.Pair.Name == line.Pair && x.Pair.Source == line.Source).Pair;
                    if (pair is not null && set.PerPair.TryGetValue(pair, out var extra))
                        foreach (var (key, value) in extra) values[key] = value;
                    stdout.WriteLine(JsonSerializer.Serialize(values));
                }
            return;
        }
        var ci = CultureInfo.InvariantCulture;
        foreach (var set in scored)
        {
            stdout.WriteLine(Title(set));
            stdout.WriteLine($"{"source",-16} {"pair",-22} {"precision",9} {"recall",7} {"F1",6} {"IoU",6} {"tp",9} {"fp",9} {"fn",9} {"F1 mean",7} {"ΔF1 vs baseline",15}");
            foreach (var l in Lines(set.Results))
            {
                var s = l.Score;
                string text = string.Create(ci, $"{l.Source,-16} {l.Pair ?? "(all)",-22} {s.Precision,9:0.000} {s.Recall,7:0.000} {s.F1,6:0.000} {s.IoU,6:0.000} {s.TruePositives,9} {s.FalsePositives,9} {s.FalseNegatives,9}");
                if (l.F1Mean is double mean)
                    text += string.Create(ci, $" {mean,7:0.000} {s.F1 - baselineBySource[l.Source].Score.F1,15:+0.000;-0.000;0.000}");
                stdout.WriteLine(text);
            }
        }
        stdout.WriteLine("baseline (per-date z-scores, change-vector magnitude, Otsu, 3×3 opening):");
        foreach (var l in baselineBySource.Values)
        {
            var s = l.Score;
            stdout.WriteLine(string.Create(ci, $"{l.Source,-16} {"(all) baseline",-22} {s.Precision,9:0.000} {s.Recall,7:0.000} {s.F1,6:0.000} {s.IoU,6:0.000} {s.TruePositives,9} {s.FalsePositives,9} {s.FalseNegatives,9} {l.F1Mean,7:0.000}"));
        }
    }

    private static string Title(Scored set) => set.Method switch
    {
        "product" => $"product (what cdx run delivers; classifier {set.Extra["model"] ?? "none"}, pseudo-confidence {Convert.ToString(set.Extra["pseudo_confidence"], CultureInfo.InvariantCulture)}{(set.Extra["pixel_model"] is string p ? $", mask decided by pixel model {p}" : "")}):",
        "kernel" => "classifier off (kernel alone):",
        "loso" => "classifier on (leave-one-source-out):",
        "pixel-lopo" => "pixel model, leave-one-group-out (pairs alone with their bands: 2×2 spatial folds):",
        "pixel-model" => $"pixel model {set.Extra["pixel_model"]} (threshold {Convert.ToString(set.Extra["threshold"], CultureInfo.InvariantCulture)}):",
        _ => "classifier on (leave-one-group-out):",
    };

    private static Dictionary<string, object?> JsonLine(Scored set, Line l)
    {
        var s = l.Score;
        var line = new Dictionary<string, object?>
        {
            ["method"] = set.Method, ["source"] = l.Source, ["pair"] = l.Pair,
            ["precision"] = Math.Round(s.Precision, 4), ["recall"] = Math.Round(s.Recall, 4),
            ["f1"] = Math.Round(s.F1, 4), ["iou"] = Math.Round(s.IoU, 4),
            ["tp"] = s.TruePositives, ["fp"] = s.FalsePositives, ["fn"] = s.FalseNegatives,
        };
        if (l.F1Mean is double mean) line["f1_mean"] = Math.Round(mean, 4);
        foreach (var (key, value) in set.Extra) line[key] = value;
        return line;
    }
}
