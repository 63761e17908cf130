using System.Runtime.InteropServices;

namespace ChangeDetection.Raster;

/// <summary>Sample type of a raster band.</summary>
public enum RasterDataType
{
    UInt8, Int8, UInt16, Int16, UInt32, Int32, UInt64, Int64, Float32, Float64,
}

public static class RasterDataTypes
{
    /// <summary>Bytes per sample.</summary>
    public static int SizeOf(this RasterDataType t) => t switch
    {
        RasterDataType.UInt8 or RasterDataType.Int8 => 1,
        RasterDataType.UInt16 or RasterDataType.Int16 => 2,
        RasterDataType.UInt32 or RasterDataType.Int32 or RasterDataType.Float32 => 4,
        _ => 8,
    };

    /// <summary>The numpy-style name (<c>uint8</c>, <c>int16</c>, <c>float32</c>, …) used in JSON output.</summary>
    public static string Name(this RasterDataType t) => t switch
    {
        RasterDataType.UInt8 => "uint8",
        RasterDataType.Int8 => "int8",
        RasterDataType.UInt16 => "uint16",
        RasterDataType.Int16 => "int16",
        RasterDataType.UInt32 => "uint32",
        RasterDataType.Int32 => "int32",
        RasterDataType.UInt64 => "uint64",
        RasterDataType.Int64 => "int64",
        RasterDataType.Float32 => "float32",
        RasterDataType.Float64 => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsFloatingPoint(this RasterDataType t) => t is RasterDataType.Float32 or RasterDataType.Float64;

    /// <summary>The data type that matches the CLR type <typeparamref name="T"/>.</summary>
    public static RasterDataType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(byte) ? RasterDataType.UInt8 :
        typeof(T) == typeof(sbyte) ? RasterDataType.Int8 :
        typeof(T) == typeof(ushort) ? RasterDataType.UInt16 :
        typeof(T) == typeof(short) ? RasterDataType.Int16 :
        typeof(T) == typeof(uint) ? RasterDataType.UInt32 :
        typeof(T) == typeof(int) ? RasterDataType.Int32 :
        typeof(T) == typeof(ulong) ? RasterDataType.UInt64 :
        typeof(T) == typeof(long) ? RasterDataType.Int64 :
        typeof(T) == typeof(float) ? RasterDataType.Float32 :
        typeof(T) == typeof(double) ? RasterDataType.Float64 :
        throw new NotSupportedException($"{typeof(T).Name} is not a raster sample type.");

    /// <summary>
    /// Fills <paramref name="samples"/> (raw bytes of samples of type <paramref name="t"/>) with
    /// <paramref name="value"/>, or zero without one: how GDAL fills sparse blocks and tile padding.
    /// </summary>
    public static void FillWith(this RasterDataType t, Span<byte> samples, double? value)
    {
        samples.Clear();
        if (value is not double v || v == 0) return;
        switch (t)
        {
            case RasterDataType.UInt8: samples.Fill((byte)v); break;
            case RasterDataType.Int8: samples.Fill(unchecked((byte)(sbyte)v)); break;
            case RasterDataType.UInt16: MemoryMarshal.Cast<byte, ushort>(samples).Fill((ushort)v); break;
            case RasterDataType.Int16: MemoryMarshal.Cast<byte, short>(samples).Fill((short)v); break;
            case RasterDataType.UInt32: MemoryMarshal.Cast<byte, uint>(samples).Fill((uint)v); break;
            case RasterDataType.Int32: MemoryMarshal.Cast<byte, int>(samples).Fill((int)v); break;
            case RasterDataType.Float32: MemoryMarshal.Cast<byte, float>(samples).Fill((float)v); break;
            case RasterDataType.Float64: MemoryMarshal.Cast<byte, double>(samples).Fill(v); break;
            case RasterDataType.UInt64: MemoryMarshal.Cast<byte, ulong>(samples).Fill((ulong)v); break;
            default: MemoryMarshal.Cast<byte, long>(samples).Fill((long)v); break;
        }
    }
}
