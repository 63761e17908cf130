using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Kernels;

/// <summary>Deterministic random rows and options for comparing kernel paths.</summary>
internal static class KernelTestData
{
    public const ushort NoData = 0;

    /// <summary>
    /// Band-sequential samples: mostly plausible DN (0..4000), with zeros, saturated 65535,
    /// full-range values and nodata mixed in so every edge case shows up in every row.
    /// </summary>
    public static ushort[] Row(Random random, int bands, int width, int bandStride, ushort? noData)
    {
        var row = new ushort[(bands - 1) * bandStride + width];
        for (int i = 0; i < row.Length; i++)
        {
            int pick = random.Next(100);
            row[i] = pick switch
            {
                < 8 => 0,
                < 16 => ushort.MaxValue,
                < 22 => noData ?? 1,
                < 40 => (ushort)random.Next(ushort.MaxValue + 1),
                _ => (ushort)random.Next(4001),
            };
        }
        return row;
    }

    /// <summary>Which spectral-index terms a random option set uses.</summary>
    public enum Indices { None, Ndvi, Water, Both }

    /// <summary>Random but plausible normalisation, the given index terms, nodata as given.</summary>
    public static ChangeKernelOptions Options(Random random, int bands, Indices indices, ushort? beforeNoData, ushort? afterNoData)
    {
        var norm = new BandNormalization[bands];
        for (int b = 0; b < bands; b++)
        {
            norm[b] = new BandNormalization(
                Gain: (float)(0.7 + 0.6 * random.NextDouble()),
                Offset: (float)(-300 + 600 * random.NextDouble()),
                Scale: (float)(1.0 / (50 + 500 * random.NextDouble())));
        }
        // Roles scattered over the bands (not always 0..3) so the term order really differs from
        // band order; SWIR1 when there is a band for it, so both NDWI and MNDWI get exercised.
        var order = Enumerable.Range(0, bands).OrderBy(_ => random.Next()).ToArray();
        var roles = new BandRoles(Red: order[0], Nir: order[1], Green: order[2], Swir1: bands >= 5 && random.Next(2) == 0 ? order[3] : null);
        float ndvi = indices is Indices.Ndvi or Indices.Both ? (float)(0.5 + random.NextDouble()) : 0f;
        float water = indices is Indices.Water or Indices.Both ? (float)(0.5 + random.NextDouble()) : 0f;
        return indices == Indices.None
            ? new ChangeKernelOptions(norm, beforeNoData, afterNoData)
            : new ChangeKernelOptions(norm, beforeNoData, afterNoData, roles, ndvi, water);
    }

    /// <summary>Random variates (1 to <paramref name="bands"/> of them) with weights of either sign around 1/σ of plausible DN.</summary>
    public static ChangeProjection Projection(Random random, int bands)
    {
        int count = 1 + random.Next(bands);
        float Weight() => (float)((random.NextDouble() - 0.5) * 0.02);
        return new ChangeProjection(bands,
            [.. Enumerable.Range(0, count * bands).Select(_ => Weight())],
            [.. Enumerable.Range(0, count * bands).Select(_ => Weight())],
            [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * 40))]);
    }

    /// <summary><see cref="Options(Random, int, Indices, ushort?, ushort?)"/> with a random <see cref="Projection"/>.</summary>
    public static ChangeKernelOptions WithProjection(Random random, ChangeKernelOptions options) =>
        new(options.Bands, options.BeforeNoData, options.AfterNoData, options.Roles, options.NdviWeight, options.WaterWeight, Projection(random, options.BandCount));

    public static ChangeKernelOptions Options(Random random, int bands, bool roles, ushort? beforeNoData, ushort? afterNoData) =>
        Options(random, bands, roles ? Indices.Both : Indices.None, beforeNoData, afterNoData);

    public static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }
}
