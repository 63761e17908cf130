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

    /// <summary>The sub-pixel fit: log-parabola (the one used), plain parabola and 3×3 centroid on the same surfaces.</summary>
    [Test]
    public void Fits()
    {
        const int n = 256;
        foreach (double sigma in new[] { 0.0, PhaseCorrelation.PeakSigma })
        {
            double log = 0, parabola = 0, centroid = 0;
            for (int seed = 1; seed <= 4; seed++)
                foreach (var s in Shifts)
                {
                    var surface = PhaseCorrelation.CorrelationSurface(
                        PhaseCorrelation.Prepare(ShiftedImages.Texture(n, n, 0, 0, seed, 2, 100 + seed), n, n)!,
                        PhaseCorrelation.Prepare(ShiftedImages.Texture(n, n, s[0], s[1], seed, 2, 200 + seed), n, n)!, n, n, sigma);
                    int p = PhaseCorrelation.ArgMax(surface), px = p % n, py = p / n;
                    double At(int i, int j) => surface[(py + j + n) % n * n + (px + i + n) % n];
                    double x0 = PhaseCorrelation.Unwrap(px, n), y0 = PhaseCorrelation.Unwrap(py, n);
                    double Error(double dx, double dy) => Math.Max(Math.Abs(x0 + dx - s[0]), Math.Abs(y0 + dy - s[1]));
                    log = Math.Max(log, Error(PhaseCorrelation.GaussianOffset(At(-1, 0), At(0, 0), At(1, 0)), PhaseCorrelation.GaussianOffset(At(0, -1), At(0, 0), At(0, 1))));
                    static double Vertex(double l, double c, double r) => 0.5 * (l - r) / (l - 2 * c + r);
                    parabola = Math.Max(parabola, Error(Vertex(At(-1, 0), At(0, 0), At(1, 0)), Vertex(At(0, -1), At(0, 0), At(0, 1))));
                    double w = 0, cx = 0, cy = 0;
                    for (int j = -1; j <= 1; j++)
                        for (int i = -1; i <= 1; i++)
                        {
                            double v = Math.Max(0, At(i, j));
                            w += v; cx += v * i; cy += v * j;
                        }
                    centroid = Math.Max(centroid, Error(cx / w, cy / w));
                }
            TestContext.Out.WriteLine($"sigma {sigma}, noise 2: worst |error| log-parabola {log:0.000}, parabola {parabola:0.000}, 3×3 centroid {centroid:0.000} px");
        }
    }
}
