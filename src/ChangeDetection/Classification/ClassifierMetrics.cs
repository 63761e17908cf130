using System.Globalization;
using System.Text;
using ChangeDetection.Tasks;

namespace ChangeDetection.Classification;

/// <summary>Precision, recall and F1 of one class.</summary>
public sealed record ClassScore(string Class, int Support, int Predicted, double Precision, double Recall, double F1);

/// <summary>
/// A confusion matrix over change class codes with the figures read off it, plus pseudo-change
/// removal: a patch is removed when it is predicted pseudo with confidence ≥ the removal threshold.
/// </summary>
public sealed class ClassifierMetrics
{
    private ClassifierMetrics(IReadOnlyList<string> classes, int[,] matrix, int pseudoRemoved, int pseudoTotal, int realKept, int realTotal, double removalConfidence)
    {
        Classes = classes;
        Matrix = matrix;
        RemovalConfidence = removalConfidence;
        PseudoTotal = pseudoTotal;
        RealTotal = realTotal;
        PseudoRemoved = pseudoTotal > 0 ? (double)pseudoRemoved / pseudoTotal : double.NaN;
        RealKept = realTotal > 0 ? (double)realKept / realTotal : double.NaN;
        var scores = new List<ClassScore>();
        for (int i = 0; i < classes.Count; i++)
        {
            int tp = matrix[i, i], support = 0, predicted = 0;
            for (int j = 0; j < classes.Count; j++) { support += matrix[i, j]; predicted += matrix[j, i]; }
            double p = predicted > 0 ? (double)tp / predicted : 0, r = support > 0 ? (double)tp / support : 0;
            scores.Add(new ClassScore(classes[i], support, predicted, p, r, p + r > 0 ? 2 * p * r / (p + r) : 0));
        }
        PerClass = scores;
        var present = scores.Where(s => s.Support > 0).ToList();
        MacroF1 = present.Count > 0 ? present.Average(s => s.F1) : double.NaN;
        var changes = present.Where(s => s.Class != ChangeClasses.Pseudo.Code && s.Class != ChangeClasses.Unclassified.Code).ToList();
        ChangeTypeMacroF1 = changes.Count > 0 ? changes.Average(s => s.F1) : double.NaN;
        int total = 0, correct = 0;
        for (int i = 0; i < classes.Count; i++)
            for (int j = 0; j < classes.Count; j++) { total += matrix[i, j]; if (i == j) correct += matrix[i, j]; }
        Total = total;
        Accuracy = total > 0 ? (double)correct / total : double.NaN;
    }

    /// <summary>Class codes, rows (truth) and columns (prediction) of <see cref="Matrix"/>.</summary>
    public IReadOnlyList<string> Classes { get; }
    /// <summary>[truth, predicted] counts.</summary>
    public int[,] Matrix { get; }
    public IReadOnlyList<ClassScore> PerClass { get; }
    public int Total { get; }
    public double Accuracy { get; }
    /// <summary>Mean F1 over the classes present in the truth.</summary>
    public double MacroF1 { get; }
    /// <summary>Mean F1 over the real change types present in the truth (pseudo and unclassified left out).</summary>
    public double ChangeTypeMacroF1 { get; }
    public double RemovalConfidence { get; }
    public int PseudoTotal { get; }
    public int RealTotal { get; }
    /// <summary>Share of truly pseudo patches predicted pseudo with confidence ≥ <see cref="RemovalConfidence"/>.</summary>
    public double PseudoRemoved { get; }
    /// <summary>Share of real changes not removed (not predicted pseudo with confidence ≥ <see cref="RemovalConfidence"/>).</summary>
    public double RealKept { get; }

