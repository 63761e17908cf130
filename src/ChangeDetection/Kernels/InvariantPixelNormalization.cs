using MathNet.Numerics.Distributions;

namespace ChangeDetection.Kernels;

/// <summary>
/// Relative radiometric normalisation fitted on pseudo-invariant pixels, so that it does not
/// depend on how much of the scene changed: an iteratively reweighted per-band fit in the spirit
/// of IR-MAD (Nielsen 2007), restricted to one band at a time so that <see cref="ChangeKernel"/>
/// can apply it as a per-band gain, offset and scale.
/// </summary>
/// <remarks>
/// <para>Each iteration, with pixel weights <c>w</c> (all 1 at first):</para>
/// <code>
///   gain_b   = σ_w(before_b) / σ_w(after_b)           (reduced major axis: symmetric in the dates)
///   offset_b = μ_w(before_b) − gain_b · μ_w(after_b)   (DN)
///   d_b      = gain_b · after_b + offset_b − before_b  (DN)
///   scale_b  = 1 / σ_w(d_b)                            (1/DN: the spread of the no-change difference)
///   Z        = Σ_b (d_b · scale_b)²,   w = P(χ²_p &gt; Z)  (p = band count)
/// </code>
/// <para>
/// A changed pixel has a large Z and so almost no weight in the next fit; after a few iterations
/// the fit is that of the unchanged ground, whether 1 % or 40 % of the scene changed (mean/std
/// matching is pulled by every changed pixel). Scaling by the no-change spread of the
/// difference, rather than by the spread of the band, makes the score read in units of the
/// scene's own noise, so Z of an unchanged pixel is close to χ²_p: the same scale for a 3-band
/// RGB crop and a 6-band Landsat scene. Dark clouds or saturated pixels do not drag the fit for
/// the same reason they do not count as unchanged.
/// </para>
/// </remarks>
internal static class InvariantPixelNormalization
{
    /// <summary>
    /// Iterations of the reweighting. The weights settle after 5–8 on the labelled pairs (gains
    /// change by less than 10⁻³ after that); 10 leaves margin and costs milliseconds on a sample.
    /// </summary>
    public const int DefaultIterations = 10;

