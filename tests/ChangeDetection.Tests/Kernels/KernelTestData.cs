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

    /// <summary>Random but plausible normalisation, roles on or off, nodata on or off.</summary>
    public static ChangeKernelOptions Options(Random random, int bands, bool roles, ushort? beforeNoData, ushort? afterNoData)
    {
        var norm = new BandNormalization[bands];
        for (int b = 0; b < bands; b++)
        {
            norm[b] = new BandNormalization(
                Gain: (float)(0.7 + 0.6 * random.NextDouble()),
                Offset: (float)(-300 + 600 * random.NextDouble()),
                Scale: (float)(1.0 / (50 + 500 * random.NextDouble())));
        }
        // Roles on 4+ bands: blue, green, red, NIR (and SWIR1 as band 4 when there are 5+).
        var bandRoles = !roles ? BandRoles.None
            : bands >= 5 ? new BandRoles(Red: 2, Nir: 3, Green: 1, Swir1: 4)
            : bands == 4 ? BandRoles.BlueGreenRedNir
            : new BandRoles(Red: 0, Nir: 1, Green: 2);
        return new ChangeKernelOptions(norm, beforeNoData, afterNoData, bandRoles,
            roles ? (float)(0.5 + random.NextDouble()) : null,
            roles ? (float)(0.5 + random.NextDouble()) : null);
    }

    public static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }
}
