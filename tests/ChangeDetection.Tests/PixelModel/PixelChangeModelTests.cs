using System.IO.Compression;
using System.Text.Json.Nodes;
using ChangeDetection.Evaluation;
using ChangeDetection.PixelModel;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using static ChangeDetection.Tests.PixelModel.PixelTestModel;

namespace ChangeDetection.Tests.PixelModel;

[TestFixture]
public class PixelChangeModelTests
{
    private TempDir _dir = null!;
    private IReadOnlyList<PixelPair> _training = null!;
    private PixelPair _heldOut = null!;
    private PixelChangeModel _model = null!;

    /// <summary>The model trained on three synthetic pairs (shared with the run fixtures) and a pair it never saw.</summary>
    [OneTimeSetUp]
    public void TrainOnThreeSyntheticPairs()
    {
        _dir = new TempDir();
        _training = PixelTestModel.Training;
        _heldOut = PixelModelEvaluation.Prepare(PixelTestPairs.Write(_dir, "held", 10, noDataBefore: (40, 40)), AllPixels);
        _model = PixelTestModel.Model;
    }

    [OneTimeTearDown]
    public void Clean() => _dir.Dispose();

    [Test]
    public void SamplingAndTrainingAreDeterministic()
    {
        var again = PixelModelEvaluation.Prepare(_training[0].Pair, AllPixels);
        var capped = PixelModelEvaluation.Prepare(_training[0].Pair, new PixelSamplingOptions { MaxPerClass = 500, Seed = 7 });
        var cappedAgain = PixelModelEvaluation.Prepare(_training[0].Pair, new PixelSamplingOptions { MaxPerClass = 500, Seed = 7, TileSize = 32 });
        var retrained = PixelChangeModel.Train([.. _training.Select(p => p.Samples)]);
        var p1 = _model.Probabilities(_heldOut.Samples.Features, _heldOut.Samples.Count);
        var p2 = retrained.Probabilities(_heldOut.Samples.Features, _heldOut.Samples.Count);
        var other = PixelChangeModel.Train([.. _training.Select(p => p.Samples)], new PixelModelOptions { Seed = 2, NumberOfIterations = 20 });
        Assert.Multiple(() =>
        {
            Assert.That(again.Samples.Features, Is.EqualTo(_training[0].Samples.Features), "same pair, same features");
            Assert.That(cappedAgain.Samples.X, Is.EqualTo(capped.Samples.X), "the draw does not depend on the tile size");
            Assert.That(cappedAgain.Samples.Features, Is.EqualTo(capped.Samples.Features));
            Assert.That(capped.Samples.Labels.Count(l => l), Is.InRange(350, 650), "about the cap of changed pixels");
            Assert.That(p2, Is.EqualTo(p1), "same samples and seed: same probabilities");
            Assert.That(retrained.Threshold, Is.EqualTo(_model.Threshold));
            Assert.That(other.Probabilities(_heldOut.Samples.Features, _heldOut.Samples.Count), Is.Not.EqualTo(p1), "another model gives other probabilities");
        });
    }

    /// <summary>On a pair the model never saw, the observed change rate of each probability decile is within 0.1 of its mean probability.</summary>
    [Test]
    public void ProbabilitiesAreCalibratedOnHeldOutPixels()
    {
        var s = _heldOut.Samples;
        var p = _model.Probabilities(s.Features, s.Count);
        var bins = Enumerable.Range(0, s.Count).GroupBy(i => Math.Min(9, (int)(p[i] * 10)))
            .Where(g => g.Count() >= 100)
            .Select(g => (Bin: g.Key, Count: g.Count(), Predicted: g.Average(i => (double)p[i]), Observed: g.Average(i => s.Labels[i] ? 1.0 : 0.0)))
            .ToList();
        string curve = string.Join("; ", bins.Select(b => $"decile {b.Bin}: {b.Count} px, predicted {b.Predicted:0.000}, observed {b.Observed:0.000}"));
        TestContext.Out.WriteLine(curve);
        Assert.Multiple(() =>
        {
            Assert.That(bins, Has.Count.GreaterThanOrEqualTo(3), "probabilities spread over several deciles: " + curve);
            foreach (var b in bins)
                Assert.That(b.Observed, Is.EqualTo(b.Predicted).Within(0.1), $"decile {b.Bin} ({b.Count} pixels); {curve}");
        });
    }

