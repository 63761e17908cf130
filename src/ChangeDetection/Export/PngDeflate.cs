using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ChangeDetection.Export;

/// <summary>
/// One-shot zlib compression and CRC-32 with libdeflate (the system's <c>libdeflate.so.0</c>, which the GeoTIFF reader
/// inflates with), for <see cref="ChipPng"/>: on 120 chips of the 16384² sample run (37 MiB of filtered rows) its level 1
/// took 0.57 s where zlib-ng's level 2 took 0.8–1.4 s, and came out 0.5 % smaller (benchmarks/RESULTS.md, export). Without
/// the library, <see cref="ChipPng"/> compresses with <see cref="System.IO.Compression.ZLibStream"/> as before: either
/// stream decodes to the same rows.
/// </summary>
/// <remarks>
/// A compressor is native state (a few hundred KiB at level 1), not thread-safe: each call takes one from a pool and gives
/// it back (never freed: at most as many as threads that ever compressed at once).
/// </remarks>
internal static unsafe class PngDeflate
{
    /// <summary>libdeflate's level 1: its fastest, with dynamic Huffman codes (zlib-ng's level 1 uses static codes only: 43 % larger chips).</summary>
    internal const int Level = 1;

    private static readonly delegate* unmanaged<int, nint> AllocCompressor;
    private static readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint> ZlibCompress;
    private static readonly delegate* unmanaged<nint, nuint, nuint> ZlibCompressBound;
    private static readonly delegate* unmanaged<uint, byte*, nuint, uint> Crc32Native;
    private static readonly ConcurrentBag<nint> Compressors = [];

    static PngDeflate()
    {
        foreach (string name in new[] { "libdeflate.so.0", "libdeflate.so", "libdeflate.0.dylib", "libdeflate.dll", "libdeflate" })
        {
            if (!NativeLibrary.TryLoad(name, out nint library)) continue;
            if (NativeLibrary.TryGetExport(library, "libdeflate_alloc_compressor", out nint alloc)
                && NativeLibrary.TryGetExport(library, "libdeflate_zlib_compress", out nint compress)
                && NativeLibrary.TryGetExport(library, "libdeflate_zlib_compress_bound", out nint bound)
                && NativeLibrary.TryGetExport(library, "libdeflate_crc32", out nint crc))
            {
                AllocCompressor = (delegate* unmanaged<int, nint>)alloc;
                ZlibCompress = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint>)compress;
                ZlibCompressBound = (delegate* unmanaged<nint, nuint, nuint>)bound;
                Crc32Native = (delegate* unmanaged<uint, byte*, nuint, uint>)crc;
                return;
            }
        }
    }

    /// <summary>True when libdeflate loaded.</summary>
    public static bool Available => ZlibCompress != null;

    /// <summary>
    /// <paramref name="source"/> as one zlib stream in a pooled array (return it to <see cref="System.Buffers.ArrayPool{T}.Shared"/>)
    /// and its length; null when libdeflate is not available.
    /// </summary>
    public static (byte[] Data, int Length)? TryCompress(ReadOnlySpan<byte> source)
    {
        if (!Available) return null;
        if (!Compressors.TryTake(out nint compressor))
        {
            compressor = AllocCompressor(Level);
            if (compressor == 0) return null;
        }
        try
        {
            int bound = checked((int)ZlibCompressBound(compressor, (nuint)source.Length));
            byte[] output = System.Buffers.ArrayPool<byte>.Shared.Rent(bound);
            nuint written;
            fixed (byte* input = source)
            fixed (byte* into = output)
                written = ZlibCompress(compressor, input, (nuint)source.Length, into, (nuint)output.Length);
            if (written == 0)
            {
                // Cannot happen with a buffer of the bound's size; the caller then compresses with ZLibStream.
                System.Buffers.ArrayPool<byte>.Shared.Return(output);
                return null;
            }
            return (output, (int)written);
        }
        finally
        {
            Compressors.Add(compressor);
        }
    }

    /// <summary>
    /// The CRC-32 of <paramref name="data"/> continued from <paramref name="crc"/> (0 to start; libdeflate's convention, the
    /// final value as PNG stores it), or null when libdeflate is not available.
    /// </summary>
    public static uint? Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        if (Crc32Native == null) return null;
        // An empty span pins to a null pointer, for which libdeflate returns its start value (0), not the CRC so far.
        if (data.IsEmpty) return crc;
        fixed (byte* p = data)
            return Crc32Native(crc, p, (nuint)data.Length);
    }
}
