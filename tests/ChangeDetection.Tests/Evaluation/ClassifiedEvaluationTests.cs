using ChangeDetection.Classification;
using ChangeDetection.Evaluation;
using ChangeDetection.Tasks;
using ChangeDetection.Vectorization;
using NetTopologySuite.Geometries;

namespace ChangeDetection.Tests.Evaluation;

[TestFixture]
public class ClassifiedEvaluationTests
{
    private static readonly LabelledPair Pair = new("src", "p", "/nowhere");

    private static PairPatch Patch(double? fraction, float x = 0)
    {
        var g = new GeometryFactory().ToGeometry(new Envelope(0, 1, 0, 1));
        var patch = new Patch
        {
            Id = 1, ClassValue = 1, PixelGeometry = g, PixelCount = 1, MapGeometry = g, AreaM2 = 1, CentroidX = 0, CentroidY = 0,
            HoleCount = 0, Simplified = false,
        };
        var f = new float[PatchFeatures.Length];
        f[0] = x;
        return new PairPatch(Pair, patch, f, fraction);
    }

    /// <summary>
    /// pairs.csv's group column: two crops of one LEVIR tile share a group, a pair without one is a group of
    /// its own; leave-one-pair-out never trains on the scored pair's group, leave-one-source-out on its source.
    /// </summary>
    [Test]
    public void LeaveOnePairOutNeverTrainsOnAPairOfTheSameGroup()
    {
        using var dir = new TempDir();
        foreach (var name in new[] { "crop1", "crop2", "other", "city" })
        {
            Directory.CreateDirectory(dir.File(name));
            foreach (var f in new[] { "before.tif", "after.tif", "truth.tif" }) File.WriteAllText(Path.Combine(dir.File(name), f), "");
        }
        File.WriteAllLines(dir.File("pairs.csv"),
        [
            "source,pair,dir,group",
            "levir-cd,crop1,crop1,levir-cd/test_2",
            "levir-cd,crop2,crop2,levir-cd/test_2",
            "levir-cd,other,other,",
            "oscd,city,city,oscd/city",
        ]);
        var pairs = PairList.Read(dir.File("pairs.csv"));
        var (crop1, crop2, other, city) = (pairs[0], pairs[1], pairs[2], pairs[3]);
        Assert.Multiple(() =>
        {
            Assert.That(crop1.Group, Is.EqualTo("levir-cd/test_2"));
            Assert.That(other.Group, Is.EqualTo("levir-cd/other"), "an empty group cell: the pair's own group");
            foreach (var scored in pairs)
            {
                var lopo = pairs.Where(p => ClassifiedEvaluation.MayTrainOn(p, scored, HoldOut.Group)).ToList();
                Assert.That(lopo.Select(p => p.Group), Has.None.EqualTo(scored.Group), scored.Name);
                Assert.That(lopo, Has.Count.EqualTo(pairs.Count(p => p.Group != scored.Group)), scored.Name);
                var loso = pairs.Where(p => ClassifiedEvaluation.MayTrainOn(p, scored, HoldOut.Source)).ToList();
                Assert.That(loso.Select(p => p.Source), Has.None.EqualTo(scored.Source), scored.Name);
            }
            Assert.That(ClassifiedEvaluation.MayTrainOn(crop2, crop1, HoldOut.Group), Is.False, "crops of one tile");
            Assert.That(ClassifiedEvaluation.MayTrainOn(other, crop1, HoldOut.Group), Is.True, "another tile of the same source");
            Assert.That(ClassifiedEvaluation.MayTrainOn(city, crop1, HoldOut.Group), Is.True);
        });
    }

