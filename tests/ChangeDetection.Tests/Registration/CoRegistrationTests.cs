using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Registration;
using ChangeDetection.Tests.Raster;

namespace ChangeDetection.Tests.Registration;

[TestFixture]
public class CoRegistrationTests
{
    private static readonly CoRegistrationOptions Defaults = new();

    private static ShiftEstimate S(double dx, double dy, double confidence) => new(dx, dy, confidence);

    [Test]
    public void WeightedMedianTakesTheValueAtHalfTheWeight()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CoRegistration.WeightedMedian([(3, 1), (1, 1), (2, 1)]), Is.EqualTo(2));
            Assert.That(CoRegistration.WeightedMedian([(1, 1), (2, 1)]), Is.EqualTo(1.5), "equal halves give the midpoint");
            Assert.That(CoRegistration.WeightedMedian([(1, 1), (2, 1), (10, 5)]), Is.EqualTo(10), "a heavy value outweighs two light ones");
            Assert.That(CoRegistration.WeightedMedian([(5, 2)]), Is.EqualTo(5));
        });
    }

    [Test]
    public void GlobalShiftIsTheWeightedMedianOfTheConfidentWindows()
    {
        var estimates = new[]
        {
            S(0.50, -0.30, 10), S(0.55, -0.25, 8), S(0.45, -0.35, 6), S(0.60, -0.20, 5),
            S(-20, 13, 1.2), S(7, 7, 2.0), // low confidence: ignored
            S(-40, 4, 4.5), // confident but far off: outvoted
        };
        var g = CoRegistration.EstimateGlobal(estimates);
        Assert.Multiple(() =>
        {
            Assert.That(g.Status, Is.EqualTo(GlobalShiftStatus.Estimated), g.Reason);
            // Dx sorted with weights: −40 (4.5), 0.45 (6), 0.50 (10), 0.55 (8), 0.60 (5); total 33.5, half reached at 0.50.
            Assert.That(g.Dx, Is.EqualTo(0.50).Within(1e-12));
            // Dy sorted: −0.35 (6), −0.30 (10), −0.25 (8), −0.20 (5), 4 (4.5): 16 < 16.75 at −0.30, so −0.25.
            Assert.That(g.Dy, Is.EqualTo(-0.25).Within(1e-12));
            Assert.That((g.Windows, g.Confident, g.Agreeing), Is.EqualTo((7, 5, 4)));
            Assert.That(g.Reason, Does.Contain("4 of 5"));
        });
    }

    [Test]
    public void TheOrderOfTheWindowsDoesNotMatter()
    {
        var estimates = new[] { S(0.5, -0.3, 10), S(0.55, -0.25, 8), S(0.45, -0.35, 6), S(-40, 4, 4.5), S(0.6, -0.2, 5) };
        var forward = CoRegistration.EstimateGlobal(estimates);
        var backward = CoRegistration.EstimateGlobal(estimates.Reverse().ToArray());
        Assert.That(backward, Is.EqualTo(forward));
    }

    [Test]
    public void NoConfidentWindowGivesZeroWithAReason()
    {
        var g = CoRegistration.EstimateGlobal([S(-21.8, 3.9, 1.1), S(9.1, 17.7, 1.01), S(0.2, 0.1, 3.9)]);
        Assert.Multiple(() =>
        {
            Assert.That(g.Status, Is.EqualTo(GlobalShiftStatus.NoConfidentWindow));
            Assert.That((g.Dx, g.Dy), Is.EqualTo((0.0, 0.0)));
            Assert.That((g.Windows, g.Confident), Is.EqualTo((3, 0)));
            Assert.That(g.Reason, Does.Contain("none of 3 windows"));
        });
    }

    [Test]
    public void AShiftBeyondTheSanityLimitIsRefused()
    {
        // Every window agrees, confidently, on 5 px: the grids are wrong, not misregistered.
        var wrongGrid = CoRegistration.EstimateGlobal([S(4.9, 1.2, 20), S(5.0, 1.1, 15), S(5.1, 1.0, 12)]);
        var justInside = CoRegistration.EstimateGlobal([S(3.9, 0.5, 20), S(3.95, 0.45, 15), S(3.85, 0.55, 12)]);
        var custom = CoRegistration.EstimateGlobal([S(3.9, 0.5, 20)], Defaults with { MaxShift = 2 });
        Assert.Multiple(() =>
        {
            Assert.That(wrongGrid.Status, Is.EqualTo(GlobalShiftStatus.BeyondSanityLimit));
            Assert.That((wrongGrid.Dx, wrongGrid.Dy), Is.EqualTo((0.0, 0.0)));
            Assert.That(wrongGrid.Agreeing, Is.EqualTo(3));
            Assert.That(wrongGrid.Reason, Does.Contain("(5.00, 1.10) px").And.Contain("sanity limit"));
            Assert.That(justInside.Status, Is.EqualTo(GlobalShiftStatus.Estimated), justInside.Reason);
            Assert.That(justInside.Dx, Is.EqualTo(3.9));
            Assert.That(custom.Status, Is.EqualTo(GlobalShiftStatus.BeyondSanityLimit));
        });
    }

    [Test]
    public void ScatteredWindowsGiveZeroWithAReason()
    {
        var g = CoRegistration.EstimateGlobal([S(0.5, 0.5, 10), S(-1.5, 2, 9), S(2, -1, 8), S(-0.5, -2, 7)]);
        Assert.Multiple(() =>
        {
            Assert.That(g.Status, Is.EqualTo(GlobalShiftStatus.WindowsDisagree), g.Reason);
            Assert.That((g.Dx, g.Dy), Is.EqualTo((0.0, 0.0)));
            Assert.That(g.Confident, Is.EqualTo(4));
            Assert.That(g.Agreeing, Is.LessThan(2));
        });
    }

    [Test]
    public void BadOptionsAreAClearError()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CoRegistration.EstimateGlobal([S(0, 0, 5)], Defaults with { MinAgreeingShare = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CoRegistration.EstimateGlobal([S(0, 0, 5)], Defaults with { MaxShift = -1 }));
    }

    [Test]
    public void SpreadWindowsCoverTheGridEvenlyAndStayInside()
    {
        var grid = new GeoGrid(785, 799, new GeoTransform(0, 1, 0, 0, 0, -1), new Crs(4527));
        var windows = CoRegistration.SpreadWindows(grid);
        var small = CoRegistration.SpreadWindows(grid with { Width = 200, Height = 180 });
        Assert.Multiple(() =>
        {
            Assert.That(windows, Has.Count.EqualTo(9));
            Assert.That(windows, Has.All.Matches<PixelWindow>(w => grid.Bounds.Contains(w) && w.Width == 256 && w.Height == 256));
            Assert.That(windows.Select(w => w.X).Distinct(), Is.EqualTo(new[] { 88, 264, 440 }));
            // A grid smaller than a window gives one window, the whole grid.
            Assert.That(small, Is.EqualTo(new[] { new PixelWindow(0, 0, 200, 180) }));
        });
    }

    [Test]
    public void BandMeanMarksInvalidPixelsAsNoData()
    {
        // Two bands of three pixels, band-sequential; the middle pixel is invalid.
        var mean = CoRegistration.BandMean(new ushort[] { 10, 20, 30, 20, 40, 50 }, new byte[] { 1, 0, 1 }, 2);
        Assert.Multiple(() =>
        {
            Assert.That(mean[0], Is.EqualTo(15f));
            Assert.That(float.IsNaN(mean[1]), Is.True);
            Assert.That(mean[2], Is.EqualTo(40f));
            Assert.Throws<ArgumentException>(() => CoRegistration.BandMean(new ushort[5], new byte[3], 2));
        });
    }

    [Test]
    public void ScenePairShiftIsRecoveredFromGeoTiffs()
    {
        // Two dates on one grid, the after content moved by (0.6, −0.4) px, written as uint16
        // with different gains per band; 4 windows of 128² (small images keep the test fast).
        const int w = 300, h = 280;
        var before = ShiftedImages.Texture(w, h, 0, 0, seed: 21, noise: 2, noiseSeed: 1);
        var after = ShiftedImages.Texture(w, h, 0.6, -0.4, seed: 21, noise: 2, noiseSeed: 2);
        using var dir = new TempDir();
        var gt = new GeoTransform(39_500_000, 1, 0, 3_800_000, 0, -1);
        string[] names = ["blue", "green", "red", "nir"];
        string b = ScenePairTests.Write(dir, "before.tif", w, h, gt, (k, c, r) => (int)(before[r * w + c] * (1 + 0.2 * k)), names);
        string a = ScenePairTests.Write(dir, "after.tif", w, h, gt, (k, c, r) => (int)(after[r * w + c] * (1.1 + 0.2 * k)) + 50, names);
        using var pair = ScenePair.Open(b, a);
        var windows = CoRegistration.SpreadWindows(pair.Grid, size: 128, perSide: 2);
        var g = CoRegistration.EstimateGlobal(pair, windows);
        Assert.Multiple(() =>
        {
            Assert.That(g.Status, Is.EqualTo(GlobalShiftStatus.Estimated), g.Reason);
            Assert.That(g.Dx, Is.EqualTo(0.6).Within(0.1), g.Reason);
            Assert.That(g.Dy, Is.EqualTo(-0.4).Within(0.1), g.Reason);
            Assert.That((g.Windows, g.Agreeing), Is.EqualTo((4, 4)));
        });
    }
}
