using ChangeDetection.Detection;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Evaluation;

/// <summary>What <see cref="BaselineDetector.Detect"/> computed: the global figures and the mask written.</summary>
/// <param name="MaskPath">The mask GeoTIFF written (uint8 on the pair grid: 1 change, 0 none, 255 no data).</param>
/// <param name="Threshold">The Otsu threshold on the change-vector magnitude (z-score units); change is a score above it.</param>
/// <param name="MinScore">Smallest score of a valid pixel (the histogram's lower end).</param>
/// <param name="MaxScore">Largest score of a valid pixel (the histogram's upper end).</param>
/// <param name="ValidPixels">Pixels valid in both dates.</param>
/// <param name="ChangedPixels">Pixels marked change after the opening.</param>
public sealed record BaselineResult(string MaskPath, double Threshold, double MinScore, double MaxScore, long ValidPixels, long ChangedPixels);

/// <summary>
/// The plain reference method every <c>cdx eval</c> report is measured against (issue 13): each date's
/// bands are standardised with their own mean and standard deviation over the pixels valid in both
/// dates (z-scores), the change score is the change-vector magnitude sqrt(Σ_b (z_after − z_before)²),
/// the threshold is Otsu's over the valid scores as scikit-image's <c>threshold_otsu</c> computes it
/// (256 bins over [min, max] of the scores, change where score &gt; the centre of the chosen bin), and
/// the mask is opened with a 3 × 3 square. No co-registration, no radiometric matching, no indices.
/// </summary>
/// <remarks>
/// Streamed through <see cref="ScenePair.Read"/> tile by tile in four passes (band moments, score
/// range, histogram, mask read with the opening's halo), so memory depends on the tile size, not on the
/// scene; the moments are exact integer sums, so the tile size never changes the result. The mask is
/// uint8 on the pair grid: 1 change, 0 none, 255 no data in either date (never change). A band that is
/// constant over the valid pixels carries no change information: its z-score is taken as 0.
/// </remarks>
public static class BaselineDetector
{
    /// <summary>Histogram bins of the Otsu threshold (scikit-image's default).</summary>
    public const int Bins = 256;

    /// <summary>Radius of the square opening (pixels): a 3 × 3 structuring element.</summary>
    public const int OpenRadius = 1;

