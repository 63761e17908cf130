using ChangeDetection.Deep;

namespace ChangeDetection.Tests.Deep;

/// <summary>
/// The pretrained ResNet-18 change features, run on the model file the build copies next to this test assembly
/// (models/ResNet18.onnx from the NuGet package). One extractor is shared: loading it edits and compiles the model.
/// </summary>
[TestFixture]
public class DeepFeatureExtractorTests
{
    private DeepFeatureExtractor _extractor = null!;

    [OneTimeSetUp]
    public void LoadModel() => _extractor = new DeepFeatureExtractor();

    [OneTimeTearDown]
    public void Unload() => _extractor.Dispose();

    [Test]
    public void ModelLoadsFromBuildOutputWithTheChosenLayersAsOutputs()
    {
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(Path.Combine(AppContext.BaseDirectory, "models", "ResNet18.onnx")), Is.True, "the build copies the model next to the tests");
            Assert.That(_extractor.ModelPath, Is.EqualTo(DeepFeatureExtractor.DefaultModelPath));
            Assert.That(_extractor.SessionOutputNames, Is.EqualTo(new[] { "ReLU253_Output_0", "ReLU283_Output_0", "ReLU315_Output_0" }));
            // As shipped the input is fixed at 1 × 3 × 224 × 224; the edit frees batch, height and width.
            Assert.That(_extractor.InputDimensions, Is.EqualTo(new[] { -1, 3, -1, -1 }));
            // Everything after conv3_x is dropped: stem 3 + max pool 1 + conv2_x 14 + conv3_x 16 of the full network's 74.
            Assert.That(_extractor.NodesKept, Is.EqualTo(34));
        });
    }

    [TestCase(64, 64)]
    [TestCase(96, 128)]
    [TestCase(45, 33, TestName = "ExposedLayersHaveExpectedShapes(45,33 padded to 48x48)")]
    public void ExposedLayersHaveExpectedShapes(int width, int height)
    {
        var acts = _extractor.Activations(Pattern(width, height, 0));
        int pw = (width + 15) / 16 * 16, ph = (height + 15) / 16 * 16;
        (int Channels, int Stride)[] expected = [(64, 2), (64, 4), (128, 8)];
        Assert.That(acts.Layers, Has.Count.EqualTo(3));
        Assert.Multiple(() =>
        {
            for (int k = 0; k < 3; k++)
            {
                Assert.That(acts.Layers[k].Channels, Is.EqualTo(expected[k].Channels));
                Assert.That(acts.Layers[k].Stride, Is.EqualTo(expected[k].Stride));
                Assert.That(acts.FeatureWidth[k], Is.EqualTo(pw / expected[k].Stride), $"layer {k} width");
                Assert.That(acts.FeatureHeight[k], Is.EqualTo(ph / expected[k].Stride), $"layer {k} height");
                Assert.That(acts.Values[k], Has.Length.EqualTo(expected[k].Channels * (pw / expected[k].Stride) * (ph / expected[k].Stride)));
                Assert.That(acts.Values[k].All(float.IsFinite), Is.True);
                Assert.That(acts.Values[k].Min(), Is.GreaterThanOrEqualTo(0f), "ReLU outputs");
                Assert.That(acts.Values[k].Max(), Is.GreaterThan(0f), "not all dead");
            }
        });
    }

    [Test]
    public void Stage3CanBeAddedAtStride16()
    {
        using var all = new DeepFeatureExtractor(new DeepFeatureOptions { Layers = DeepLayer.All });
        var acts = all.Activations(Pattern(96, 64, 0));
        Assert.Multiple(() =>
        {
            Assert.That(all.SessionOutputNames[^1], Is.EqualTo("ReLU347_Output_0"));
            Assert.That(all.NodesKept, Is.EqualTo(50), "conv4_x adds 16 nodes");
            Assert.That(acts.FeatureWidth[3], Is.EqualTo(6));
            Assert.That(acts.FeatureHeight[3], Is.EqualTo(4));
            Assert.That(acts.Values[3], Has.Length.EqualTo(256 * 6 * 4));
            Assert.That(all.Halo, Is.EqualTo(122));
        });
    }

    [Test]
    public void ActivationsOfAFixedInputMatchTheRecordedChecksum()
    {
        // Guards against a changed model file (another package version), a changed preprocessing (channel order,
        // mean, padding) or a changed graph edit: the values were recorded once from this code and the package's
        // ResNet18.onnx 0.23.1, and any such change moves them by far more than the tolerance (ONNX Runtime's
        // kernels may differ in the last bits between machines, hence 1e-3 relative).
        var acts = _extractor.Activations(Pattern(64, 64, 0));
        double stemSum = acts.Values[0].Sum(v => (double)v);
        double stage2Sum = acts.Values[2].Sum(v => (double)v);
        TestContext.Out.WriteLine($"stem sum {stemSum:R}, stage2 sum {stage2Sum:R}, stem[0] {acts.Values[0][0]:R}, stem probe {acts.Values[0][5 * 32 * 32 + 17 * 32 + 9]:R}, stage2 probe {acts.Values[2][100 * 8 * 8 + 3 * 8 + 4]:R}");
        Assert.Multiple(() =>
        {
            Assert.That(stemSum, Is.EqualTo(StemSum).Within(StemSum * 1e-3));
            Assert.That(stage2Sum, Is.EqualTo(Stage2Sum).Within(Stage2Sum * 1e-3));
            Assert.That(acts.Values[0][0], Is.EqualTo(StemFirst).Within(1e-3));
            Assert.That(acts.Values[0][5 * 32 * 32 + 17 * 32 + 9], Is.EqualTo(StemProbe).Within(1e-3));
            Assert.That(acts.Values[2][100 * 8 * 8 + 3 * 8 + 4], Is.EqualTo(Stage2Probe).Within(1e-3));
        });
    }

    // Recorded on 2026-12-02 with ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, ONNX Runtime 1.31.1.
    private const double StemSum = 88807.383;
    private const double Stage2Sum = 10710.553;
    private const float StemFirst = 1.248141f;
    private const float StemProbe = 1.3761778f;
    private const float Stage2Probe = 0.9269564f;

    [TestCase(64, 64)]
    [TestCase(70, 48)]
    public void IdenticalDatesGiveZeroDistances(int width, int height)
    {
        var tile = Pattern(width, height, 3);
        var evidence = _extractor.Compute(tile, tile);
        Assert.That(evidence.Channels, Has.Length.EqualTo(6));
        Assert.Multiple(() =>
        {
            for (int c = 0; c < 6; c++)
            {
                Assert.That(evidence.Channels[c], Has.Length.EqualTo(width * height), evidence.ChannelNames[c]);
                Assert.That(evidence.Channels[c].Max(), Is.LessThan(1e-4f), evidence.ChannelNames[c]);
                Assert.That(evidence.Channels[c].Min(), Is.GreaterThanOrEqualTo(0f), evidence.ChannelNames[c]);
            }
        });
    }

    [Test]
    public void PastedBrightSquareIsFartherInsideThanFarAway()
    {
        const int size = 128, x0 = 48, side = 32;
        var before = Pattern(size, size, 7);
        var after = Pattern(size, size, 7);
        for (int y = x0; y < x0 + side; y++)
            for (int x = x0; x < x0 + side; x++)
            {
                int i = y * size + x;
                after.Red[i] = 250; after.Green[i] = 245; after.Blue[i] = 240;
            }
        var evidence = _extractor.Compute(before, after);

        Assert.Multiple(() =>
        {
            for (int c = 0; c < evidence.Channels.Length; c++)
            {
                var d = evidence.Channels[c];
                // Inside: the square's inner half; far: the 16-pixel border of the tile, ≥ 32 px from the square.
                double inside = Mean(d, size, (x, y) => x >= x0 + 8 && x < x0 + side - 8 && y >= x0 + 8 && y < x0 + side - 8);
                double far = Mean(d, size, (x, y) => x < 16 || y < 16 || x >= size - 16 || y >= size - 16);
                Assert.That(inside, Is.GreaterThan(2 * far), $"{evidence.ChannelNames[c]}: inside {inside:F4}, far {far:F4}");
            }
        });
    }

    [Test]
    public void DistanceOfAnOffCentreSquareIsCentredOnIt()
    {
        // Guards the geometry of the upsampling (cell i of a stride-s layer stands for pixels [i·s, (i+1)·s)): reading
        // cell i at pixel i·s instead puts the response 3.5 px up-left at stride 8, and any off-by-one-cell error moves
        // it by 2, 4 or 8 pixels.
        const int size = 128, left = 24, top = 64, side = 24;
        var before = Pattern(size, size, 5);
        var after = Pattern(size, size, 5);
        for (int y = top; y < top + side; y++)
            for (int x = left; x < left + side; x++)
            {
                int i = y * size + x;
                after.Red[i] = 250; after.Green[i] = 245; after.Blue[i] = 240;
            }
        var evidence = _extractor.Compute(before, after);
        double cx = left + (side - 1) / 2.0, cy = top + (side - 1) / 2.0;
        Assert.Multiple(() =>
        {
            for (int k = 0; k < evidence.Layers.Count; k++)
            {
                var d = evidence.Euclidean(k);
                // Centre of mass of the distance above its 75th percentile (the background level).
                var sorted = d.ToArray();
                Array.Sort(sorted);
                float floor = sorted[sorted.Length * 3 / 4];
                double sw = 0, sx = 0, sy = 0;
                for (int i = 0; i < d.Length; i++)
                {
                    double w = Math.Max(0, d[i] - floor);
                    sw += w; sx += w * (i % size); sy += w * (i / size);
                }
                double mx = sx / sw, my = sy / sw;
                TestContext.Out.WriteLine($"{evidence.Layers[k].Name}: centre ({mx:F2}, {my:F2}), square centre ({cx}, {cy})");
                Assert.That(Math.Abs(mx - cx), Is.LessThan(1.5), $"{evidence.Layers[k].Name} x");
                Assert.That(Math.Abs(my - cy), Is.LessThan(1.5), $"{evidence.Layers[k].Name} y");
            }
        });
    }

    [Test]
    public void SubTileWithHaloAndSceneNormalizationMatchesTheWholeScene()
    {
        // How a caller gets tile-independent evidence: tile origins on multiples of 16 px (so the feature grids line
        // up), the normalisation of the scene passed in, and a halo wider than the stride-8 layer's reach (receptive
        // radius 49 px + one cell of interpolation): the interior then does not depend on the tiling.
        const int scene = 256, origin = 48, tile = 160;
        int halo = _extractor.Halo;
        Assert.That(halo, Is.EqualTo(58));
        var before = Pattern(scene, scene, 21);
        var after = Pattern(scene, scene, 22);
        for (int y = 110; y < 140; y++)
            for (int x = 100; x < 125; x++) { after.Red[y * scene + x] = 30; after.Green[y * scene + x] = 40; }
        var builder = new DeepNormalizationBuilder(_extractor.Layers);
        builder.Add(_extractor.Activations(before));
        builder.Add(_extractor.Activations(after));
        var normalization = builder.Build();
        var whole = _extractor.Compute(before, after, normalization);
        var part = _extractor.Compute(Crop(before, origin, tile), Crop(after, origin, tile), normalization);

        double worst = 0;
        for (int c = 0; c < whole.Channels.Length; c++)
            for (int y = halo; y < tile - halo; y++)
                for (int x = halo; x < tile - halo; x++)
                {
                    float a = whole.Channels[c][(origin + y) * scene + origin + x];
                    float b = part.Channels[c][y * tile + x];
                    worst = Math.Max(worst, Math.Abs(a - b) / Math.Max(1.0, Math.Abs(a)));
                }
        Assert.That(worst, Is.LessThan(1e-3), "largest relative difference in the interior");
        // And the halo matters: at the sub-tile's border the reflection padding makes it differ.
        float edgeWhole = whole.Channels[4][(origin + 2) * scene + origin + 2];
        float edgePart = part.Channels[4][2 * tile + 2];
        Assert.That(Math.Abs(edgeWhole - edgePart), Is.GreaterThan(1e-3f));
    }

    private static RgbTile Crop(RgbTile tile, int origin, int size)
    {
        float[] Cut(float[] band)
        {
            var result = new float[size * size];
            for (int y = 0; y < size; y++) Array.Copy(band, (origin + y) * tile.Width + origin, result, y * size, size);
            return result;
        }
        return new RgbTile(size, size, Cut(tile.Red), Cut(tile.Green), Cut(tile.Blue));
    }

    [Test]
    public void ExplicitNormalizationIsUsedAndMustMatchTheLayers()
    {
        var before = Pattern(64, 64, 1);
        var after = Pattern(64, 64, 2);
        var builder = new DeepNormalizationBuilder(_extractor.Layers);
        builder.Add(_extractor.Activations(before));
        builder.Add(_extractor.Activations(after));
        var fromBuilder = _extractor.Compute(before, after, builder.Build());
        var perTile = _extractor.Compute(before, after);
        // The per-tile statistics are those of the same two tiles, so both paths agree.
        for (int c = 0; c < perTile.Channels.Length; c++)
            Assert.That(fromBuilder.Channels[c], Is.EqualTo(perTile.Channels[c]).Within(1e-3f), perTile.ChannelNames[c]);

        var other = new DeepNormalizationBuilder([DeepLayer.Stem]);
        other.Add(StemOnly(before));
        Assert.That(() => _extractor.Compute(before, after, other.Build()), Throws.ArgumentException);
    }

    [Test]
    public void MissingModelFileGivesAClearError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"cdx-no-model-{Guid.NewGuid():N}", "ResNet18.onnx");
        var e = Assert.Throws<ChangeDetectionException>(() => new DeepFeatureExtractor(new DeepFeatureOptions { ModelPath = path }).Dispose());
        Assert.That(e!.Message, Does.StartWith(path).And.Contain("Microsoft.ML.DnnImageFeaturizer.ResNet18").And.Contain("dotnet build").And.Contain("ModelPath"));
    }

    [Test]
    public void LayerThatTheModelLacksGivesAClearError()
    {
        var bogus = new DeepLayer("bogus", "NoSuchTensor_Output_0", 64, 4, 43);
        var e = Assert.Throws<ChangeDetectionException>(() => new DeepFeatureExtractor(new DeepFeatureOptions { Layers = [DeepLayer.Stem, bogus] }).Dispose());
        Assert.That(e!.Message, Does.StartWith(DeepFeatureExtractor.DefaultModelPath).And.Contain("NoSuchTensor_Output_0"));
    }

    [Test]
    public void ModelFileThatIsNotOnnxGivesAClearError()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "ResNet18.onnx");
        File.WriteAllText(path, "<html>not a model</html>");
        var e = Assert.Throws<ChangeDetectionException>(() => new DeepFeatureExtractor(new DeepFeatureOptions { ModelPath = path }).Dispose());
        Assert.That(e!.Message, Does.StartWith(path).And.Contain("ResNet18.onnx"));
    }

    [Test]
    public void TooSmallOrMismatchedTilesAreRefused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => _extractor.Activations(Pattern(31, 64, 0)), Throws.ArgumentException.With.Message.Contains("32"));
            Assert.That(() => _extractor.Compute(Pattern(64, 64, 0), Pattern(64, 48, 0)), Throws.ArgumentException.With.Message.Contains("size"));
        });
    }

    private DeepActivations StemOnly(RgbTile tile)
    {
        using var stem = new DeepFeatureExtractor(new DeepFeatureOptions { Layers = [DeepLayer.Stem] });
        return stem.Activations(tile);
    }

    /// <summary>A deterministic textured RGB tile (0–255): smooth gradients, stripes and seeded noise.</summary>
    internal static RgbTile Pattern(int width, int height, int seed)
    {
        var random = new Random(seed);
        int n = width * height;
        var r = new float[n];
        var g = new float[n];
        var b = new float[n];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                double stripes = 40 * Math.Sin(x * 0.45 + y * 0.2) + 30 * Math.Cos(y * 0.31 - x * 0.07);
                r[i] = (float)Math.Clamp(110 + stripes + 0.8 * x + random.Next(-12, 13), 0, 255);
                g[i] = (float)Math.Clamp(120 + 0.8 * stripes + 0.5 * y + random.Next(-12, 13), 0, 255);
                b[i] = (float)Math.Clamp(100 - 0.5 * stripes + 0.3 * (x + y) + random.Next(-12, 13), 0, 255);
            }
        return new RgbTile(width, height, r, g, b);
    }

    private static double Mean(float[] values, int width, Func<int, int, bool> where)
    {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < values.Length; i++)
            if (where(i % width, i / width)) { sum += values[i]; count++; }
        return sum / count;
    }
}