    /// <summary>
    /// Fits every band on the sample: <paramref name="before"/>[b][i] and <paramref name="after"/>[b][i]
    /// are band b of sample pixel i (DN), every pixel valid in both dates.
    /// </summary>
    /// <param name="before">The before date's sample, one array per band (DN).</param>
    /// <param name="after">The after date's sample, one array per band (DN).</param>
    /// <param name="iterations">Reweighting iterations (<see cref="DefaultIterations"/>).</param>
    /// <param name="workers">
    /// Threads: each iteration fits the bands at once (each band's fit reads only the last iteration's weights), then
    /// weighs the pixels in ranges. Every sum keeps the order of one thread's loop, so the result is the same bit for bit
    /// for any worker count.
    /// </param>
    /// <returns>Per band: gain, offset (DN) and scale (1/DN); and the estimated share of the sample that did not change (0–1: twice the mean weight, since an unchanged pixel's weight averages ½).</returns>
    /// <exception cref="ArgumentException">No bands, or bands of unequal length.</exception>
    /// <exception cref="InvalidOperationException">The sample is empty.</exception>
    public static (BandNormalization[] Bands, double InvariantShare) Fit(IReadOnlyList<float[]> before, IReadOnlyList<float[]> after, int iterations = DefaultIterations,
        int workers = 1)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        int bands = before.Count;
        if (bands == 0 || after.Count != bands)
            throw new ArgumentException($"Both dates need the same bands (before {bands}, after {after.Count}).");
        int n = before[0].Length;
        for (int b = 0; b < bands; b++)
            if (before[b].Length != n || after[b].Length != n)
                throw new ArgumentException($"Band {b} holds {before[b].Length} before and {after[b].Length} after samples; every band needs {n}.");
        if (n == 0)
            throw new InvalidOperationException("No pixel is valid in both dates, so the radiometric normalisation has nothing to fit.");
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);

        // Arrays, not the interface: the reweighting reads every band of each pixel in turn.
        float[][] x = [.. before], y = [.. after];
        var weights = new double[n];
        Array.Fill(weights, 1.0);
        var result = new BandNormalization[bands];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = workers };
        int ranges = workers == 1 ? 1 : (n + WeightRange - 1) / WeightRange;
        double share = 1;
        for (int it = 0; it < iterations; it++)
        {
            double correction = it == 0 ? 1 : WeightedVarianceShrink(bands);
            if (workers == 1)
                for (int b = 0; b < bands; b++) result[b] = FitBand(x[b], y[b], weights, correction);
            else
                Parallel.For(0, bands, parallel, b => result[b] = FitBand(x[b], y[b], weights, correction));
            // The fits are all read before any weight changes: the new weights come after every band's fit.
            if (ranges == 1) Reweigh(x, y, result, weights, 0, n);
            else
                Parallel.For(0, ranges, parallel, r => Reweigh(x, y, result, weights, r * WeightRange, Math.Min(n, (r + 1) * WeightRange)));
            // In pixel order on one thread: the sum of a serial loop, bit for bit.
            double sum = 0;
            for (int i = 0; i < n; i++) sum += weights[i];
            // All weight gone means every pixel looks changed: keep the last fit rather than divide by zero.
            if (sum <= 0) break;
            // An unchanged pixel's weight is uniform on [0, 1] (mean ½): twice the mean weight is the unchanged share.
            share = Math.Min(1, 2 * sum / n);
        }
        return (result, share);
    }

    /// <summary>Pixels a thread reweighs at a time (64 Ki: a few hundred microseconds of work, and few ranges to hand out).</summary>
    private const int WeightRange = 1 << 16;

    /// <summary>
    /// The no-change weight of pixels [<paramref name="start"/>, <paramref name="end"/>) under the band fits
    /// <paramref name="fits"/>: w = P(χ²_p &gt; Z), Z the sum over the bands, in band order, of the squared scaled residual.
    /// </summary>
    private static void Reweigh(float[][] before, float[][] after, BandNormalization[] fits, double[] weights, int start, int end)
    {
        int bands = fits.Length;
        for (int i = start; i < end; i++)
        {
            double z = 0;
            for (int b = 0; b < bands; b++)
            {
                var (gain, offset, scale) = fits[b];
                // Single precision as the kernel applies it, widened for the sum.
                double d = (gain * after[b][i] + offset - before[b][i]) * scale;
                z += d * d;
            }
            weights[i] = ChiSquaredSurvival(bands, z);
        }
    }

    /// <summary>
    /// How much the no-change weights shrink a band's residual variance: weighting by
    /// <c>w = P(χ²_p &gt; Z)</c> favours the pixels with small residuals, so even on an unchanged scene
    /// the weighted variance is only <c>c_p = E[Z·w] / (p·E[w])</c> of the true one. Left
    /// uncorrected, each iteration shrinks the spread, raises Z and cuts the weights again until
    /// only the quietest pixels count. Since <c>w(Z)</c> is uniform on [0, 1] for χ²_p-distributed
    /// Z, <c>E[w] = ½</c>, and <c>E[Z·w]</c> is integrated numerically once per band count.
    /// </summary>
    internal static double WeightedVarianceShrink(int bands) => Shrink.GetOrAdd(bands, p =>
    {
        var chi = new ChiSquared(p);
        // Simpson's rule on [0, 20p + 100]: the integrand's tail beyond is below 1e-12.
        int steps = 20_000;
        double upper = 20.0 * p + 100, h = upper / steps, sum = 0;
        for (int i = 0; i <= steps; i++)
        {
            double z = i * h;
            double f = z * ChiSquaredSurvival(p, z) * chi.Density(z);
            if (double.IsNaN(f) || double.IsInfinity(f)) f = 0;
            sum += f * (i == 0 || i == steps ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3 / (p * 0.5);
    });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, double> Shrink = new();

    /// <summary>
    /// P(χ²_k &gt; z) for a whole number of degrees of freedom k, in closed form: the fit evaluates it for
    /// every sample pixel in every iteration (2.6 million times per scene), where the general
    /// incomplete-gamma routine cost about 0.3 s per detection:
    /// even k: e^(−z/2) Σ_{j&lt;k/2} (z/2)^j / j!; odd k: erfc(√(z/2)) + e^(−z/2) Σ_{j=1}^{(k−1)/2} (z/2)^(j−½) / Γ(j+½).
    /// </summary>
    internal static double ChiSquaredSurvival(int k, double z)
    {
        if (!(z > 0)) return 1;
        double h = z / 2, e = Math.Exp(-h);
        if (k % 2 == 0)
        {
            double term = 1, sum = 1;
            for (int j = 1; j < k / 2; j++)
            {
                term *= h / j;
                sum += term;
            }
            return Math.Min(1, e * sum);
        }
        double result = MathNet.Numerics.SpecialFunctions.Erfc(Math.Sqrt(h));
        // Γ(j + ½) from Γ(3/2) = √π / 2 upward; the term (z/2)^(j−½) / Γ(j+½) likewise.
        double t = Math.Sqrt(h) / (Math.Sqrt(Math.PI) / 2);
        double s = 0;
        for (int j = 1; j <= (k - 1) / 2; j++)
        {
            s += t;
            t *= h / (j + 0.5);
        }
        return Math.Min(1, result + e * s);
    }

    /// <summary>The weighted reduced-major-axis fit of one band and the weighted spread of its residual.</summary>
    private static BandNormalization FitBand(float[] x, float[] y, double[] w, double varianceShrink)
    {
        double sw = 0, sx = 0, sy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sw += w[i];
            sx += w[i] * x[i];
            sy += w[i] * y[i];
        }
        if (sw <= 0) return new BandNormalization(1f, 0f, (float)(1 / RadiometricNormalization.MinStandardDeviation));
        double mx = sx / sw, my = sy / sw, vx = 0, vy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            vx += w[i] * dx * dx;
            vy += w[i] * dy * dy;
        }
        double sdx = Math.Max(Math.Sqrt(vx / sw), RadiometricNormalization.MinStandardDeviation);
        double sdy = Math.Max(Math.Sqrt(vy / sw), RadiometricNormalization.MinStandardDeviation);
        double gain = Math.Min(sdx / sdy, ChangeKernelOptions.MaxGain);
        double offset = Math.Clamp(mx - gain * my, -ChangeKernelOptions.MaxOffset, ChangeKernelOptions.MaxOffset);
        // The fitted line passes through the weighted means, so the residual's weighted mean is 0.
        double vd = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = gain * y[i] + offset - x[i];
            vd += w[i] * d * d;
        }
        // One DN is the quantisation step: a residual spread below it is no noise estimate.
        double sdd = Math.Max(Math.Sqrt(vd / sw / varianceShrink), RadiometricNormalization.MinStandardDeviation);
        return new BandNormalization((float)gain, (float)offset, (float)(1 / sdd));
    }
}
