using System.CommandLine;
using System.Globalization;
using System.Text.Json;
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
        var detection = new DetectionOptionsBinding();
        var cmd = new Command("eval", "Score change detection against labelled pairs (precision, recall, F1, IoU of the change class).") { pairs, before, after, truth, json, keep };
        detection.AddTo(cmd);
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            var options = detection.Bind(r);
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

    private static void Print(TextWriter stdout, List<(LabelledPair Pair, ChangeScore Score)> results, bool json)
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
                stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["source"] = source, ["pair"] = pair,
                    ["precision"] = Math.Round(s.Precision, 4), ["recall"] = Math.Round(s.Recall, 4),
                    ["f1"] = Math.Round(s.F1, 4), ["iou"] = Math.Round(s.IoU, 4),
                    ["tp"] = s.TruePositives, ["fp"] = s.FalsePositives, ["fn"] = s.FalseNegatives,
                }));
            }
            return;
        }
        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"{"source",-16} {"pair",-22} {"precision",9} {"recall",7} {"F1",6} {"IoU",6} {"tp",9} {"fp",9} {"fn",9}");
        foreach (var (source, pair, s) in lines)
            stdout.WriteLine(string.Create(ci, $"{source,-16} {pair ?? "(all)",-22} {s.Precision,9:0.000} {s.Recall,7:0.000} {s.F1,6:0.000} {s.IoU,6:0.000} {s.TruePositives,9} {s.FalsePositives,9} {s.FalseNegatives,9}"));
    }
}
