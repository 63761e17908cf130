using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>
/// Undoes the TIFF predictors on decoded rows, in place. Written by hand because we inflate
/// DEFLATE blocks ourselves (with .NET's zlib-ng, several times faster than LibTiff.NET's managed
/// zlib) and so must also apply the predictor that LibTiff would have applied.
/// </summary>
internal static class Predictors
{
    /// <summary>True when the 128-bit horizontal-predictor path can run on this CPU.</summary>
    public static bool VectorSupported => Sse2.IsSupported || AdvSimd.IsSupported;

    /// <summary>
    /// Predictor 2 (horizontal differencing): each sample is stored as the difference from the
    /// same sample of the previous pixel. <paramref name="stride"/> is the number of samples per
    /// pixel in this row (bands for pixel-interleaved data, 1 for band planes); samples are
    /// little-endian integers of <paramref name="sampleSize"/> bytes.
    /// </summary>
    public static void UndoHorizontal(Span<byte> row, int sampleSize, int stride)
    {
        int groupBytes = sampleSize * stride;
        if (VectorSupported && groupBytes is 1 or 2 or 4 or 8 or 16 && sampleSize <= 8 && row.Length >= 32)
            UndoHorizontalVector128(row, sampleSize, stride);
        else
            UndoHorizontalScalar(row, sampleSize, stride);
    }

    /// <summary>The scalar reference for <see cref="UndoHorizontal"/>.</summary>
    public static void UndoHorizontalScalar(Span<byte> row, int sampleSize, int stride)
    {
        switch (sampleSize)
        {
            case 1:
                for (int i = stride; i < row.Length; i++) row[i] += row[i - stride];
                break;
            case 2:
                Scalar(MemoryMarshal.Cast<byte, ushort>(row), stride);
                break;
            case 4:
                Scalar(MemoryMarshal.Cast<byte, uint>(row), stride);
                break;
            case 8:
                Scalar(MemoryMarshal.Cast<byte, ulong>(row), stride);
                break;
            default:
                throw new NotSupportedException($"Horizontal predictor on {sampleSize}-byte samples.");
        }
    }

    private static void Scalar<T>(Span<T> row, int stride) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        for (int i = stride; i < row.Length; i++) row[i] = unchecked(row[i] + row[i - stride]);
    }

    /// <summary>
    /// The 128-bit path: a prefix sum inside each vector (log2 steps of shift-and-add at the pixel
    /// stride), then the last pixel of the previous vector is broadcast and added as carry.
    /// Requires the pixel group (sampleSize × stride bytes) to divide 16.
    /// </summary>
    public static void UndoHorizontalVector128(Span<byte> row, int sampleSize, int stride)
    {
        int group = sampleSize * stride;
        ref byte r = ref MemoryMarshal.GetReference(row);
        Vector128<byte> carry = Vector128<byte>.Zero;
        int i = 0;
        for (; i + 16 <= row.Length; i += 16)
        {
            var v = Vector128.LoadUnsafe(ref r, (nuint)i);
            for (int shift = group; shift < 16; shift <<= 1)
                v = Add(v, ShiftLeftBytes(v, shift), sampleSize);
            v = Add(v, carry, sampleSize);
            v.StoreUnsafe(ref r, (nuint)i);
            carry = BroadcastLastGroup(v, group);
        }

        // The scalar remainder continues from the vector part's last pixel.
        int first = Math.Max(i, group);
        switch (sampleSize)
        {
            case 1:
                for (int k = first; k < row.Length; k++) row[k] += row[k - group];
                break;
            case 2:
                for (int k = first; k < row.Length; k += 2)
                    BinaryPrimitives.WriteUInt16LittleEndian(row[k..], (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(row[k..]) + BinaryPrimitives.ReadUInt16LittleEndian(row[(k - group)..])));
                break;
            case 4:
                for (int k = first; k < row.Length; k += 4)
                    BinaryPrimitives.WriteUInt32LittleEndian(row[k..], BinaryPrimitives.ReadUInt32LittleEndian(row[k..]) + BinaryPrimitives.ReadUInt32LittleEndian(row[(k - group)..]));
                break;
            default:
                for (int k = first; k < row.Length; k += 8)
                    BinaryPrimitives.WriteUInt64LittleEndian(row[k..], BinaryPrimitives.ReadUInt64LittleEndian(row[k..]) + BinaryPrimitives.ReadUInt64LittleEndian(row[(k - group)..]));
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Add(Vector128<byte> a, Vector128<byte> b, int sampleSize) => sampleSize switch
    {
        1 => a + b,
        2 => (a.AsUInt16() + b.AsUInt16()).AsByte(),
        4 => (a.AsUInt32() + b.AsUInt32()).AsByte(),
        _ => (a.AsUInt64() + b.AsUInt64()).AsByte(),
    };

    /// <summary>Moves bytes towards higher lanes by <paramref name="k"/>, filling with zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> ShiftLeftBytes(Vector128<byte> v, int k)
    {
        if (Sse2.IsSupported)
        {
            return k switch
            {
                1 => Sse2.ShiftLeftLogical128BitLane(v, 1),
                2 => Sse2.ShiftLeftLogical128BitLane(v, 2),
                4 => Sse2.ShiftLeftLogical128BitLane(v, 4),
                _ => Sse2.ShiftLeftLogical128BitLane(v, 8),
            };
        }
        return k switch
        {
            1 => AdvSimd.ExtractVector128(Vector128<byte>.Zero, v, 15),
            2 => AdvSimd.ExtractVector128(Vector128<byte>.Zero, v, 14),
            4 => AdvSimd.ExtractVector128(Vector128<byte>.Zero, v, 12),
            _ => AdvSimd.ExtractVector128(Vector128<byte>.Zero, v, 8),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> BroadcastLastGroup(Vector128<byte> v, int group) => group switch
    {
        1 => Vector128.Create(v.GetElement(15)),
        2 => Vector128.Create(v.AsUInt16().GetElement(7)).AsByte(),
        4 => Vector128.Create(v.AsUInt32().GetElement(3)).AsByte(),
        8 => Vector128.Create(v.AsUInt64().GetElement(1)).AsByte(),
        _ => v,
    };

    /// <summary>
    /// Predictor 3 (floating point): a row is stored as byte planes (most significant byte first),
    /// each byte differenced against the byte <paramref name="stride"/> positions earlier.
    /// Output is the row's samples as little-endian IEEE values.
    /// </summary>
    public static void UndoFloatingPoint(Span<byte> row, int sampleSize, int stride, Span<byte> scratch)
    {
        for (int i = stride; i < row.Length; i++) row[i] += row[i - stride];
        int count = row.Length / sampleSize;
        row.CopyTo(scratch);
        for (int s = 0; s < count; s++)
        {
            for (int b = 0; b < sampleSize; b++)
                row[s * sampleSize + b] = scratch[(sampleSize - 1 - b) * count + s];
        }
    }
}
