using MathNet.Numerics.LinearAlgebra;

namespace ChangeDetection.Kernels;

/// <summary>What <see cref="IrMad.Fit"/> found.</summary>
/// <param name="Projection">The MAD variates, each divided by its no-change spread: Σ v_i² is the chi-square statistic.</param>
/// <param name="Correlations">Canonical correlations ρ_i of the dates on the unchanged pixels, ascending (the least correlated, most change-bearing variate first).</param>
/// <param name="Iterations">Reweighting iterations run.</param>
/// <param name="Converged">True when the correlations settled (<see cref="IrMad.Tolerance"/>) before <see cref="IrMad.MaxIterations"/>.</param>
public sealed record IrMadFit(ChangeProjection Projection, IReadOnlyList<double> Correlations, int Iterations, bool Converged);

/// <summary>
/// Iteratively reweighted multivariate alteration detection (IR-MAD; Nielsen, Conradsen and Simpson 1998;
/// Nielsen 2007): canonical correlation analysis of the two dates' bands, refitted with each pixel weighted by
/// its probability of no change, so the fit is that of the unchanged ground whatever share of the scene changed.
/// </summary>
/// <remarks>
/// <para>Each iteration, with pixel weights <c>w</c> (all 1 at first), on weighted means and covariances:</para>
/// <code>
///   Σxy Σyy⁻¹ Σyx a = ρ² Σxx a,   b ∝ Σyy⁻¹ Σyx a,   aᵀΣxx a = bᵀΣyy b = 1,   aᵀΣxy b = ρ ≥ 0
///   MAD_i = a_iᵀ(x − μx) − b_iᵀ(y − μy),   var(MAD_i | no change) = 2 (1 − ρ_i)
///   Z     = Σ_i MAD_i² / var_i,   w = P(χ²_p &gt; Z)
/// </code>
/// <para>
/// The score's variances are those of the last iteration divided by c_p (<see cref="InvariantPixelNormalization.WeightedVarianceShrink"/>),
/// the shrink of a variance weighted by <c>w</c>. Unlike the per-band fit of <see cref="InvariantPixelNormalization"/>, the variates mix the bands, so noise
/// that is correlated across bands (SWIR1 with SWIR2, the visible bands with each other) is counted once, and
/// a change that moves the spectrum in a direction the unchanged ground never does stands out even when it is
/// small in every single band. The result is invariant to any affine recalibration of either date.
/// </para>
/// </remarks>
public static class IrMad
{
    /// <summary>
    /// The iteration stops when no canonical correlation moved more than this: the criterion of Canty's
    /// reference implementation (iMad, "Image Analysis, Classification and Change Detection in Remote
    /// Sensing", 2014; tolerance 0.001).
    /// </summary>
    public const double Tolerance = 1e-3;

    /// <summary>At most this many iterations (Canty's default of 50); the labelled Landsat pair settles in about 20.</summary>
    public const int MaxIterations = 50;

    /// <summary>
    /// Fits IR-MAD on a sample: <paramref name="before"/>[b][i] and <paramref name="after"/>[b][i] are band b of
    /// sample pixel i (DN), every pixel valid in both dates. Null when the sample cannot carry the fit: fewer pixels
    /// than twice the unknowns, or a band without spread in either date (its covariance has no inverse).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than <see cref="ChangeKernelOptions.MinBands"/> or more than
    /// <see cref="ChangeKernelOptions.MaxBands"/> bands, or bands of unequal length.</exception>
    public static IrMadFit? Fit(IReadOnlyList<float[]> before, IReadOnlyList<float[]> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        int p = before.Count;
        if (p is < ChangeKernelOptions.MinBands or > ChangeKernelOptions.MaxBands || after.Count != p)
            throw new ArgumentException($"IR-MAD takes {ChangeKernelOptions.MinBands} to {ChangeKernelOptions.MaxBands} bands in both dates, not {p} and {after.Count}.");
        int n = before[0].Length;
        for (int b = 0; b < p; b++)
            if (before[b].Length != n || after[b].Length != n)
                throw new ArgumentException($"Band {b} holds {before[b].Length} before and {after[b].Length} after samples; every band needs {n}.");
        // A floor against a degenerate sample, not a tuning: at least twice as many pixels as the 2p means and
        // (2p)(2p+1)/2 covariances estimated (a detector's sample holds tens of thousands or more).
        if (n < 2 * (2 * p) * (2 * p + 1)) return null;

        var weights = new double[n];
        Array.Fill(weights, 1.0);
        double[]? rho = null;
        Step? step = null;
        bool converged = false;
        int iterations = 0;
        while (iterations < MaxIterations)
        {
            var next = Solve(before, after, weights);
            if (next is null) return step is null ? null : Result(step, rho!, iterations, converged, p);
            iterations++;
            double moved = rho is null ? double.PositiveInfinity : next.Rho.Zip(rho, (x, y) => Math.Abs(x - y)).Max();
            step = next;
            rho = next.Rho;
            Reweight(before, after, step, weights);
            if (moved < Tolerance)
            {
                converged = true;
                break;
            }
        }
        return Result(step!, rho!, iterations, converged, p);
    }