    [Test]
    public void TheMaskDoesNotDependOnTheTileSize()
    {
        using var scene = ScenePair.Open(_heldOut.Pair.Before, _heldOut.Pair.After);
        var masks = new[] { 16, 48, 1024 }.Select(t =>
        {
            string path = _dir.File($"mask{t}.tif");
            PixelMask.Write(scene, _model, path, t);
            using var reader = GeoTiffReader.Open(path);
            return reader.ReadBand<byte>(0);
        }).ToList();
        var score = PixelModelEvaluation.Score(_heldOut.Pair, _model, _dir.Path);
        Assert.Multiple(() =>
        {
            Assert.That(masks[0], Is.EqualTo(masks[2]), "tile 16 vs 1024");
            Assert.That(masks[1], Is.EqualTo(masks[2]), "tile 48 vs 1024");
            Assert.That(masks[2].Count(v => v == 1), Is.GreaterThan(100), "change found");
            Assert.That(masks[2].Count(v => v == 0), Is.GreaterThan(100), "no change found");
            Assert.That(masks[2][40 * 128 + 40], Is.EqualTo(255), "nodata is never change");
            Assert.That(score.Score.F1, Is.GreaterThan(0.5), "the held-out pair's rectangles are found");
        });
    }

    [Test]
    public void SaveAndLoadGiveTheSameModel()
    {
        string path = _dir.File("model.zip");
        _model.Save(path);
        var loaded = PixelChangeModel.Load(path);
        var s = _heldOut.Samples;
        Assert.Multiple(() =>
        {
            Assert.That(loaded.Probabilities(s.Features, s.Count), Is.EqualTo(_model.Probabilities(s.Features, s.Count)));
            Assert.That(loaded.Threshold, Is.EqualTo(_model.Threshold));
            Assert.That(loaded.Bands, Is.EqualTo(_model.Bands));
            Assert.That(loaded.FeatureNames, Is.EqualTo(_model.FeatureNames));
        });
        using var zip = ZipFile.OpenRead(path);
        Assert.That(zip.Entries.Select(e => e.LastWriteTime.DateTime).Distinct(),
            Is.EqualTo(new[] { new DateTime(2000, 1, 1) }), "every entry stamped with one fixed time");
    }

    [TestCase("SchemaVersion", "schema")]
    [TestCase("FeatureNames", "features differ")]
    [TestCase("Bands", "features differ")]
    public void LoadRefusesAnotherSchemaOrFeatureList(string key, string message)
    {
        string path = _dir.File($"tampered-{key}.zip");
        _model.Save(path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(PixelChangeModel.MetadataEntry)!;
            JsonNode meta;
            using (var s = entry.Open()) meta = JsonNode.Parse(s)!;
            meta[key] = key switch
            {
                "SchemaVersion" => PixelFeatureSchema.CurrentVersion + 1,
                "FeatureNames" => new JsonArray("cva"),
                _ => new JsonArray("blue", "green", "red"),
            };
            entry.Delete();
            using var w = new StreamWriter(zip.CreateEntry(PixelChangeModel.MetadataEntry).Open());
            w.Write(meta.ToJsonString());
        }
        var e = Assert.Throws<ChangeDetectionException>(() => PixelChangeModel.Load(path));
        Assert.That(e!.Message, Does.Contain(message).And.Contain(path).And.Contain("Retrain"));
    }

    [Test]
    public void APairWithoutTheModelsBandsIsRefused()
    {
        var rgb = PixelTestPairs.Write(_dir, "rgb", 4, size: 48, bands: 3);
        using var scene = ScenePair.Open(rgb.Before, rgb.After);
        var e = Assert.Throws<ChangeDetectionException>(() => PixelMask.Write(scene, _model, _dir.File("rgb-mask.tif")));
        Assert.That(e!.Message, Does.Contain("missing nir").And.Contain(rgb.Before));
    }