    /// <summary>Runs the baseline on a pair and writes its mask.</summary>
    /// <param name="pair">The two dates on one grid.</param>
    /// <param name="maskPath">Where to write the mask GeoTIFF.</param>
    /// <param name="tileSize">Tile edge in pixels, a multiple of 16; a speed knob only.</param>
    /// <exception cref="ChangeDetectionException">The two dates have no pixel valid in both.</exception>
    public static BaselineResult Detect(ScenePair pair, string maskPath, int tileSize = ChangeDetectionOptions.DefaultTileSize)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (tileSize < 16 || tileSize % 16 != 0)
            throw new ArgumentOutOfRangeException(nameof(tileSize), tileSize, "The tile size must be a positive multiple of 16.");
        var standardise = Moments(pair, tileSize);
        var (min, max) = ScoreRange(pair, standardise, tileSize);
        var counts = Histogram(pair, standardise, tileSize, min, max);
        double threshold = OtsuThreshold(counts, min, max);
        long changed = WriteMask(pair, standardise, tileSize, threshold, maskPath);
        return new BaselineResult(maskPath, threshold, min, max, standardise.ValidPixels, changed);
    }

    /// <summary>
    /// Otsu's threshold over a histogram of <see cref="Bins"/>-style equal bins over [<paramref name="min"/>,
    /// <paramref name="max"/>], as scikit-image's <c>threshold_otsu</c>: the centre of the bin that ends the
    /// lower class of greatest between-class variance (the first such bin on ties). When all scores are
    /// equal (<paramref name="min"/> = <paramref name="max"/>) that score, so nothing is above it.
    /// </summary>
    public static double OtsuThreshold(ReadOnlySpan<long> counts, double min, double max)
    {
        if (counts.Length < 2) throw new ArgumentException("Otsu needs at least two bins.", nameof(counts));
        if (!(max > min)) return min;
        int n = counts.Length;
        var centres = new double[n];
        for (int k = 0; k < n; k++)
        {
            double lo = Edge(k, min, max, n), hi = Edge(k + 1, min, max, n);
            centres[k] = lo + (hi - lo) / 2;
        }
        // Class weights and means from both ends, as threshold_otsu's cumulative sums.
        var weight1 = new double[n];
        var mean1 = new double[n];
        double w = 0, m = 0;
        for (int k = 0; k < n; k++)
        {
            w += counts[k];
            m += counts[k] * centres[k];
            weight1[k] = w;
            mean1[k] = m / w;
        }
        var weight2 = new double[n];
        var mean2 = new double[n];
        w = 0;
        m = 0;
        for (int k = n - 1; k >= 0; k--)
        {
            w += counts[k];
            m += counts[k] * centres[k];
            weight2[k] = w;
            mean2[k] = m / w;
        }
        int best = 0;
        double bestVariance = double.NegativeInfinity;
        for (int k = 0; k < n - 1; k++)
        {
            double d = mean1[k] - mean2[k + 1];
            double variance = weight1[k] * weight2[k + 1] * d * d;
            // NaN (an empty class) never wins, unlike numpy's argmax; the end bins hold min and max, so
            // with real data no class is empty.
            if (variance > bestVariance)
            {
                bestVariance = variance;
                best = k;
            }
        }
        return centres[best];
    }

    /// <summary>
    /// The bin of <paramref name="score"/> among <paramref name="bins"/> equal bins over [min, max], as
    /// <c>numpy.histogram</c> places it: half-open bins, the last one closed, edges from <c>linspace</c>.
    /// </summary>
    public static int BinOf(double score, double min, double max, int bins)
    {
        int k = (int)((score - min) * (bins / (max - min)));
        if (k >= bins) k = bins - 1;
        if (k < 0) k = 0;
        // numpy corrects the scaled index against the exact edges.
        if (score < Edge(k, min, max, bins)) k--;
        else if (k != bins - 1 && score >= Edge(k + 1, min, max, bins)) k++;
        return k;
    }

    /// <summary>Edge <paramref name="k"/> of <paramref name="bins"/> equal bins over [min, max], as <c>numpy.linspace</c>.</summary>
    private static double Edge(int k, double min, double max, int bins) =>
        k == bins ? max : k * ((max - min) / bins) + min;

    /// <summary>Per band and date, the mean and standard deviation over the pixels valid in both dates.</summary>
    private sealed class Standardisation(int bands, long validPixels, double[] beforeMean, double[] beforeScale, double[] afterMean, double[] afterScale)
    {
        public int Bands { get; } = bands;
        public long ValidPixels { get; } = validPixels;

        /// <summary>Change-vector magnitude of pixel <paramref name="i"/> of a window of <paramref name="n"/> pixels (band-sequential samples).</summary>
        public double Score(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int i, int n)
        {
            double sum = 0;
            for (int b = 0; b < Bands; b++)
            {
                double d = (after[b * n + i] - afterMean[b]) * afterScale[b] - (before[b * n + i] - beforeMean[b]) * beforeScale[b];
                sum += d * d;
            }
            return Math.Sqrt(sum);
        }
    }

    /// <summary>One window of the pair with its samples and validity, buffers sized for the largest tile.</summary>
    private sealed class WindowBuffers(int bands, int tilePixels)
    {
        public ushort[] Before { get; } = new ushort[bands * tilePixels];
        public ushort[] After { get; } = new ushort[bands * tilePixels];
        public byte[] Valid { get; } = new byte[tilePixels];

        public int Read(ScenePair pair, PixelWindow window)
        {
            int n = (int)window.PixelCount;
            pair.Read(window, Before.AsSpan(0, n * pair.Bands.Count), After.AsSpan(0, n * pair.Bands.Count), Valid.AsSpan(0, n));
            return n;
        }
    }

    /// <summary>Pass 1: exact integer sums of each band of both dates over the pixels valid in both.</summary>
    private static Standardisation Moments(ScenePair pair, int tileSize)
    {
        int bands = pair.Bands.Count;
        var sums = new long[2 * bands];
        var squares = new UInt128[2 * bands];
        long valid = 0;
        var buffers = new WindowBuffers(bands, tileSize * tileSize);
        foreach (var tile in new TileScheme(pair.Grid, tileSize).Tiles())
        {
            int n = buffers.Read(pair, tile.Core);
            for (int i = 0; i < n; i++)
            {
                if (buffers.Valid[i] == 0) continue;
                valid++;
                for (int b = 0; b < bands; b++)
                {
                    ulong x = buffers.Before[b * n + i], y = buffers.After[b * n + i];
                    sums[b] += (long)x;
                    squares[b] += x * x;
                    sums[bands + b] += (long)y;
                    squares[bands + b] += y * y;
                }
            }
        }
        if (valid == 0)
            throw new ChangeDetectionException($"{pair.BeforeInfo.Path} and {pair.AfterInfo.Path} have no pixel with data in both dates; the baseline has nothing to score.");
        var mean = new double[2 * bands];
        var scale = new double[2 * bands];
        for (int j = 0; j < 2 * bands; j++)
        {
            mean[j] = (double)sums[j] / valid;
            // n·Σx² − (Σx)² is exact in 128 bits: the variance carries no cancellation error.
            var centred = (UInt128)valid * squares[j] - (UInt128)(ulong)sums[j] * (ulong)sums[j];
            double std = Math.Sqrt((double)centred) / valid;
            scale[j] = std > 0 ? 1 / std : 0;
        }
        return new Standardisation(bands, valid, mean[..bands], scale[..bands], mean[bands..], scale[bands..]);
    }

    /// <summary>Pass 2: the smallest and largest score of a valid pixel.</summary>
    private static (double Min, double Max) ScoreRange(ScenePair pair, Standardisation z, int tileSize)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        var buffers = new WindowBuffers(z.Bands, tileSize * tileSize);
        foreach (var tile in new TileScheme(pair.Grid, tileSize).Tiles())
        {
            int n = buffers.Read(pair, tile.Core);
            for (int i = 0; i < n; i++)
            {
                if (buffers.Valid[i] == 0) continue;
                double s = z.Score(buffers.Before, buffers.After, i, n);
                if (s < min) min = s;
                if (s > max) max = s;
            }
        }
        return (min, max);
    }

    /// <summary>Pass 3: the histogram of the valid scores over [min, max].</summary>
    private static long[] Histogram(ScenePair pair, Standardisation z, int tileSize, double min, double max)
    {
        var counts = new long[Bins];
        if (!(max > min)) return counts;
        var buffers = new WindowBuffers(z.Bands, tileSize * tileSize);
        foreach (var tile in new TileScheme(pair.Grid, tileSize).Tiles())
        {
            int n = buffers.Read(pair, tile.Core);
            for (int i = 0; i < n; i++)
                if (buffers.Valid[i] != 0)
                    counts[BinOf(z.Score(buffers.Before, buffers.After, i, n), min, max, Bins)]++;
        }
        return counts;
    }

    /// <summary>Pass 4: threshold and opening per tile, read with the opening's halo so seams match the whole-image result.</summary>
    private static long WriteMask(ScenePair pair, Standardisation z, int tileSize, double threshold, string maskPath)
    {
        var opening = new MorphologyFilter(MorphologyOperation.Open, OpenRadius);
        var scheme = new TileScheme(pair.Grid, tileSize, opening.Halo);
        int readEdge = tileSize + 2 * opening.Halo;
        var buffers = new WindowBuffers(z.Bands, readEdge * readEdge);
        var raw = new byte[readEdge * readEdge];
        var opened = new byte[readEdge * readEdge];
        var core = new byte[tileSize * tileSize];
        long changed = 0;
        var grid = pair.Grid;
        using var writer = GeoTiffWriter.Create(maskPath, ChangeDetector.MaskFileOptions(grid, tileSize));
        foreach (var tile in scheme.Tiles())
        {
            var read = tile.Read;
            int n = buffers.Read(pair, read);
            for (int i = 0; i < n; i++)
                raw[i] = buffers.Valid[i] == 0 ? Morphology.NoData
                    : z.Score(buffers.Before, buffers.After, i, n) > threshold ? Morphology.Change : Morphology.Background;
            opening.Apply(raw.AsSpan(0, n), read.Width, read.Height, opened.AsSpan(0, n));
            var inner = tile.CoreInRead;
            for (int r = 0; r < inner.Height; r++)
                opened.AsSpan((inner.Y + r) * read.Width + inner.X, inner.Width).CopyTo(core.AsSpan(r * inner.Width, inner.Width));
            var coreSpan = core.AsSpan(0, (int)tile.Core.PixelCount);
            foreach (byte v in coreSpan) if (v == Morphology.Change) changed++;
            writer.WriteWindow<byte>(tile.Core, coreSpan);
        }
        return changed;
    }
}