    /// <summary>
    /// The MAD spreads of the score: weighting by P(χ² &gt; Z) favours the pixels with small MADs, so the weighted
    /// variance of the last iteration is short of the unchanged pixels' own by at least c_p
    /// (<see cref="InvariantPixelNormalization.WeightedVarianceShrink"/>), the per-band fit's correction. It is
    /// undone for the score only, so that the score reads in the same units as the per-band score (the index terms'
    /// weights count against those units). The iteration itself runs uncorrected, as Nielsen's and Canty's: with the
    /// correction inside it, the inflated spreads let a 30 % change pass as unchanged and the weights never separate it.
    /// </summary>
    private static double ScoreSpread(double sigma, int p) => sigma / Math.Sqrt(InvariantPixelNormalization.WeightedVarianceShrink(p));

    /// <summary>One CCA solution: canonical vectors (columns of A, B), means, correlations and no-change spreads.</summary>
    private sealed record Step(Matrix<double> A, Matrix<double> B, double[] MeanX, double[] MeanY, double[] Rho, double[] Sigma);

    private static Step? Solve(IReadOnlyList<float[]> before, IReadOnlyList<float[]> after, double[] w)
    {
        int p = before.Count, n = w.Length;
        double sw = 0;
        var mx = new double[p];
        var my = new double[p];
        for (int i = 0; i < n; i++) sw += w[i];
        if (!(sw > 0)) return null;
        for (int b = 0; b < p; b++)
        {
            double sx = 0, sy = 0;
            float[] x = before[b], y = after[b];
            for (int i = 0; i < n; i++)
            {
                sx += w[i] * x[i];
                sy += w[i] * y[i];
            }
            mx[b] = sx / sw;
            my[b] = sy / sw;
        }
        // Weighted covariance of the stacked (before, after) vector, 2p × 2p.
        int q = 2 * p;
        var c = new double[q, q];
        var z = new double[q];
        for (int i = 0; i < n; i++)
        {
            if (w[i] == 0) continue;
            for (int b = 0; b < p; b++)
            {
                z[b] = before[b][i] - mx[b];
                z[p + b] = after[b][i] - my[b];
            }
            double wi = w[i];
            for (int r = 0; r < q; r++)
            {
                double zr = wi * z[r];
                for (int s = r; s < q; s++) c[r, s] += zr * z[s];
            }
        }
        for (int r = 0; r < q; r++)
            for (int s = r; s < q; s++) c[s, r] = c[r, s] /= sw;
        var cov = Matrix<double>.Build.DenseOfArray(c);
        var sxx = cov.SubMatrix(0, p, 0, p);
        var syy = cov.SubMatrix(p, p, p, p);
        var sxy = cov.SubMatrix(0, p, p, p);
        // One DN is the quantisation step: a band whose spread is below it holds no signal to correlate.
        for (int b = 0; b < p; b++)
            if (sxx[b, b] < 1.0 / 12 || syy[b, b] < 1.0 / 12) return null;

        Matrix<double> lx;
        try
        {
            lx = sxx.Cholesky().Factor;
        }
        catch (ArgumentException)
        {
            // Bands that are linear combinations of each other (a synthetic band, a duplicated one): no CCA.
            return null;
        }
        var lxInv = lx.Inverse();
        var syyInvSyx = syy.Solve(sxy.Transpose());
        var m = lxInv * sxy * syyInvSyx * lxInv.Transpose();
        m = (m + m.Transpose()) / 2;
        var evd = m.Evd(Symmetricity.Symmetric);
        // Eigenvalues come ascending: the least correlated pair (the most change) first, as in Nielsen's ordering of MAD variates.
        var a = lxInv.Transpose() * evd.EigenVectors;
        var bm = syyInvSyx * a;
        var rhos = new double[p];
        var sigma = new double[p];
        for (int k = 0; k < p; k++)
        {
            var ak = a.Column(k);
            var bk = bm.Column(k);
            double vb = bk * (syy * bk);
            bk = vb > 0 ? bk / Math.Sqrt(vb) : bk;
            double r = ak * (sxy * bk);
            if (r < 0)
            {
                bk = -bk;
                r = -r;
            }
            bm.SetColumn(k, bk);
            rhos[k] = Math.Min(r, 1);
            // The no-change variance of a MAD variate, 2(1 − ρ), floored at the variance the 1-DN quantisation of both
            // dates alone gives it, (Σ a² + Σ b²)/12: a near-perfect correlation must not divide by ~0.
            double quantisation = (ak * ak + bk * bk) / 12;
            sigma[k] = Math.Sqrt(Math.Max(2 * (1 - rhos[k]), quantisation));
        }
        return new Step(a, bm, mx, my, rhos, sigma);
    }

