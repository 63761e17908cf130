namespace ChangeDetection.Tests.Registration;

/// <summary>
/// Synthetic test images for co-registration: a random smooth texture evaluated analytically at
/// any position, so a shifted copy is exact (no resampling error to blame), plus resampling of
/// real images by a known shift.
/// </summary>
internal static class ShiftedImages
{
    /// <summary>
    /// A sum of random Gaussian blobs (std 1.5–5 px, bright and dark, like buildings, trees and
    /// fields) over an area larger than the window, so shifted content enters and leaves the
    /// window as it does in real imagery. Sampled at pixel (x, y) → texture(x − dx, y − dy): the
    /// content moves by (+dx, +dy), i.e. image(x + dx, y + dy) = texture(x, y).
    /// </summary>
    public static float[] Texture(int width, int height, double dx, double dy, int seed, double noise = 0, int noiseSeed = 0)
    {
        var rng = new Random(seed);
        // Blobs reach 4σ = 20 px; with the shift, 24 px around the window covers every one that shows.
        const int margin = 24;
        // One blob per 30 px²: every small patch holds edges, as built-up and farmed land does.
        int blobs = (width + 2 * margin) * (height + 2 * margin) / 30;
        var image = new float[width * height];
        for (int b = 0; b < blobs; b++)
        {
            double cx = rng.NextDouble() * (width + 2 * margin) - margin;
            double cy = rng.NextDouble() * (height + 2 * margin) - margin;
            double s = 1.5 + 3.5 * rng.NextDouble();
            double amp = (rng.NextDouble() * 2 - 1) * 100;
            // Where the blob lands in the shifted image.
            double ux = cx + dx, uy = cy + dy;
            int r = (int)Math.Ceiling(4 * s);
            int x0 = Math.Max(0, (int)ux - r), x1 = Math.Min(width - 1, (int)ux + r);
            int y0 = Math.Max(0, (int)uy - r), y1 = Math.Min(height - 1, (int)uy + r);
            double k = -1 / (2 * s * s);
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++)
                {
                    double ex = x - ux, ey = y - uy;
                    image[y * width + x] += (float)(amp * Math.Exp(k * (ex * ex + ey * ey)));
                }
        }
        if (noise > 0) AddNoise(image, noise, noiseSeed);
        for (int i = 0; i < image.Length; i++) image[i] += 1000;
        return image;
    }

    /// <summary>Adds Gaussian noise of the given std (Box–Muller, seeded).</summary>
    public static void AddNoise(float[] image, double std, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < image.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            image[i] += (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    /// <summary>Independent white noise: nothing to correlate.</summary>
    public static float[] Noise(int width, int height, int seed)
    {
        var image = new float[width * height];
        AddNoise(image, 50, seed);
        return image;
    }

    /// <summary>
    /// A window of <paramref name="source"/> (row-major, <paramref name="sourceWidth"/> wide)
    /// resampled so that its content moves by (dx, dy): out(x, y) = source(x0 + x − dx, y0 + y − dy),
    /// by separable Lanczos-3 interpolation (bilinear smooths sub-pixel shifts differently at each
    /// frequency, which would blur the check). The source must hold 3 px plus the shift around the window.
    /// </summary>
    public static float[] Resample(float[] source, int sourceWidth, int x0, int y0, int width, int height, double dx, double dy)
    {
        var (ix, wx) = Lanczos3(-dx);
        var (iy, wy) = Lanczos3(-dy);
        var rows = new float[(height + 6) * width];
        int ry0 = y0 + iy - 2;
        // Horizontal pass over the rows the vertical pass needs.
        for (int r = 0; r < height + 6; r++)
            for (int x = 0; x < width; x++)
            {
                double sum = 0;
                for (int t = 0; t < 6; t++) sum += wx[t] * source[(ry0 + r) * sourceWidth + x0 + x + ix - 2 + t];
                rows[r * width + x] = (float)sum;
            }
        var result = new float[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double sum = 0;
                for (int t = 0; t < 6; t++) sum += wy[t] * rows[(y + t) * width + x];
                result[y * width + x] = (float)sum;
            }
        return result;
    }

    /// <summary>Integer part and the 6 normalised Lanczos-3 taps (at offsets −2..3 from it) for sampling at +offset.</summary>
    private static (int Integer, double[] Weights) Lanczos3(double offset)
    {
        int i = (int)Math.Floor(offset);
        double f = offset - i;
        var w = new double[6];
        double total = 0;
        for (int t = 0; t < 6; t++)
        {
            double d = t - 2 - f;
            w[t] = d == 0 ? 1 : 3 * Math.Sin(Math.PI * d) * Math.Sin(Math.PI * d / 3) / (Math.PI * Math.PI * d * d);
            total += w[t];
        }
        for (int t = 0; t < 6; t++) w[t] /= total;
        return (i, w);
    }
}
