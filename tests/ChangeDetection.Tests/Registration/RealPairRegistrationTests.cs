using System.Diagnostics;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Registration;

namespace ChangeDetection.Tests.Registration;

/// <summary>Co-registration on the real imagery in ../shared/data/real (skipped when absent).</summary>
[TestFixture]
public class RealPairRegistrationTests
{
    /// <summary>The mean of all bands of a file over a window, as float (uint8 or uint16 files).</summary>
    private static float[] BandMean(string path, PixelWindow window)
    {
        using var reader = GeoTiffReader.Open(path);
        int n = checked((int)window.PixelCount), bands = reader.Info.BandCount;
        var all = Enumerable.Range(0, bands).ToArray();
        var sum = new float[n];
        if (reader.Info.DataType == RasterDataType.UInt8)
        {
            var raw = new byte[n * bands];
            reader.Read<byte>(window, all, raw);
            for (int i = 0; i < raw.Length; i++) sum[i % n] += raw[i];
        }
        else
        {
            var raw = new ushort[n * bands];
            reader.Read<ushort>(window, all, raw);
            for (int i = 0; i < raw.Length; i++) sum[i % n] += raw[i];
        }
        for (int i = 0; i < n; i++) sum[i] /= bands;
        return sum;
    }

    [TestCase("oscd/bercy/before.tif", 256, 0.3, -0.7)]
    [TestCase("oscd/bercy/before.tif", 256, 1.25, 0.55)]
    [TestCase("oscd/bercy/before.tif", 256, -2.4, 1.1)]
    // LEVIR crops are 256² themselves: a 240² window leaves room for the resampling kernel.
    [TestCase("levir-cd/test_2_0000_0000/before.tif", 240, 0.3, -0.7)]
    [TestCase("levir-cd/test_2_0000_0000/before.tif", 240, -2.4, 1.1)]
    public void AKnownShiftOfARealImageIsRecovered(string file, int size, double dx, double dy)
    {
        string path = SharedData.RequireDir(Path.Combine("real", file));
        const int margin = 8; // Lanczos-3 reach (3 px) plus the largest shift, rounded up
        var source = BandMean(path, new PixelWindow(0, 0, size + 2 * margin, size + 2 * margin));
        int stride = size + 2 * margin;
        var before = ShiftedImages.Resample(source, stride, margin, margin, size, size, 0, 0);
        var after = ShiftedImages.Resample(source, stride, margin, margin, size, size, dx, dy);
        var e = PhaseCorrelation.Estimate(before, after, size, size);
        TestContext.Out.WriteLine($"{file} {size}² shifted by ({dx}, {dy}): {e}");
        Assert.Multiple(() =>
        {
            Assert.That(e.Dx, Is.EqualTo(dx).Within(0.1), e.ToString());
            Assert.That(e.Dy, Is.EqualTo(dy).Within(0.1), e.ToString());
            Assert.That(e.Confidence, Is.GreaterThan(new CoRegistrationOptions().MinConfidence), e.ToString());
        });
    }

    /// <summary>
    /// Reports the scene shift of every real pair (before → after) with its windows. OSCD values
    /// are reported, not asserted (no ground truth). What is asserted: no LEVIR-CD crop (0.5 m
    /// Google Earth, different seasons and buildings) yields a confident window that claims a shift
    /// beyond the sanity limit; the spurious 5–30 px peaks there must all be rejected.
    /// </summary>
    [Test]
    public void ScenesShiftsOfTheRealPairs()
    {
        string real = SharedData.RequireDir("real");
        var options = new CoRegistrationOptions();
        var wild = new List<string>();
        foreach (var line in File.ReadAllLines(Path.Combine(real, "pairs.csv")).Skip(1))
        {
            var f = line.Split(',');
            string source = f[0], name = f[1], dir = Path.Combine(real, f[2]);
            using var pair = ScenePair.Open(Path.Combine(dir, "before.tif"), Path.Combine(dir, "after.tif"));
            var windows = CoRegistration.SpreadWindows(pair.Grid, options);
            var sw = Stopwatch.StartNew();
            var estimates = windows.Select(w => CoRegistration.EstimateWindow(pair, w)).ToList();
            var global = CoRegistration.EstimateGlobal(estimates, options);
            TestContext.Out.WriteLine($"{source}/{name} {pair.Grid.Width}×{pair.Grid.Height}: {global.Status}: {global.Reason} [{sw.ElapsedMilliseconds} ms]");
            foreach (var (w, e) in windows.Zip(estimates))
            {
                TestContext.Out.WriteLine($"    {w}: {e}");
                if (source == "levir-cd" && e.Confidence >= options.MinConfidence && e.Magnitude > options.MaxShift)
                    wild.Add($"{name} {w}: {e}");
            }
        }
        Assert.That(wild, Is.Empty, "confident LEVIR-CD windows beyond the sanity limit");
    }
}