    /// <summary>w = P(χ²_p &gt; Z) for every sample pixel.</summary>
    private static void Reweight(IReadOnlyList<float[]> before, IReadOnlyList<float[]> after, Step step, double[] w)
    {
        int p = before.Count, n = w.Length;
        // Plain arrays of the variates' coefficients (already divided by σ) and constants: the matrix indexer in the
        // pixel loop cost seconds per scene.
        var ca = new double[p * p];
        var cb = new double[p * p];
        var c0 = new double[p];
        for (int k = 0; k < p; k++)
        {
            for (int b = 0; b < p; b++)
            {
                ca[k * p + b] = step.A[b, k] / step.Sigma[k];
                cb[k * p + b] = step.B[b, k] / step.Sigma[k];
                c0[k] += -ca[k * p + b] * step.MeanX[b] + cb[k * p + b] * step.MeanY[b];
            }
        }
        var x = new double[p];
        var y = new double[p];
        for (int i = 0; i < n; i++)
        {
            for (int b = 0; b < p; b++)
            {
                x[b] = before[b][i];
                y[b] = after[b][i];
            }
            double zsum = 0;
            for (int k = 0; k < p; k++)
            {
                double v = c0[k];
                for (int b = 0; b < p; b++) v += ca[k * p + b] * x[b] - cb[k * p + b] * y[b];
                zsum += v * v;
            }
            w[i] = InvariantPixelNormalization.ChiSquaredSurvival(p, zsum);
        }
    }

    /// <summary>The projection the kernel applies: v_k = (a_kᵀx − b_kᵀy − a_kᵀμx + b_kᵀμy) / σ_k.</summary>
    private static IrMadFit Result(Step step, double[] rho, int iterations, bool converged, int p)
    {
        var wb = new float[p * p];
        var wa = new float[p * p];
        var offsets = new float[p];
        for (int k = 0; k < p; k++)
        {
            double offset = 0, sigma = ScoreSpread(step.Sigma[k], p);
            for (int b = 0; b < p; b++)
            {
                wb[k * p + b] = (float)(step.A[b, k] / sigma);
                wa[k * p + b] = (float)(step.B[b, k] / sigma);
                offset += -step.A[b, k] * step.MeanX[b] + step.B[b, k] * step.MeanY[b];
            }
            offsets[k] = (float)(offset / sigma);
        }
        return new IrMadFit(new ChangeProjection(p, wb, wa, offsets), rho, iterations, converged);
    }
}