    [Test]
    public void TrainingRefusesMixedBandSets()
    {
        var rgb = PixelModelEvaluation.Prepare(PixelTestPairs.Write(_dir, "rgb2", 5, size: 48, bands: 3), AllPixels);
        var e = Assert.Throws<ChangeDetectionException>(() => PixelChangeModel.Train([_training[0].Samples, rgb.Samples]));
        Assert.That(e!.Message, Does.Contain("one model per band set"));
    }

    /// <summary>
    /// A model trained with the default options thresholds each pair on its own probabilities: the mask (without
    /// morphology) is exactly probability &gt; the plug-in threshold of the pair's probabilities, at every tile size.
    /// </summary>
    [Test]
    public void TheSceneRuleThresholdsAPairOnItsOwnProbabilities()
    {
        using var scene = ScenePair.Open(_heldOut.Pair.Before, _heldOut.Pair.After);
        var none = new MaskMorphology(0, 0);
        var decision = new PixelTileMask(scene, _model, none);
        var all = new PixelWindow(0, 0, scene.Grid.Width, scene.Grid.Height);
        var (p, _) = decision.BlockProbabilities(all);
        var histogram = new ProbabilityHistogram();
        foreach (float q in p) histogram.Add(q);
        double expected = histogram.PlugInThreshold()!.Value.Threshold;
        var masks = new[] { 32, 1024 }.Select(t =>
        {
            string path = _dir.File($"scene-rule-{t}.tif");
            PixelMask.Write(scene, _model, path, t, morphology: none);
            using var reader = GeoTiffReader.Open(path);
            return reader.ReadBand<byte>(0);
        }).ToList();
        var wanted = p.Select(q => float.IsNaN(q) ? (byte)255 : q > expected ? (byte)1 : (byte)0).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(_model.ThresholdRule, Is.EqualTo(PixelThresholdRule.Scene), "the default rule");
            Assert.That(decision.Threshold, Is.EqualTo(expected));
            Assert.That(masks[0].Select(v => v == 2 ? (byte)1 : v), Is.EqualTo(wanted), "tile 32: probability > the scene's threshold");
            Assert.That(masks[1], Is.EqualTo(masks[0]), "tile 1024 vs 32");
            Assert.That(wanted.Count(v => v == 1), Is.InRange(100, wanted.Length / 2), "some change, not everything");
        });
    }

    /// <summary>The rule is saved with the model; a model saved without one (before the rule existed) keeps its own threshold everywhere.</summary>
    [Test]
    public void TheRuleIsSavedAndAnOlderModelKeepsItsOwnThreshold()
    {
        string path = _dir.File("rule.zip");
        _model.Save(path);
        var loaded = PixelChangeModel.Load(path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(PixelChangeModel.MetadataEntry)!;
            JsonNode meta;
            using (var s = entry.Open()) meta = JsonNode.Parse(s)!;
            meta.AsObject().Remove("ThresholdRule");
            entry.Delete();
            using var w = new StreamWriter(zip.CreateEntry(PixelChangeModel.MetadataEntry).Open());
            w.Write(meta.ToJsonString());
        }
        var older = PixelChangeModel.Load(path);
        using var scene = ScenePair.Open(_heldOut.Pair.Before, _heldOut.Pair.After);
        Assert.Multiple(() =>
        {
            Assert.That(loaded.ThresholdRule, Is.EqualTo(PixelThresholdRule.Scene));
            Assert.That(older.ThresholdRule, Is.EqualTo(PixelThresholdRule.Model));
            Assert.That(new PixelTileMask(scene, older, MaskMorphology.Default).Threshold, Is.EqualTo(_model.Threshold));
            Assert.That(new PixelTileMask(scene, loaded, MaskMorphology.Default).Threshold, Is.Not.EqualTo(_model.Threshold), "the scene's own threshold");
        });
    }
}
