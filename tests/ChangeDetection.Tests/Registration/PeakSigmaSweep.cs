using ChangeDetection.Registration;

namespace ChangeDetection.Tests.Registration;

/// <summary>
/// The sweep behind <see cref="PhaseCorrelation.PeakSigma"/> and the sub-pixel fit: worst error
/// over 4 textures × 7 shifts per setting, and the highest peak ratio of unrelated pairs. Prints
/// only; run it by name (about a minute) when changing either.
/// </summary>
[TestFixture, Explicit("a calibration sweep, not a check")]
public class PeakSigmaSweep
{
    private static readonly double[][] Shifts = [[0.3, -0.7], [1.25, 0.55], [-2.4, 1.1], [0.5, 0.5], [-0.25, 0.1], [3.7, -3.2], [0.0, 0.9]];

    private static ShiftEstimate Estimate(float[] before, float[] after, int n, double sigma) =>
        PhaseCorrelation.Locate(
            PhaseCorrelation.CorrelationSurface(PhaseCorrelation.Prepare(before, n, n)!, PhaseCorrelation.Prepare(after, n, n)!, n, n, sigma),
            n, n, (int)Math.Ceiling(4 * sigma));

    [Test]
    public void Sweep()
    {
        const int n = 256;
        foreach (double noise in new[] { 2.0, 5.0, 10.0 })
            foreach (double sigma in new[] { 0.0, 1.0, 1.5, 2.0, 3.0 })
            {
                double worst = 0, minConfidence = double.MaxValue, unrelated = 0;
                for (int seed = 1; seed <= 4; seed++)
                    foreach (var s in Shifts)
                    {
                        var e = Estimate(ShiftedImages.Texture(n, n, 0, 0, seed, noise, 100 + seed),
                            ShiftedImages.Texture(n, n, s[0], s[1], seed, noise, 200 + seed), n, sigma);
                        worst = Math.Max(worst, Math.Max(Math.Abs(e.Dx - s[0]), Math.Abs(e.Dy - s[1])));
                        minConfidence = Math.Min(minConfidence, e.Confidence);
                    }
                for (int seed = 1; seed <= 20; seed++)
                {
                    unrelated = Math.Max(unrelated, Estimate(ShiftedImages.Noise(n, n, seed), ShiftedImages.Noise(n, n, 1000 + seed), n, sigma).Confidence);
                    unrelated = Math.Max(unrelated, Estimate(ShiftedImages.Texture(n, n, 0, 0, seed), ShiftedImages.Texture(n, n, 0, 0, 5000 + seed), n, sigma).Confidence);
                }
                TestContext.Out.WriteLine($"noise {noise} sigma {sigma}: worst |error| {worst:0.000} px, least confidence {minConfidence:0.0}, unrelated pairs up to {unrelated:0.00}");
            }
    }
}
