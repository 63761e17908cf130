using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ChangeDetection.Raster.GeoTiff;

namespace ChangeDetection.Raster;

/// <summary>
/// Per-band SHA-256 (over the samples as little-endian bytes, row-major) and sum, the fingerprint
/// GDAL-side tools compute with numpy. Streams the raster a strip of blocks at a time.
/// </summary>
public static class RasterChecksum
{
    public static (string[] Sha256, double[] Sum) Compute(GeoTiffReader reader) => reader.Info.DataType switch
    {
        RasterDataType.UInt8 => Compute<byte>(reader),
        RasterDataType.Int8 => Compute<sbyte>(reader),
        RasterDataType.UInt16 => Compute<ushort>(reader),
        RasterDataType.Int16 => Compute<short>(reader),
        RasterDataType.UInt32 => Compute<uint>(reader),
        RasterDataType.Int32 => Compute<int>(reader),
        RasterDataType.UInt64 => Compute<ulong>(reader),
        RasterDataType.Int64 => Compute<long>(reader),
        RasterDataType.Float32 => Compute<float>(reader),
        _ => Compute<double>(reader),
    };

    private static (string[], double[]) Compute<T>(GeoTiffReader reader) where T : unmanaged, INumberBase<T>
    {
        var info = reader.Info;
        int bands = info.BandCount;
        var hashes = new IncrementalHash[bands];
        var sums = new double[bands];
        for (int b = 0; b < bands; b++) hashes[b] = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            int rowsPerStep = Math.Max(1, Math.Min(info.Height, info.BlockHeight));
            var buffer = new T[(long)info.Width * rowsPerStep];
            for (int y = 0; y < info.Height; y += rowsPerStep)
            {
                int rows = Math.Min(rowsPerStep, info.Height - y);
                var window = new PixelWindow(0, y, info.Width, rows);
                var span = buffer.AsSpan(0, info.Width * rows);
                for (int b = 0; b < bands; b++)
                {
                    reader.Read(window, [b], span);
                    // Samples are little-endian in memory on every platform .NET runs on here.
                    hashes[b].AppendData(MemoryMarshal.AsBytes(span));
                    double s = 0;
                    foreach (var v in span) s += double.CreateChecked(v);
                    sums[b] += s;
                }
            }
            return (hashes.Select(h => Convert.ToHexStringLower(h.GetHashAndReset())).ToArray(), sums);
        }
        finally
        {
            foreach (var h in hashes) h.Dispose();
        }
    }
}
