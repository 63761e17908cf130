using System.Numerics;
using MathNet.Numerics.IntegralTransforms;

namespace ChangeDetection.Registration;

/// <summary>
/// Sub-pixel translation between two equally sized single-band windows by phase correlation of
/// their gradient magnitudes. Gradients rather than brightness because the two dates differ in
/// season, sensor and illumination: edges (roads, buildings, field borders) keep their place
/// when brightness does not.
/// </summary>
internal static class PhaseCorrelation
{
    /// <summary>
    /// Std of the Gaussian (pixels) the correlation peak is given by weighting the normalised
    /// cross-power spectrum. Whitening alone makes a sub-pixel peak a Dirichlet kernel, on which a
    /// 3-point fit is biased; weighted, the peak is a sampled Gaussian, on which a 3-point fit of
    /// the logarithm is exact, and the whitened high frequencies (where noise and resampling blur
    /// live) count less. Chosen by PeakSigmaSweep (synthetic textures of ±100 blobs, 256², 28
    /// shifts; worst |error| in px at noise std 2 / 5 / 10): no weighting 0.049 / 0.110 / 0.254;
    /// σ=1 0.023 / 0.063 / 0.148; σ=1.5 0.018 / 0.041 / 0.098; σ=2 0.018 / 0.033 / 0.068; σ=3
    /// 0.019 / 0.036 / 0.064. 2 is where the gain stops; a wider peak only merges nearby
    /// secondary peaks into the main one.
    /// </summary>
    internal const double PeakSigma = 2.0;

    /// <summary>
    /// Half-size (pixels) of the square around the peak left out when looking for the runner-up:
    /// 4σ of the Gaussian peak, beyond which the peak's own tail is below 0.03 % of its height.
    /// At 3σ the tail (0.2 % one pixel further out) capped the ratio of identical windows near 460.
    /// </summary>
    internal const int PeakExclusionRadius = 8;

    /// <summary>
    /// Upper bound on the peak ratio. Identical windows give a perfect delta whose runner-up is
    /// rounding noise; the cap keeps the ratio (used as a weight) finite and comparable.
    /// </summary>
    internal const double MaxConfidence = 1000;

    /// <summary>
    /// Smallest window side, in pixels. The runner-up is sought outside a square of
    /// 2·<see cref="PeakExclusionRadius"/> + 1 = 17 px around the peak, so a window must be well
    /// wider than that; 32 is the next power of two, and a smaller window holds too few edges
    /// for a meaningful peak anyway.
    /// </summary>
    public const int MinimumSize = 32;

    /// <summary>
    /// Estimates where the content of <paramref name="after"/> lies relative to
    /// <paramref name="before"/>, in pixels (see <see cref="ShiftEstimate"/> for the sign).
    /// Both are row-major <paramref name="width"/> × <paramref name="height"/> images (e.g. the
    /// mean of the bands of each date); NaN marks nodata. Shifts are measured modulo the window
    /// size, i.e. as lying within ±width/2 and ±height/2. Pure and deterministic.
    /// </summary>
    /// <returns><see cref="ShiftEstimate.None"/> when either window is all nodata or flat.</returns>
    /// <exception cref="ArgumentException">Sizes that do not match width × height, or a window smaller than <see cref="MinimumSize"/>.</exception>
    public static ShiftEstimate Estimate(ReadOnlySpan<float> before, ReadOnlySpan<float> after, int width, int height)
    {
        if (width < MinimumSize || height < MinimumSize)
            throw new ArgumentException($"Phase correlation needs a window of at least {MinimumSize}×{MinimumSize} pixels; got {width}×{height}.");
        long n = (long)width * height;
        if (before.Length != n || after.Length != n)
            throw new ArgumentException($"Phase correlation needs two {width}×{height} images ({n} pixels each); got {before.Length} (before) and {after.Length} (after) pixels.");

        var b = Prepare(before, width, height);
        var a = Prepare(after, width, height);
        if (b is null || a is null) return ShiftEstimate.None;
        double[] surface = CorrelationSurface(b, a, width, height, PeakSigma);
        return Locate(surface, width, height);
    }

    /// <summary>
    /// The signal that is correlated: gradient magnitude, centred on its mean and tapered by a
    /// Hann window; null when nothing is left (all nodata or flat).
    /// </summary>
    internal static double[]? Prepare(ReadOnlySpan<float> image, int width, int height)
    {
        var (filled, nodata) = FillNoData(image);
        if (filled is null) return null;
        double[] g = GradientMagnitude(filled, width, height);
        bool[] excluded = NearNoData(nodata, width, height);
        if (!Centre(g, excluded)) return null;
        ApplyHann(g, width, height);
        return g;
    }

