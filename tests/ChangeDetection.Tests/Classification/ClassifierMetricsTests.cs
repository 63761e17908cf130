using ChangeDetection.Classification;
using ChangeDetection.Tasks;

namespace ChangeDetection.Tests.Classification;

[TestFixture]
public class ClassifierMetricsTests
{
    private static PatchPrediction P(string code, double confidence) =>
        new(ChangeClasses.FromCode(code), confidence, new Dictionary<string, double> { [code] = confidence });

    [Test]
    public void FiguresAreReadOffTheConfusionMatrix()
    {
        var m = ClassifierMetrics.Compute([
            ("pond", P("pond", 0.9)), ("pond", P("pond", 0.8)), ("pond", P("road", 0.6)),
            ("road", P("road", 0.7)),
            ("pseudo", P("pseudo", 0.9)), ("pseudo", P("pseudo", 0.4)), ("pseudo", P("pond", 0.5)),
            ("road", P("pseudo", 0.55)),
        ]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(m.Classes, Is.EqualTo(new[] { "pond", "road", "pseudo" }));
            Assert.That(m.Matrix[0, 0], Is.EqualTo(2));
            Assert.That(m.Matrix[0, 1], Is.EqualTo(1));
            Assert.That(m.Matrix[2, 0], Is.EqualTo(1));
            Assert.That(m.Total, Is.EqualTo(8));
            Assert.That(m.Accuracy, Is.EqualTo(5 / 8.0));
            var pond = m.PerClass[0];
            Assert.That(pond.Precision, Is.EqualTo(2 / 3.0).Within(1e-12));
            Assert.That(pond.Recall, Is.EqualTo(2 / 3.0).Within(1e-12));
            var road = m.PerClass[1];
            Assert.That(road.Precision, Is.EqualTo(0.5));
            Assert.That(road.Recall, Is.EqualTo(0.5));
            var pseudo = m.PerClass[2];
            Assert.That(pseudo.Precision, Is.EqualTo(2 / 3.0).Within(1e-12));
            Assert.That(pseudo.Recall, Is.EqualTo(2 / 3.0).Within(1e-12));
            Assert.That(m.MacroF1, Is.EqualTo((2 / 3.0 + 0.5 + 2 / 3.0) / 3).Within(1e-12));
            // Pseudo removed at ≥ 0.5: only the 0.9 one; the real road predicted pseudo at 0.55 is lost.
            Assert.That(m.PseudoRemoved, Is.EqualTo(1 / 3.0).Within(1e-12));
            Assert.That(m.RealKept, Is.EqualTo(4 / 5.0).Within(1e-12));
            Assert.That(m.ChangeTypeMacroF1, Is.EqualTo((2 / 3.0 + 0.5) / 2).Within(1e-12));
            Assert.That(m.ToText(), Does.Contain("macro-F1 0.611 (change types only: 0.583)"));
        }
    }
}
