using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ChangeDetection.Classification;
using ChangeDetection.Detection;
using ChangeDetection.Evaluation;
using ChangeDetection.Raster;

namespace ChangeDetection.Cli.Commands;

/// <summary>
/// <c>cdx eval --pairs PAIRS.csv [--json]</c> or <c>cdx eval --before A --after B --truth T</c>:
/// runs detection on labelled pairs and scores the masks on labelled pixels only.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var pairs = new Option<string?>("--pairs") { Description = "CSV of labelled pairs (columns source, pair, dir; dir relative to the CSV holds before.tif, after.tif, truth.tif)." };
        var before = new Option<string?>("--before") { Description = "One pair: the earlier image." };
        var after = new Option<string?>("--after") { Description = "One pair: the later image." };
        var truth = new Option<string?>("--truth") { Description = "One pair: the reference (uint8: 1 changed, 0 unchanged, 255 unlabelled)." };
        var json = new Option<bool>("--json") { Description = "One JSON object per line: source, pair (null for a source total), precision, recall, f1, iou, tp, fp, fn." };
        var keep = new Option<string?>("--keep-masks") { Description = "Folder to keep the masks in (default: a temporary folder, deleted)." };
        var classifier = new Option<string>("--classifier") { Description = "off (default); loso or lopo: also score with the patch classifier trained leave-one-source-out or leave-one-pair-out, never on the pair scored.", DefaultValueFactory = _ => "off" };
        var pseudoConfidence = new Option<double>("--pseudo-confidence") { Description = $"With a classifier: remove a patch called pseudo-change with at least this confidence (the expected unchanged share of the patch; default {ClassifiedEvaluation.DefaultPseudoConfidence}).", DefaultValueFactory = _ => ClassifiedEvaluation.DefaultPseudoConfidence };
        var detection = new DetectionOptionsBinding();
        var cmd = new Command("eval", "Score change detection against labelled pairs (precision, recall, F1, IoU of the change class).") { pairs, before, after, truth, json, keep, classifier, pseudoConfidence };
        detection.AddTo(cmd);
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var options = detection.Bind(r);
            string mode = r.GetValue(classifier)!;
            if (mode is not ("off" or "loso" or "lopo"))
                throw new ChangeDetectionException($"--classifier '{mode}' is not off, loso or lopo.");
            IReadOnlyList<LabelledPair> list;
            if (r.GetValue(pairs) is string csv)
            {
                list = PairList.Read(csv);
            }
            else
            {
                string? b = r.GetValue(before), a = r.GetValue(after), t = r.GetValue(truth);
                if (b is null || a is null || t is null)
                    throw new ChangeDetectionException("give either --pairs PAIRS.csv, or all of --before, --after and --truth.");
                list = [new LabelledPair("pair", Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(t))) ?? "pair", "") { Before = b, After = a, Truth = t }];
            }

            string maskDir = r.GetValue(keep) ?? Path.Combine(Path.GetTempPath(), $"cdx-eval-{Environment.ProcessId}");
            Directory.CreateDirectory(maskDir);
            try
            {
                if (mode != "off")
                {
                    EvaluateWithClassifier(stdout, stderr, list, options, maskDir, r.GetValue(json), mode, r.GetValue(pseudoConfidence));
                    return CdxApp.Ok;
                }
                var results = new List<(LabelledPair Pair, ChangeScore Score)>();
                foreach (var pair in list)
                {
                    string mask = Path.Combine(maskDir, $"{pair.Source}_{pair.Name}_mask.tif");
                    using (var scene = ScenePair.Open(pair.Before, pair.After))
                        ChangeDetector.Detect(scene, mask, options);
                    var score = MaskEvaluation.Score(mask, pair.Truth);
                    results.Add((pair, score));
                    if (!r.GetValue(json)) stderr.WriteLine($"{pair.Source}/{pair.Name}: F1 {score.F1:0.000}");
                }
                Print(stdout, results, r.GetValue(json));
            }
            finally
            {
                if (r.GetValue(keep) is null) Directory.Delete(maskDir, recursive: true);
            }
            return CdxApp.Ok;
        }));
        return cmd;
    }

    /// <summary>Scores every pair with the kernel alone, then with pseudo-change patches removed by a classifier trained on the other sources.</summary>
    private static void EvaluateWithClassifier(TextWriter stdout, TextWriter stderr, IReadOnlyList<LabelledPair> list, ChangeDetectionOptions options, string maskDir, bool json, string mode, double pseudoConfidence)
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
            var others = detected.Where(o => !ReferenceEquals(o.Pair, d.Pair) && (mode == "lopo" || o.Pair.Source != d.Pair.Source))
                .SelectMany(o => o.Patches).ToList();
            PatchClassifier model;
            try { model = ClassifiedEvaluation.Train(others); }
            catch (ChangeDetectionException e) { throw new ChangeDetectionException($"{mode} for {d.Pair.Source}/{d.Pair.Name}: {e.Message}", e); }
            {
                string cleaned = Path.Combine(maskDir, $"{d.Pair.Source}_{d.Pair.Name}_classified.tif");
                int removed = ClassifiedEvaluation.RemovePseudo(d.Mask, d.Patches, model, pseudoConfidence, cleaned);
                if (!json) stderr.WriteLine($"{d.Pair.Source}/{d.Pair.Name}: classifier (trained on {others.Count(x => x.ChangedFraction is not null)} patches of other pairs) removed {removed} of {d.Patches.Count} patches");
                on.Add((d.Pair, MaskEvaluation.Score(cleaned, d.Pair.Truth)));
            }
        }
        if (!json) stdout.WriteLine("classifier off (kernel alone):");
        Print(stdout, off, json, json ? "off" : null);
        if (!json) stdout.WriteLine($"classifier on ({(mode == "loso" ? "leave-one-source-out" : "leave-one-pair-out")}):");
        Print(stdout, on, json, json ? "on" : null);
    }

    private static void Print(TextWriter stdout, List<(LabelledPair Pair, ChangeScore Score)> results, bool json, string? classifier = null)
    {
        var lines = new List<(string Source, string? Pair, ChangeScore Score)>();
        foreach (var group in results.GroupBy(x => x.Pair.Source))
        {
            foreach (var (pair, score) in group) lines.Add((pair.Source, pair.Name, score));
            lines.Add((group.Key, null, group.Aggregate(default(ChangeScore), (acc, x) => acc + x.Score)));
        }
        if (json)
        {
            foreach (var (source, pair, s) in lines)
            {
                var line = new Dictionary<string, object?>
                {
                    ["source"] = source, ["pair"] = pair,
                    ["precision"] = Math.Round(s.Precision, 4), ["recall"] = Math.Round(s.Recall, 4),
                    ["f1"] = Math.Round(s.F1, 4), ["iou"] = Math.Round(s.IoU, 4),
                    ["tp"] = s.TruePositives, ["fp"] = s.FalsePositives, ["fn"] = s.FalseNegatives,
                };
                if (classifier is not null) line["classifier"] = classifier;
                stdout.WriteLine(JsonSerializer.Serialize(line));
            }
            return;
        }
        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"{"source",-16} {"pair",-22} {"precision",9} {"recall",7} {"F1",6} {"IoU",6} {"tp",9} {"fp",9} {"fn",9}");
        foreach (var (source, pair, s) in lines)
            stdout.WriteLine(string.Create(ci, $"{source,-16} {pair ?? "(all)",-22} {s.Precision,9:0.000} {s.Recall,7:0.000} {s.F1,6:0.000} {s.IoU,6:0.000} {s.TruePositives,9} {s.FalsePositives,9} {s.FalseNegatives,9}"));
    }
}