    /// <summary>
    /// A copy with NaN replaced by the mean of the valid pixels (so differences stay finite), and
    /// the nodata mask; null when every pixel is nodata.
    /// </summary>
    internal static (double[]? Filled, bool[] NoData) FillNoData(ReadOnlySpan<float> image)
    {
        var nodata = new bool[image.Length];
        double sum = 0;
        int count = 0;
        for (int i = 0; i < image.Length; i++)
        {
            if (float.IsNaN(image[i])) { nodata[i] = true; continue; }
            sum += image[i];
            count++;
        }
        if (count == 0) return (null, nodata);
        double mean = sum / count;
        var filled = new double[image.Length];
        for (int i = 0; i < image.Length; i++) filled[i] = nodata[i] ? mean : image[i];
        return (filled, nodata);
    }

    /// <summary>Gradient magnitude by central differences; one-sided on the image border.</summary>
    internal static double[] GradientMagnitude(double[] image, int width, int height)
    {
        var g = new double[image.Length];
        for (int y = 0; y < height; y++)
        {
            int yu = Math.Max(y - 1, 0), yd = Math.Min(y + 1, height - 1);
            for (int x = 0; x < width; x++)
            {
                int xl = Math.Max(x - 1, 0), xr = Math.Min(x + 1, width - 1);
                double gx = (image[y * width + xr] - image[y * width + xl]) / (xr - xl);
                double gy = (image[yd * width + x] - image[yu * width + x]) / (yd - yu);
                g[y * width + x] = Math.Sqrt(gx * gx + gy * gy);
            }
        }
        return g;
    }

    /// <summary>
    /// Pixels whose gradient stencil touches nodata. Their gradient is the step to the filled mean,
    /// an edge that sits in the same place in both dates (the pair's validity mask is shared) and
    /// would pull the estimate to zero shift; they are left out.
    /// </summary>
    internal static bool[] NearNoData(bool[] nodata, int width, int height)
    {
        var near = new bool[nodata.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                near[i] = nodata[i]
                          || (x > 0 && nodata[i - 1]) || (x < width - 1 && nodata[i + 1])
                          || (y > 0 && nodata[i - width]) || (y < height - 1 && nodata[i + width]);
            }
        return near;
    }

