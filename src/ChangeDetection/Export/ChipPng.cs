using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Export;

/// <summary>
/// The chips' PNG encoder: 8-bit truecolour (colour type 2), not interlaced, one IDAT chunk compressed in one call by
/// libdeflate at its level 1 (<see cref="PngDeflate"/>), or without it by .NET's zlib (zlib-ng) at level <see cref="ZlibLevel"/>.
/// ImageSharp's managed encoder was most of a task's export time (its deflate alone several times zlib-ng's). Rows are
/// filtered for what chips are: a row equal to the one above (an enlarged chip repeats each image row 2–8 times) takes
/// filter Up and becomes zeros; any other row takes Sub (the left neighbour's difference), which also zeroes the repeats of
/// an enlarged pixel. PNG is lossless, so the decoded pixels are those given, whichever filter, compressor or level.
/// </summary>
internal static class ChipPng
{
    /// <summary>
    /// zlib level 2 (without libdeflate): zlib-ng's fast strategy with dynamic Huffman codes (its level 1, deflate_quick, uses static codes
    /// only). With it the chips came out 2 % smaller than ImageSharp's at BestSpeed (benchmarks/RESULTS.md).
    /// </summary>
    internal const int ZlibLevel = 2;

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private const byte FilterSub = 1, FilterUp = 2;

    /// <summary>Writes <paramref name="pixels"/> (row-major, at least <paramref name="width"/> × <paramref name="height"/>) as a PNG file at <paramref name="path"/>.</summary>
    public static void Write(string path, ReadOnlySpan<Rgb24> pixels, int width, int height)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(file, pixels, width, height);
    }

    /// <summary>Writes <paramref name="pixels"/> (row-major, at least <paramref name="width"/> × <paramref name="height"/>) as a PNG to <paramref name="output"/>.</summary>
    public static void Write(Stream output, ReadOnlySpan<Rgb24> pixels, int width, int height) => Write(output, pixels, width, height, libDeflate: true);

    /// <summary>As <see cref="Write(Stream, ReadOnlySpan{Rgb24}, int, int)"/>; <paramref name="libDeflate"/> false: zlib-ng and the managed CRC-32 even when libdeflate is there (for tests).</summary>
    internal static void Write(Stream output, ReadOnlySpan<Rgb24> pixels, int width, int height, bool libDeflate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        int rowBytes = checked(width * 3);
        if (pixels.Length < (long)width * height) throw new ArgumentException($"{pixels.Length} pixels for a {width}×{height} PNG.", nameof(pixels));
        var bytes = MemoryMarshal.AsBytes(pixels[..(width * height)]);

        output.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;  // bits per sample
        ihdr[9] = 2;  // truecolour
        ihdr[10] = 0; // deflate
        ihdr[11] = 0; // adaptive filtering
        ihdr[12] = 0; // not interlaced
        WriteChunk(output, "IHDR"u8, ihdr, libDeflate);

        // The rows are filtered into one buffer and compressed in one call (libdeflate, PngDeflate), else through
        // ZLibStream; either way the whole stream is gathered first: one IDAT chunk needs its length before its data.
        int filteredLength = checked((rowBytes + 1) * height);
        byte[] filtered = ArrayPool<byte>.Shared.Rent(filteredLength);
        try
        {
            Filter(bytes, rowBytes, height, filtered);
            if ((libDeflate ? PngDeflate.TryCompress(filtered.AsSpan(0, filteredLength)) : null) is { } compressed)
            {
                var (data, length) = compressed;
                try
                {
                    WriteChunk(output, "IDAT"u8, data.AsSpan(0, length), libDeflate);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(data);
                }
            }
            else
            {
                using var idat = new PooledBuffer(Math.Max(1024, rowBytes * height / 4));
                using (var z = new ZLibStream(idat, new ZLibCompressionOptions { CompressionLevel = ZlibLevel }, leaveOpen: true))
                    z.Write(filtered, 0, filteredLength);
                WriteChunk(output, "IDAT"u8, idat.Written, libDeflate);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(filtered);
        }
        WriteChunk(output, "IEND"u8, [], libDeflate);
    }

    /// <summary>
    /// The PNG rows of <paramref name="bytes"/> (<paramref name="height"/> rows of <paramref name="rowBytes"/>), each a filter
    /// byte and the filtered row, into <paramref name="into"/>: Up (zeros) for a row equal to the one above, else Sub.
    /// </summary>
    private static void Filter(ReadOnlySpan<byte> bytes, int rowBytes, int height, byte[] into)
    {
        for (int y = 0; y < height; y++)
        {
            var row = bytes.Slice(y * rowBytes, rowBytes);
            var line = into.AsSpan(y * (rowBytes + 1), rowBytes + 1);
            if (y > 0 && row.SequenceEqual(bytes.Slice((y - 1) * rowBytes, rowBytes)))
            {
                line[0] = FilterUp;
                line[1..].Clear();
            }
            else
            {
                line[0] = FilterSub;
                Sub(row, line[1..]);
            }
        }
    }

    /// <summary>PNG filter Sub on one RGB row: each byte minus the same channel of the pixel to its left (mod 256).</summary>
    private static void Sub(ReadOnlySpan<byte> row, Span<byte> into)
    {
        row[..3].CopyTo(into);
        int i = 3;
        // Bytes wrap around in the vector subtraction as in the scalar one (mod 256).
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<byte>.Count <= row.Length; i += Vector<byte>.Count)
                (new Vector<byte>(row[i..]) - new Vector<byte>(row[(i - 3)..])).CopyTo(into[i..]);
        for (; i < row.Length; i++) into[i] = (byte)(row[i] - row[i - 3]);
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data, bool libDeflate)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        uint crc = (libDeflate ? PngDeflate.Crc32(0, type) : null) is uint start
            ? PngDeflate.Crc32(start, data)!.Value
            : Crc32.Append(Crc32.Append(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }

    /// <summary>A growable write-only stream over pooled arrays (the compressed image data of one chip).</summary>
    private sealed class PooledBuffer(int capacity) : Stream
    {
        private byte[] _data = ArrayPool<byte>.Shared.Rent(capacity);
        private int _length;

        public ReadOnlySpan<byte> Written => _data.AsSpan(0, _length);

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_length + buffer.Length > _data.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_data.Length * 2, _length + buffer.Length));
                _data.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_data);
                _data = bigger;
            }
            buffer.CopyTo(_data.AsSpan(_length));
            _length += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _data.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_data);
                _data = [];
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>CRC-32 (ISO-HDLC, the polynomial PNG chunks use), table-driven; callers start from and finish with 0xFFFFFFFF.</summary>
    internal static class Crc32
    {
        private static readonly uint[] Table = MakeTable();

        private static uint[] MakeTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }

        public static uint Append(uint crc, ReadOnlySpan<byte> data)
        {
            var table = Table;
            foreach (byte b in data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
