using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

[TestFixture]
public class IrMadTests
{
    private const int Bands = 6;

    /// <summary>χ²₆'s 0.999 quantile (tables; MathNet gives 22.4577): an unchanged pixel exceeds it once in a thousand.</summary>
    private const double ChiSquare6At999 = 22.4577;

    /// <summary>
    /// Six correlated bands (a Landsat-like stack driven by three ground factors, variation of each band's own, and
    /// noise, σ 3 DN); the after image is
    /// each band recalibrated (gain and offset of its own) with noise of its own, except on 30 % of the pixels, whose
    /// spectrum changed in a direction the unchanged ground never takes (a bright band 5 with dark bands 0–2), by
    /// less than the scene's own spread in every band. The chi-square of the fitted variates must be χ²₆ on
    /// the unchanged pixels and flag the changed ones.
    /// </summary>
    [Test]
    public void FindsTheInjectedChangeWhenThirtyPercentChanged()
    {
        var (before, after, changed) = Scene(pixels: 30_000, changedShare: 0.3, seed: 5);
        var fit = IrMad.Fit(before, after);
        Assert.That(fit, Is.Not.Null);
        var z = ChiSquare(fit!.Projection, before, after);
        var unchangedZ = z.Where((_, i) => !changed[i]).ToArray();
        var changedZ = z.Where((_, i) => changed[i]).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(fit.Converged, Is.True, $"converged in {fit.Iterations} iterations");
            // χ²₆ has mean 6. The reweighted fit keeps the quietest unchanged pixels, so their spread is underestimated even
            // after the c_p correction of the score (IrMad.ScoreSpread): a known bias of IR-MAD, bounded here.
            Assert.That(unchangedZ.Average(), Is.InRange(Bands, 1.6 * Bands), "mean chi-square of the unchanged pixels");
            Assert.That(unchangedZ.Count(v => v > ChiSquare6At999) / (double)unchangedZ.Length, Is.LessThan(0.03), "false alarms at the 0.999 quantile");
            Assert.That(changedZ.Count(v => v > ChiSquare6At999) / (double)changedZ.Length, Is.GreaterThan(0.95), "changed pixels found at the 0.999 quantile");
            // The most change-bearing variate is the least correlated one, first.
            Assert.That(fit.Correlations, Is.Ordered.Ascending);
            Assert.That(fit.Correlations[^1], Is.GreaterThan(0.99), "the ground factors correlate across dates");
        });

    }

    /// <summary>IR-MAD is invariant to an affine recalibration of either date: the chi-square of every pixel stays.</summary>
    [Test]
    public void ChiSquareDoesNotDependOnTheCalibrationOfEitherDate()
    {
        var (before, after, _) = Scene(pixels: 20_000, changedShare: 0.2, seed: 8);
        var recalibrated = after.Select((band, b) => band.Select(v => (float)Math.Round(1.3 * v + 40 * b + 100)).ToArray()).ToArray();
        var z = ChiSquare(IrMad.Fit(before, after)!.Projection, before, after);
        var z2 = ChiSquare(IrMad.Fit(before, recalibrated)!.Projection, before, recalibrated);
        // Rounding the recalibrated samples to whole DN is the only difference: the spreads are ~3 DN.
        double meanDifference = z.Zip(z2, (u, v) => Math.Abs(u - v)).Average();
        Assert.That(meanDifference, Is.LessThan(0.05 * z.Average()));
    }

    [Test]
    public void ASampleThatCannotCarryTheFitGivesNone()
    {
        var (before, after, _) = Scene(pixels: 5_000, changedShare: 0.1, seed: 2);
        var flat = before.Select((band, b) => b == 3 ? band.Select(_ => 500f).ToArray() : band).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(IrMad.Fit(flat, after), Is.Null, "a band without spread");
            Assert.That(IrMad.Fit(before.Select(b => b[..100]).ToArray(), after.Select(b => b[..100]).ToArray()), Is.Null, "fewer pixels than the fit needs");
            Assert.That(() => IrMad.Fit(before, after[..5]), Throws.ArgumentException);
        });
    }

    /// <summary>The squared kernel score with no index terms: Σ v² of the projection.</summary>
    private static double[] ChiSquare(ChangeProjection projection, float[][] before, float[][] after) =>
        ChiSquare(new ChangeKernelOptions(Enumerable.Repeat(BandNormalization.Identity, before.Length).ToArray(), projection: projection), before, after);

    private static double[] ChiSquare(ChangeKernelOptions options, float[][] before, float[][] after)
    {
        int n = before[0].Length;
        var b = before.SelectMany(band => band.Select(v => (ushort)v)).ToArray();
        var a = after.SelectMany(band => band.Select(v => (ushort)v)).ToArray();
        var scores = new float[n];
        ChangeKernel.Compute(b, a, n, options, scores);
        return [.. scores.Select(s => (double)s * s)];
    }

    private static (float[][] Before, float[][] After, bool[] Changed) Scene(int pixels, double changedShare, int seed)
    {
        var random = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        // Loadings of three ground factors (brightness, vegetation, moisture) on six bands, DN per unit factor.
        double[,] loadings =
        {
            { 60, -10, 5 }, { 70, 10, 5 }, { 80, -30, 10 }, { 90, 120, 20 }, { 110, 20, -60 }, { 100, -10, -70 },
        };
        double[] gain = [0.8, 0.9, 1.1, 1.2, 0.95, 1.05], offset = [30, -20, 50, 10, -40, 25];
        double[] changeDirection = [-40, -40, -40, 0, 0, 60];
        var before = new float[Bands][];
        var after = new float[Bands][];
        for (int b = 0; b < Bands; b++) { before[b] = new float[pixels]; after[b] = new float[pixels]; }
        var changed = new bool[pixels];
        for (int i = 0; i < pixels; i++)
        {
            changed[i] = random.NextDouble() < changedShare;
            double f0 = Gauss(), f1 = Gauss(), f2 = Gauss();
            for (int b = 0; b < Bands; b++)
            {
                // Plus ground variation of each band's own (σ 25 DN, the same in both dates): real ground varies in
                // every spectral direction, so every canonical pair of unchanged pixels correlates.
                double truth = 1500 + loadings[b, 0] * f0 + loadings[b, 1] * f1 + loadings[b, 2] * f2 + 25 * Gauss();
                before[b][i] = (float)Math.Round(truth + 3 * Gauss());
                double later = truth + (changed[i] ? changeDirection[b] : 0);
                after[b][i] = (float)Math.Round(gain[b] * later + offset[b] + 3 * Gauss());
            }
        }
        return (before, after, changed);
    }
}