    /// <summary>
    /// Subtracts the mean of the kept pixels and zeroes the excluded ones. Without centring, the
    /// (always positive) gradient magnitude times the Hann window is a bump common to both
    /// images that correlates best at zero shift. False when nothing varies.
    /// </summary>
    internal static bool Centre(double[] g, bool[] excluded)
    {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < g.Length; i++)
            if (!excluded[i]) { sum += g[i]; count++; }
        if (count == 0) return false;
        double mean = sum / count;
        bool varies = false;
        for (int i = 0; i < g.Length; i++)
        {
            g[i] = excluded[i] ? 0 : g[i] - mean;
            varies |= g[i] != 0;
        }
        return varies;
    }

    /// <summary>
    /// Multiplies by a separable Hann window, so the image borders (which do not wrap around as
    /// the FFT assumes) add no spurious edges.
    /// </summary>
    internal static void ApplyHann(double[] g, int width, int height)
    {
        double[] wx = Hann(width), wy = Hann(height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                g[y * width + x] *= wx[x] * wy[y];
    }

    internal static double[] Hann(int n)
    {
        var w = new double[n];
        for (int i = 0; i < n; i++) w[i] = 0.5 * (1 - Math.Cos(2 * Math.PI * i / (n - 1)));
        return w;
    }

    /// <summary>
    /// The inverse FFT of the normalised cross-power spectrum A·conj(B)/|A·conj(B)|, weighted by a
    /// Gaussian so the peak is a Gaussian of std <paramref name="sigma"/> pixels. With
    /// after(x) = before(x − s) the spectrum is e^(−2πi k·s / N) and the peak lies at +s: the
    /// surface peaks at (Dx, Dy) in the convention of <see cref="ShiftEstimate"/>, index wrapped.
    /// </summary>
    internal static double[] CorrelationSurface(double[] before, double[] after, int width, int height, double sigma)
    {
        var fb = ToComplex(before);
        var fa = ToComplex(after);
        Fft2D(fb, width, height, inverse: false);
        Fft2D(fa, width, height, inverse: false);
        double[] gx = SpectralGaussian(width, sigma), gy = SpectralGaussian(height, sigma);
        var r = new Complex[fb.Length];
        for (int ky = 0; ky < height; ky++)
            for (int kx = 0; kx < width; kx++)
            {
                int i = ky * width + kx;
                Complex c = fa[i] * Complex.Conjugate(fb[i]);
                double m = c.Magnitude;
                // A frequency neither image holds carries no phase; leave it out (any product that
                // is not zero has one: the bound only guards the division).
                r[i] = m > 1e-300 ? c / m * (gx[kx] * gy[ky]) : Complex.Zero;
            }
        Fft2D(r, width, height, inverse: true);
        var surface = new double[r.Length];
        for (int i = 0; i < r.Length; i++) surface[i] = r[i].Real;
        return surface;
    }

    /// <summary>
    /// 2-D FFT in place, rows then columns. MathNet's own Forward2D/Inverse2D throw
    /// NotSupportedException without the native MKL provider (mathnet-numerics issues 603, 1150),
    /// so the transform is built from its 1-D one. Unscaled forward, 1/(width·height) inverse, so
    /// a perfect match gives a peak of height 1.
    /// </summary>
    internal static void Fft2D(Complex[] data, int width, int height, bool inverse)
    {
        var row = new Complex[width];
        for (int y = 0; y < height; y++)
        {
            Array.Copy(data, y * width, row, 0, width);
            Transform1D(row, inverse);
            Array.Copy(row, 0, data, y * width, width);
        }
        var column = new Complex[height];
        for (int x = 0; x < width; x++)
        {
            for (int y = 0; y < height; y++) column[y] = data[y * width + x];
            Transform1D(column, inverse);
            for (int y = 0; y < height; y++) data[y * width + x] = column[y];
        }
    }

    private static void Transform1D(Complex[] samples, bool inverse)
    {
        if (inverse) Fourier.Inverse(samples, FourierOptions.AsymmetricScaling);
        else Fourier.Forward(samples, FourierOptions.AsymmetricScaling);
    }

    private static Complex[] ToComplex(double[] values)
    {
        var c = new Complex[values.Length];
        for (int i = 0; i < values.Length; i++) c[i] = new Complex(values[i], 0);
        return c;
    }

    /// <summary>
    /// exp(−2π²σ²f²) for the FFT frequencies f = k/n (wrapped to [−½, ½)): the transform of a
    /// Gaussian of std σ pixels, per axis.
    /// </summary>
    internal static double[] SpectralGaussian(int n, double sigma)
    {
        var g = new double[n];
        for (int k = 0; k < n; k++)
        {
            double f = (k < (n + 1) / 2 ? k : k - n) / (double)n;
            g[k] = Math.Exp(-2 * Math.PI * Math.PI * sigma * sigma * f * f);
        }
        return g;
    }

    /// <summary>Integer peak, sub-pixel refinement and peak ratio of a correlation surface.</summary>
    internal static ShiftEstimate Locate(double[] surface, int width, int height, int exclusionRadius = PeakExclusionRadius)
    {
        int peak = ArgMax(surface);
        int px = peak % width, py = peak / width;
        double top = surface[peak];
        if (!(top > 0)) return ShiftEstimate.None;
        double fx = GaussianOffset(At(surface, width, height, px - 1, py), top, At(surface, width, height, px + 1, py));
        double fy = GaussianOffset(At(surface, width, height, px, py - 1), top, At(surface, width, height, px, py + 1));
        double runnerUp = RunnerUp(surface, width, height, px, py, exclusionRadius);
        return new ShiftEstimate(Unwrap(px, width) + fx, Unwrap(py, height) + fy, PeakRatio(top, runnerUp));
    }

    /// <summary>The first index of the largest value (first: deterministic on ties).</summary>
    internal static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private static double At(double[] s, int width, int height, int x, int y) =>
        s[((y % height + height) % height) * width + (x % width + width) % width];

    /// <summary>An FFT index as a signed shift: indices past the middle are negative shifts.</summary>
    internal static int Unwrap(int index, int n) => index > n / 2 ? index - n : index;

    /// <summary>
    /// Offset of the vertex of the parabola through the logarithms of three samples around a
    /// maximum, in (−½, ½): exact for a Gaussian peak. Falls back to the plain parabola when a
    /// neighbour is not positive (no logarithm), which only happens on noise. PeakSigmaSweep.Fits
    /// (synthetic textures, noise std 2, worst |error|): with the Gaussian weighting 0.018 px for
    /// this fit, 0.024 for the plain parabola, 0.43 for a 3×3 centroid (which the Gaussian's
    /// tails pull towards the pixel); without weighting 0.049, 0.101 and 0.117.
    /// </summary>
    internal static double GaussianOffset(double left, double centre, double right)
    {
        double l, c = Math.Log(centre), r;
        if (left > 0 && right > 0)
        {
            l = Math.Log(left);
            r = Math.Log(right);
        }
        else
        {
            (l, c, r) = (left, centre, right);
        }
        double curvature = l - 2 * c + r;
        if (!(curvature < 0)) return 0;
        return Math.Clamp(0.5 * (l - r) / curvature, -0.5, 0.5);
    }

    /// <summary>The largest value outside the (2·radius+1)² square around the peak, wrapping around.</summary>
    internal static double RunnerUp(double[] surface, int width, int height, int px, int py, int radius)
    {
        double best = double.NegativeInfinity;
        for (int y = 0; y < height; y++)
        {
            bool nearY = CircularDistance(y, py, height) <= radius;
            for (int x = 0; x < width; x++)
            {
                if (nearY && CircularDistance(x, px, width) <= radius) continue;
                best = Math.Max(best, surface[y * width + x]);
            }
        }
        return best;
    }

    private static int CircularDistance(int a, int b, int n)
    {
        int d = Math.Abs(a - b);
        return Math.Min(d, n - d);
    }

    internal static double PeakRatio(double peak, double runnerUp) =>
        runnerUp * MaxConfidence <= peak ? MaxConfidence : peak / runnerUp;
}
