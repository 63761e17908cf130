using ChangeDetection.Evaluation;
using ChangeDetection.Geo;
using ChangeDetection.Raster;
using ChangeDetection.Raster.GeoTiff;
using ChangeDetection.Tests.Raster;

namespace ChangeDetection.Tests.PixelModel;

/// <summary>
/// Small synthetic labelled pairs for the pixel model: a textured field (sinusoids plus noise), the after
/// date radiometrically different (gain 1.1, offset 50) with its own noise (σ 150 DN), and rectangles of change whose
/// strength is drawn from weak (buried in the noise) to strong, so probabilities are spread between 0 and 1.
/// Truth: 1 inside the rectangles, 0 elsewhere, 255 (unlabelled) in the first four columns.
/// </summary>
internal static class PixelTestPairs
{
    private static readonly GeoTransform Gt = new(500000, 1, 0, 3800000, 0, -1);

    /// <summary>Standard deviation of each date's noise (DN): weak changes drown in it, so probabilities spread out.</summary>
    private const double Noise = 150;

    /// <summary>Writes before.tif, after.tif and truth.tif into <c>dir/name</c>; <paramref name="bands"/> 4 (blue, green, red, NIR) or 3 (red, green, blue).</summary>
    public static LabelledPair Write(TempDir dir, string name, int seed, int size = 128, int bands = 4, (int X, int Y)? noDataBefore = null)
    {
        string folder = dir.File(name);
        Directory.CreateDirectory(folder);
        var rng = new Random(seed);
        var rects = new List<(int X0, int Y0, int X1, int Y1, int[] Delta)>();
        for (int k = 0; k < size * size / 1200; k++)
        {
            int w = rng.Next(6, 18), h = rng.Next(6, 18);
            int x0 = rng.Next(4, size - w), y0 = rng.Next(0, size - h);
            double strength = 40 + 360 * rng.NextDouble();
            rects.Add((x0, y0, x0 + w, y0 + h, [.. Enumerable.Range(0, bands).Select(_ => (int)(strength * (rng.NextDouble() < 0.5 ? -1 : 1)))]));
        }
        var noiseB = new double[bands * size * size];
        var noiseA = new double[bands * size * size];
        for (int i = 0; i < noiseB.Length; i++)
        {
            noiseB[i] = Gaussian(rng) * Noise;
            noiseA[i] = Gaussian(rng) * Noise;
        }
        double phase = rng.NextDouble() * 6;
        double Field(int k, int c, int r) => 1000 + 100 * k + 200 * Math.Sin(c / 7.0 + phase) + 150 * Math.Cos(r / 5.0 + k);
        int[]? Delta(int c, int r) => rects.FirstOrDefault(q => c >= q.X0 && c < q.X1 && r >= q.Y0 && r < q.Y1).Delta;
        int Clamp(double v) => (int)Math.Clamp(Math.Round(v), 1, 65535);
        int At(int k, int c, int r) => (k * size + r) * size + c;

        ScenePairTests.Write(dir, Path.Combine(name, "before.tif"), size, size, Gt,
            (k, c, r) => noDataBefore is var (nx, ny) && c == nx && r == ny ? 0 : Clamp(Field(k, c, r) + noiseB[At(k, c, r)]),
            bands: bands, nodata: 0);
        ScenePairTests.Write(dir, Path.Combine(name, "after.tif"), size, size, Gt,
            (k, c, r) => Clamp(1.1 * (Field(k, c, r) + (Delta(c, r)?[k] ?? 0)) + 50 + noiseA[At(k, c, r)]),
            bands: bands);
        var truth = new byte[size * size];
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++)
                truth[r * size + c] = c < 4 ? (byte)255 : Delta(c, r) is null ? (byte)0 : (byte)1;
        using (var writer = GeoTiffWriter.Create(Path.Combine(folder, "truth.tif"), new GeoTiffWriterOptions
        {
            Width = size, Height = size, DataType = RasterDataType.UInt8, Transform = Gt, Crs = new Crs(4527), NoData = 255, TileSize = 16,
        }))
            writer.WriteWindow<byte>(new PixelWindow(0, 0, size, size), truth);
        return new LabelledPair("synthetic", name, folder);
    }

    private static double Gaussian(Random rng)
    {
        double u = 1 - rng.NextDouble(), v = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
