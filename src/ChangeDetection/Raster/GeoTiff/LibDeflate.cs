using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ChangeDetection.Raster.GeoTiff;

/// <summary>
/// Whole-block zlib inflation with libdeflate (the system's <c>libdeflate.so.0</c>, Debian's <c>libdeflate0</c>, which GDAL
/// also links), when the library loads: on the uint16 DEFLATE tiles of the sample scenes it inflates a 128 KiB tile in about
/// 0.6 of the time <see cref="System.IO.Compression.ZLibStream"/> (zlib-ng) takes, and inflation is most of what decoding
/// a scene costs. Without the library, or for a stream it does not accept, the reader inflates with <c>ZLibStream</c> as
/// before: DEFLATE decoding is exact, so both give the same bytes.
/// </summary>
/// <remarks>
/// libdeflate inflates whole streams only (no stopping after the rows a window needs), so the reader uses it for whole
/// blocks. A decompressor is ~32 KiB of native state, not thread-safe: each call takes one from a pool and gives it back
/// (never freed: there are at most as many as threads that ever inflated at once).
/// </remarks>
internal static unsafe class LibDeflate
{
    private const int Success = 0;

    private static readonly delegate* unmanaged<nint> AllocDecompressor;
    private static readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint*, int> ZlibDecompress;
    private static readonly ConcurrentBag<nint> Decompressors = [];

    /// <summary>Set (before the first inflation) to inflate with <c>ZLibStream</c> alone, e.g. to time or test that path.</summary>
    internal static bool Disabled { get; set; }

    static LibDeflate()
    {
        foreach (string name in new[] { "libdeflate.so.0", "libdeflate.so", "libdeflate.0.dylib", "libdeflate.dll", "libdeflate" })
        {
            if (!NativeLibrary.TryLoad(name, out nint library)) continue;
            if (NativeLibrary.TryGetExport(library, "libdeflate_alloc_decompressor", out nint alloc)
                && NativeLibrary.TryGetExport(library, "libdeflate_zlib_decompress", out nint zlib))
            {
                AllocDecompressor = (delegate* unmanaged<nint>)alloc;
                ZlibDecompress = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint*, int>)zlib;
                return;
            }
        }
    }

    /// <summary>True when libdeflate loaded and is not <see cref="Disabled"/>.</summary>
    public static bool Available => ZlibDecompress != null && !Disabled;

    /// <summary>
    /// Inflates the whole zlib stream <paramref name="source"/> into <paramref name="destination"/>; the number of bytes it
    /// holds, or −1 when libdeflate is not available, the stream is corrupt or does not fit (the caller then inflates
    /// with <c>ZLibStream</c>, which says what is wrong, as before).
    /// </summary>
    public static int TryInflate(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (!Available) return -1;
        if (!Decompressors.TryTake(out nint decompressor))
        {
            decompressor = AllocDecompressor();
            if (decompressor == 0) return -1;
        }
        try
        {
            nuint actual;
            int result;
            fixed (byte* input = source)
            fixed (byte* output = destination)
                result = ZlibDecompress(decompressor, input, (nuint)source.Length, output, (nuint)destination.Length, &actual);
            return result == Success ? checked((int)actual) : -1;
        }
        finally
        {
            Decompressors.Add(decompressor);
        }
    }
}