    /// <summary>Metrics of (truth, prediction) pairs.</summary>
    public static ClassifierMetrics Compute(IEnumerable<(string Truth, PatchPrediction Prediction)> results, double removalConfidence = 0.5)
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        var codes = new HashSet<string>(list.Select(r => r.Truth).Concat(list.Select(r => r.Prediction.Class.Code)), StringComparer.Ordinal);
        var classes = ChangeClasses.All.Select(c => c.Code).Where(codes.Contains).ToList();
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var m = new int[classes.Count, classes.Count];
        int pseudoRemoved = 0, pseudoTotal = 0, realKept = 0, realTotal = 0;
        string pseudo = ChangeClasses.Pseudo.Code;
        foreach (var (truth, p) in list)
        {
            m[index[truth], index[p.Class.Code]]++;
            bool removed = p.Class.Code == pseudo && p.Confidence >= removalConfidence;
            if (truth == pseudo) { pseudoTotal++; if (removed) pseudoRemoved++; }
            else { realTotal++; if (!removed) realKept++; }
        }
        return new ClassifierMetrics(classes, m, pseudoRemoved, pseudoTotal, realKept, realTotal, removalConfidence);
    }

    /// <summary>
    /// Seeded k-fold cross-validation: examples are shuffled with <paramref name="options"/>' seed,
    /// split into <paramref name="folds"/> folds, and each fold is predicted by a model trained on the others.
    /// </summary>
    public static ClassifierMetrics CrossValidate(IReadOnlyList<LabelledFeatures> examples, int folds, PatchClassifierOptions? options = null, double removalConfidence = 0.5)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new PatchClassifierOptions();
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), "Cross-validation needs at least two folds.");
        if (examples.Count < folds) throw new ChangeDetectionException($"{examples.Count} examples are too few for {folds}-fold cross-validation.");
        var order = Enumerable.Range(0, examples.Count).ToArray();
        new Random(options.Seed).Shuffle(order);
        var results = new List<(string, PatchPrediction)>();
        for (int k = 0; k < folds; k++)
        {
            var train = order.Where((_, i) => i % folds != k).Select(i => examples[i]).ToList();
            var test = order.Where((_, i) => i % folds == k).Select(i => examples[i]).ToList();
            using var model = PatchClassifier.Train(train, options);
            results.AddRange(test.Select(t => (t.Label, model.Predict(t.Features))));
        }
        return Compute(results, removalConfidence);
    }

    /// <summary>A plain-text report: confusion matrix, per-class precision/recall/F1, macro-F1 and pseudo-change removal.</summary>
    public string ToText()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        int width = Math.Max(12, Classes.Max(c => c.Length) + 1);
        sb.AppendLine("confusion matrix (rows: truth, columns: predicted)");
        sb.Append("".PadRight(width));
        foreach (var c in Classes) sb.Append(c.PadLeft(width));
        sb.AppendLine();
        for (int i = 0; i < Classes.Count; i++)
        {
            sb.Append(Classes[i].PadRight(width));
            for (int j = 0; j < Classes.Count; j++) sb.Append(Matrix[i, j].ToString(ci).PadLeft(width));
            sb.AppendLine();
        }
        sb.AppendLine();
        sb.AppendLine($"{"class".PadRight(width)}{"support",9}{"precision",11}{"recall",9}{"F1",8}");
        foreach (var s in PerClass)
            sb.AppendLine(string.Create(ci, $"{s.Class.PadRight(width)}{s.Support,9}{s.Precision,11:F3}{s.Recall,9:F3}{s.F1,8:F3}"));
        sb.AppendLine();
        sb.AppendLine(string.Create(ci, $"patches {Total}; accuracy {Accuracy:F3}; macro-F1 {MacroF1:F3} (change types only: {ChangeTypeMacroF1:F3})"));
        sb.AppendLine(string.Create(ci, $"pseudo-change removal at confidence ≥ {RemovalConfidence:F2}: {PseudoRemoved:P1} of {PseudoTotal} pseudo patches removed, {RealKept:P1} of {RealTotal} real changes kept"));
        return sb.ToString();
    }
}