    [Test]
    public void WithoutAGroupColumnEveryPairIsItsOwnGroup()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("p"));
        foreach (var f in new[] { "before.tif", "after.tif", "truth.tif" }) File.WriteAllText(Path.Combine(dir.File("p"), f), "");
        File.WriteAllLines(dir.File("pairs.csv"), ["source,pair,dir", "oscd,paris,p"]);
        Assert.That(PairList.Read(dir.File("pairs.csv")).Single().Group, Is.EqualTo("oscd/paris"));
    }

    [Test]
    public void EachPatchIsAChangeAndAPseudoExampleWeightedByItsChangedShare()
    {
        var examples = ClassifiedEvaluation.TrainingExamples([Patch(0.25), Patch(1), Patch(0), Patch(null)]).ToList();
        Assert.That(examples.Select(e => (e.Label, e.Weight)), Is.EqualTo(new[]
        {
            (ChangeClasses.Construction.Code, 0.25f), (ChangeClasses.Pseudo.Code, 0.75f),
            (ChangeClasses.Construction.Code, 1f),
            (ChangeClasses.Pseudo.Code, 1f),
        }));
    }

    [Test]
    public void ThePseudoProbabilityFollowsTheUnchangedShare()
    {
        // Two kinds of patch told apart by feature 0: 10 % changed and 90 % changed.
        var patches = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? Patch(0.1, 0) : Patch(0.9, 1)).ToList();
        var model = ClassifiedEvaluation.Train(patches);
        var low = model.Predict(patches[0].Features).Scores[ChangeClasses.Pseudo.Code];
        var high = model.Predict(patches[1].Features).Scores[ChangeClasses.Pseudo.Code];
        Assert.Multiple(() =>
        {
            Assert.That(low, Is.EqualTo(0.9).Within(0.05), "mostly unchanged patch");
            Assert.That(high, Is.EqualTo(0.1).Within(0.05), "mostly changed patch");
        });
    }

    [Test]
    public void OtherPairsWithoutBothOutcomesAreAClearError()
    {
        Assert.That(() => ClassifiedEvaluation.Train([Patch(1), Patch(1)]),
            Throws.TypeOf<ChangeDetectionException>().With.Message.Contains("all changed or all unchanged"));
    }

    /// <summary>
    /// The measured outcome of the patch classifier on the real OSCD and LEVIR-CD pairs (needs ../shared/data/real): trained
    /// leave-one-pair-out, never on the pair it scores, it raises pixel F1 on LEVIR-CD over the kernel alone and costs
    /// OSCD at most 0.02.
    /// </summary>
    [Test]
    [Category("Slow")]
    public void LeaveOnePairOutClassifierRaisesF1OnOscdAndLevir()
    {
        // The OSCD and LEVIR-CD pairs of pairs.csv, the two sources the claim is about: the Landsat pair (Nanjing, 800² × 6
        // bands) only cost seconds here. Measured without it: OSCD 0.354 kernel alone, 0.353 with the classifier; LEVIR-CD
        // 0.277 and 0.294 (with it: 0.354 / 0.342 and 0.277 / 0.294).
        string real = SharedData.RequireDir("real");
        using var dir = new TempDir();
        string csv = dir.File("pairs.csv");
        var rows = File.ReadAllLines(Path.Combine(real, "pairs.csv"));
        var header = rows[0].Split(',');
        int source = Array.IndexOf(header, "source"), folder = Array.IndexOf(header, "dir");
        File.WriteAllLines(csv, rows.Take(1).Concat(rows.Skip(1).Where(r => r.Split(',')[source] is "oscd" or "levir-cd")
            .Select(r => string.Join(',', r.Split(',').Select((cell, i) => i == folder ? Path.Combine(real, cell) : cell)))));
        Assert.That(File.ReadAllLines(csv).Skip(1).Select(r => r.Split(',')[source]).Distinct(), Is.EquivalentTo(new[] { "oscd", "levir-cd" }));
        var (code, stdout, stderr) = Tests.Cli.CdxRunner.Cdx("eval", "--pairs", csv, "--classifier", "lopo", "--json", "--skip-pixel-lopo");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Not.Contain("pixel-lopo"), "--skip-pixel-lopo leaves the pixel model out");
        var totals = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("pair").ValueKind == System.Text.Json.JsonValueKind.Null && l.GetProperty("method").GetString() is "kernel" or "lopo")
            .ToDictionary(l => (l.GetProperty("source").GetString(), l.GetProperty("classifier").GetString()), l => l.GetProperty("f1").GetDouble());
        foreach (var kv in totals) TestContext.Out.WriteLine($"{kv.Key.Item1} classifier {kv.Key.Item2}: F1 {kv.Value:0.000}");
        Assert.Multiple(() =>
        {
            // OSCD: the detector now leaves vegetation that stays vegetation out (VegetationGain.StaysVegetated), most of the
            // pseudo-change the classifier used to remove there (kernel alone 0.335 → 0.354; with the classifier 0.366 before,
            // 0.342 now, 0.353 trained without the Landsat pair): the classifier no longer adds on OSCD, and must not cost much.
            Assert.That(totals[("oscd", "on")], Is.GreaterThan(totals[("oscd", "off")] - 0.02), "oscd");
            Assert.That(totals[("levir-cd", "on")], Is.GreaterThan(totals[("levir-cd", "off")]), "levir-cd");
        });
    }
}
