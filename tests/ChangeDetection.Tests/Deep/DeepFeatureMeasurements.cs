using System.Diagnostics;
using ChangeDetection.Deep;
using ChangeDetection.Evaluation;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Tests.Deep;

/// <summary>
/// Measurements, not checks: they print figures for the README and the issue and assert only that they ran.
/// Explicit, so the suite never spends their time; run one with
/// <c>dotnet test -c Release --filter "FullyQualifiedName~DeepFeatureMeasurements" --logger "console;verbosity=detailed"</c>.
/// </summary>
[TestFixture]
[Explicit("measurement: prints timings and F1, takes tens of seconds")]
[Category("Measurement")]
public class DeepFeatureMeasurements
{
    // Wall time depends on what else the machine runs; the process CPU time (all ONNX Runtime threads) is printed
    // too, because on a shared machine it is the better estimate of what the same work costs on idle cores.
    [TestCase(1, 1, 256)]
    [TestCase(1, 2, 256)]
    [TestCase(2, 1, 256, TestName = "SecondsPerMegapixelOfBothDates(2 workers x 1 thread,256)")]
    [TestCase(1, 1, 512)]
    [TestCase(1, 2, 512)]
    public void SecondsPerMegapixelOfBothDates(int workers, int threads, int tile)
    {
        var extractors = Enumerable.Range(0, workers).Select(_ => new DeepFeatureExtractor(new DeepFeatureOptions { IntraOpNumThreads = threads })).ToArray();
        try
        {
            var before = DeepFeatureExtractorTests.Pattern(tile, tile, 11);
            var after = DeepFeatureExtractorTests.Pattern(tile, tile, 12);
            foreach (var e in extractors) e.Compute(before, after); // warm-up: the first run allocates ONNX Runtime's buffers
            int perWorker = Math.Max(2, 2 * (1 << 20) / (tile * tile) / workers); // about 2 Mpx of tile pairs in all
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            {
                for (int i = 0; i < perWorker; i++) extractors[w].Compute(before, after);
            });
            clock.Stop();
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpu0;
            double megapixels = workers * perWorker * (double)tile * tile / 1e6;
            TestContext.Out.WriteLine(
                $"deep features: {workers} worker(s) × {threads} intra-op thread(s), tile {tile}², {workers * perWorker} pairs: " +
                $"{clock.Elapsed.TotalSeconds / megapixels:F3} s wall and {cpu.TotalSeconds / megapixels:F3} s CPU per megapixel (both dates); " +
                $"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.Zero));
        }
        finally
        {
            foreach (var e in extractors) e.Dispose();
        }
    }

    [Test]
    public void BestThresholdF1OnLevirPairs()
    {
        string pairsCsv = SharedData.RequireDir(Path.Combine("real", "pairs.csv"));
        var pairs = PairList.Read(pairsCsv).Where(p => p.Source == "levir-cd").ToList();
        using var extractor = new DeepFeatureExtractor(new DeepFeatureOptions { IntraOpNumThreads = 2 });
        var f1s = new List<double>[extractor.Layers.Count * 2 + 1];
        for (int c = 0; c < f1s.Length; c++) f1s[c] = [];
        string[] names = [];
        foreach (var pair in pairs)
        {
            var before = ReadRgb(pair.Before);
            var after = ReadRgb(pair.After);
            using var t = GeoTiffReader.Open(pair.Truth);
            var truth = t.ReadBand<byte>(0);
            if (!truth.Any(v => v == 1)) { TestContext.Out.WriteLine($"{pair.Name}: no changed pixel, left out of the mean"); continue; }
            var evidence = extractor.Compute(before, after);
            names = [.. evidence.ChannelNames, "sum of euclid/median"];
            var line = new List<string>();
            for (int c = 0; c < evidence.Channels.Length; c++)
            {
                double f1 = BestF1(evidence.Channels[c], truth);
                f1s[c].Add(f1);
                line.Add($"{f1:F3}");
            }
            // One simple combination: each Euclidean layer scaled by its median in this pair, summed.
            var combined = new float[truth.Length];
            for (int k = 0; k < evidence.Layers.Count; k++)
            {
                var e = evidence.Euclidean(k);
                var sorted = e.ToArray();
                Array.Sort(sorted);
                float median = Math.Max(sorted[sorted.Length / 2], 1e-6f);
                for (int i = 0; i < combined.Length; i++) combined[i] += e[i] / median;
            }
            double f1c = BestF1(combined, truth);
            f1s[^1].Add(f1c);
            line.Add($"{f1c:F3}");
            TestContext.Out.WriteLine($"{pair.Name}: {string.Join(" ", line)}");
        }
        for (int c = 0; c < f1s.Length; c++)
            TestContext.Out.WriteLine($"mean best-threshold F1 over {f1s[c].Count} LEVIR-CD pairs, {names[c]}: {f1s[c].Average():F3}");
        Assert.That(f1s[0], Is.Not.Empty);
    }

    private static RgbTile ReadRgb(string path)
    {
        using var reader = GeoTiffReader.Open(path);
        int w = reader.Info.Width, h = reader.Info.Height;
        float[] Band(int b) => reader.ReadBand<byte>(b).Select(v => (float)v).ToArray();
        return new RgbTile(w, h, Band(0), Band(1), Band(2));
    }

    /// <summary>Best F1 of the change class over every threshold "score ≥ t" on labelled pixels (truth 0/1; 255 unlabelled).</summary>
    internal static double BestF1(float[] score, byte[] truth)
    {
        var labelled = Enumerable.Range(0, score.Length).Where(i => truth[i] <= 1).OrderByDescending(i => score[i]).ToArray();
        long positives = labelled.Count(i => truth[i] == 1);
        long tp = 0, predicted = 0;
        double best = 0;
        for (int j = 0; j < labelled.Length; j++)
        {
            predicted++;
            if (truth[labelled[j]] == 1) tp++;
            // Only cut between different scores: ties go together.
            if (j + 1 < labelled.Length && score[labelled[j + 1]] == score[labelled[j]]) continue;
            double f1 = 2.0 * tp / (predicted + positives);
            if (f1 > best) best = f1;
        }
        return best;
    }
}
