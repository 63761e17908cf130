using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using ChangeDetection.Raster;

namespace ChangeDetection.Detection;

/// <summary>The kept form of the score store (<see cref="TileScoreStore.KeepsImagery"/>).</summary>
internal sealed partial class TileScoreStore
{
    /// <summary>
    /// Stores the core of <paramref name="tile"/> in the kept form: every pixel's validity, and for the pixels
    /// <paramref name="kept"/> marks (core-sized, 0/1, <paramref name="keptCount"/> of them) the score, the flags and the
    /// imagery as delivered (<paramref name="before"/>/<paramref name="after"/>: band-sequential planes of the read window),
    /// in one write.
    /// </summary>
    public void WriteKept(Tile tile, ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after,
        int readWidth, ReadOnlySpan<byte> kept, int keptCount)
    {
        if (!KeepsImagery) throw new InvalidOperationException("This store keeps every score: write with Write.");
        var core = tile.CoreInRead;
        int w = core.Width, h = core.Height, n = readWidth * tile.Read.Height, bands = KeptBands;
        if (readWidth != tile.Read.Width || scores.Length < n || flags.Length < n || before.Length < bands * n || after.Length < bands * n || kept.Length < w * h)
            throw new ArgumentException($"Tile {tile.Index} reads {tile.Read.Width}×{tile.Read.Height} pixels of {bands} bands; the planes given are too small or {readWidth} wide.");
        var layout = new KeptLayout(w, h, bands, keptCount);
        int length = checked((int)layout.FileBytes);
        var file = _files.Rent(length);
        try
        {
            var bytes = file.Span[..length];
            bytes.Clear();
            layout.WriteHeader(bytes, Floor);
            var rowStarts = MemoryMarshal.Cast<byte, int>(bytes.Slice(KeptLayout.HeaderBytes, 4 * (h + 1)));
            var validBits = bytes.Slice((int)layout.ValidBitsAt, h * layout.RowBytes);
            var keptBits = bytes.Slice((int)layout.KeptBitsAt, h * layout.RowBytes);
            var keptScores = MemoryMarshal.Cast<byte, float>(bytes.Slice((int)layout.ScoresAt, 4 * keptCount));
            var keptFlags = bytes.Slice((int)layout.FlagsAt, keptCount);
            var keptBefore = MemoryMarshal.Cast<byte, ushort>(bytes.Slice((int)layout.BeforeAt, 2 * bands * keptCount));
            var keptAfter = MemoryMarshal.Cast<byte, ushort>(bytes.Slice((int)layout.AfterAt, 2 * bands * keptCount));
            int k = 0;
            for (int r = 0; r < h; r++)
            {
                rowStarts[r] = k;
                int from = (core.Y + r) * readWidth + core.X, bits = r * layout.RowBytes;
                var rowFlags = flags.Slice(from, w);
                var rowKept = kept.Slice(r * w, w);
                PackBits(rowFlags, Valid, validBits.Slice(bits, layout.RowBytes));
                PackBits(rowKept, 1, keptBits.Slice(bits, layout.RowBytes));
                // Kept pixels are a few percent: walk the set bits, byte by byte.
                for (int j = 0; j < layout.RowBytes; j++)
                {
                    for (int set = keptBits[bits + j]; set != 0; set &= set - 1)
                    {
                        int x = 8 * j + BitOperations.TrailingZeroCount(set), i = from + x;
                        if (k == keptCount) throw new ArgumentException($"Tile {tile.Index}: more kept pixels than the {keptCount} counted.", nameof(kept));
                        keptScores[k] = scores[i];
                        keptFlags[k] = flags[i];
                        for (int b = 0; b < bands; b++)
                        {
                            keptBefore[b * keptCount + k] = before[b * n + i];
                            keptAfter[b * keptCount + k] = after[b * n + i];
                        }
                        k++;
                    }
                }
            }
            if (k != keptCount) throw new ArgumentException($"Tile {tile.Index}: {k} kept pixels, {keptCount} counted.", nameof(kept));
            rowStarts[h] = k;
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The score store's files are little-endian.");
            Publish(tile, file, length);
        }
        finally
        {
            _files.Return(file);
        }
    }

    /// <summary>
    /// Fills <paramref name="scores"/>, <paramref name="flags"/> and the imagery planes (band-sequential, band stride the
    /// window's pixel count) of <paramref name="window"/> (inside the grid) from the kept form of the cores it overlaps. A
    /// pixel not kept reads as score −∞ (below any threshold at or above the floor), flags <see cref="Valid"/> or 0, imagery 0.
    /// </summary>
    public void ReadKept(PixelWindow window, Span<float> scores, Span<byte> flags, Span<ushort> before, Span<ushort> after)
    {
        if (!KeepsImagery) throw new InvalidOperationException("This store keeps every score: read with Read.");
        int nw = checked((int)window.PixelCount), bands = KeptBands;
        if (scores.Length < nw || flags.Length < nw || before.Length < bands * nw || after.Length < bands * nw)
            throw new ArgumentException($"A {window.Width}×{window.Height} window of {bands} bands needs larger planes.");
        int c0 = window.X / Cores.TileSize, c1 = (window.Right - 1) / Cores.TileSize;
        int r0 = window.Y / Cores.TileSize, r1 = (window.Bottom - 1) / Cores.TileSize;
        for (int row = r0; row <= r1; row++)
            for (int col = c0; col <= c1; col++)
            {
                var tile = Cores[col, row];
                using var file = Open(tile);
                ReadKeptPart(file, tile, tile.Core.Intersect(window), window, scores, flags, before, after);
            }
    }

    private void ReadKeptPart(Microsoft.Win32.SafeHandles.SafeFileHandle file, Tile tile, PixelWindow part, PixelWindow window,
        Span<float> scores, Span<byte> flags, Span<ushort> before, Span<ushort> after)
    {
        var core = tile.Core;
        int w = core.Width, h = core.Height, bands = KeptBands, nw = (int)window.PixelCount;
        int y0 = part.Y - core.Y, y1 = part.Bottom - core.Y, x0 = part.X - core.X, x1 = part.Right - core.X;
        Span<byte> header = stackalloc byte[KeptLayout.HeaderBytes];
        ReadExactly(file, header, 0, tile);
        if (!KeptLayout.TryRead(header, w, h, bands, Floor, out var layout))
            throw new ChangeDetectionException($"{FileOf(tile.Index)}: not the kept scores of tile {tile.Index} for this run; delete the run's .work folder or run with --force.");
        int rows = y1 - y0, rb = layout.RowBytes;
        // The part's rows: their starts, both bit planes, then each plane's run of kept values (contiguous, row-major).
        var starts = new int[rows + 1];
        ReadExactly(file, MemoryMarshal.AsBytes(starts.AsSpan()), KeptLayout.HeaderBytes + 4L * y0, tile);
        int k0 = starts[0], m = starts[rows] - k0, kc = layout.Kept;
        int valuesBytes = 2 * rows * rb + m * (5 + 4 * bands);
        byte[] buffer = _buffers.Rent(valuesBytes);
        try
        {
            var validBits = buffer.AsSpan(0, rows * rb);
            var keptBits = buffer.AsSpan(rows * rb, rows * rb);
            var values = buffer.AsSpan(2 * rows * rb, m * (5 + 4 * bands));
            ReadExactly(file, validBits, layout.ValidBitsAt + (long)y0 * rb, tile);
            ReadExactly(file, keptBits, layout.KeptBitsAt + (long)y0 * rb, tile);
            var keptScores = MemoryMarshal.Cast<byte, float>(values[..(4 * m)]);
            var keptFlags = values.Slice(4 * m, m);
            var keptBefore = MemoryMarshal.Cast<byte, ushort>(values.Slice(5 * m, 2 * bands * m));
            var keptAfter = MemoryMarshal.Cast<byte, ushort>(values.Slice(5 * m + 2 * bands * m, 2 * bands * m));
            ReadExactly(file, MemoryMarshal.AsBytes(keptScores), layout.ScoresAt + 4L * k0, tile);
            ReadExactly(file, keptFlags, layout.FlagsAt + k0, tile);
            for (int b = 0; b < bands; b++)
            {
                ReadExactly(file, MemoryMarshal.AsBytes(keptBefore.Slice(b * m, m)), layout.BeforeAt + 2L * ((long)b * kc + k0), tile);
                ReadExactly(file, MemoryMarshal.AsBytes(keptAfter.Slice(b * m, m)), layout.AfterAt + 2L * ((long)b * kc + k0), tile);
            }
            int pw = x1 - x0;
            for (int r = 0; r < rows; r++)
            {
                int into = (part.Y + r - window.Y) * window.Width + (part.X - window.X);
                var rowValid = validBits.Slice(r * rb, rb);
                var rowKept = keptBits.Slice(r * rb, rb);
                scores.Slice(into, pw).Fill(float.NegativeInfinity);
                for (int b = 0; b < bands; b++)
                {
                    before.Slice(b * nw + into, pw).Clear();
                    after.Slice(b * nw + into, pw).Clear();
                }
                UnpackBits(rowValid, x0, Valid, flags.Slice(into, pw));
                // The kept pixels left of the part only move the index into the row's values; then walk the set bits.
                int k = starts[r] - k0, firstByte = x0 >> 3, lastByte = (x1 - 1) >> 3;
                for (int j = 0; j < firstByte; j++) k += BitOperations.PopCount(rowKept[j]);
                for (int j = firstByte; j <= lastByte; j++)
                {
                    for (int set = rowKept[j]; set != 0; set &= set - 1, k++)
                    {
                        int x = 8 * j + BitOperations.TrailingZeroCount(set);
                        if (x < x0 || x >= x1) continue;
                        int i = into + x - x0;
                        scores[i] = keptScores[k];
                        flags[i] = keptFlags[k];
                        for (int b = 0; b < bands; b++)
                        {
                            before[b * nw + i] = keptBefore[b * m + k];
                            after[b * nw + i] = keptAfter[b * m + k];
                        }
                    }
                }
            }
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    /// <summary>Bit x % 8 of byte x / 8 of <paramref name="bits"/> set where <paramref name="bytes"/>[x] has <paramref name="bit"/>.</summary>
    internal static void PackBits(ReadOnlySpan<byte> bytes, byte bit, Span<byte> bits)
    {
        int x = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var mask = Vector128.Create(bit);
            for (; x <= bytes.Length - 16; x += 16)
            {
                uint set = Vector128.ExtractMostSignificantBits(Vector128.Equals(Vector128.Create(bytes.Slice(x, 16)) & mask, mask));
                bits[x >> 3] = (byte)set;
                bits[(x >> 3) + 1] = (byte)(set >> 8);
            }
        }
        for (; x < bytes.Length; x++)
        {
            if (x % 8 == 0) bits[x >> 3] = 0;
            if ((bytes[x] & bit) != 0) bits[x >> 3] |= (byte)(1 << (x & 7));
        }
    }

    /// <summary>
    /// <paramref name="into"/>[i] = <paramref name="value"/> where bit <paramref name="first"/> + i of <paramref name="bits"/>
    /// is set, else 0; whole bytes of set bits (every pixel valid, the usual case) as one fill.
    /// </summary>
    internal static void UnpackBits(ReadOnlySpan<byte> bits, int first, byte value, Span<byte> into)
    {
        int x = first, end = first + into.Length;
        while (x < end)
        {
            byte b = bits[x >> 3];
            if ((x & 7) == 0 && x + 8 <= end && (b == 0xFF || b == 0))
            {
                into.Slice(x - first, 8).Fill(b == 0 ? (byte)0 : value);
                x += 8;
                continue;
            }
            into[x - first] = ((b >> (x & 7)) & 1) != 0 ? value : (byte)0;
            x++;
        }
    }

    /// <summary>
    /// Where the kept form's parts lie in a tile's file (bytes): a 32-byte header (magic, core width and height, bands,
    /// kept pixels, floor), the kept pixels before each row (int32, rows + 1), the validity bits and the kept bits (rows
    /// padded to whole bytes, bit x % 8 of byte x / 8), then the kept pixels' scores (float32), flags (byte), and imagery
    /// (uint16, band after band, before then after), each in row-major order. Little-endian.
    /// </summary>
    private readonly record struct KeptLayout(int Width, int Height, int Bands, int Kept)
    {
        public const int HeaderBytes = 32;

        private static ReadOnlySpan<byte> Magic => "CDXKEPT1"u8;

        public int RowBytes => (Width + 7) / 8;

        public long ValidBitsAt => HeaderBytes + 4L * (Height + 1);

        public long KeptBitsAt => ValidBitsAt + (long)Height * RowBytes;

        public long ScoresAt => KeptBitsAt + (long)Height * RowBytes;

        public long FlagsAt => ScoresAt + 4L * Kept;

        public long BeforeAt => FlagsAt + Kept;

        public long AfterAt => BeforeAt + 2L * Bands * Kept;

        public long FileBytes => AfterAt + 2L * Bands * Kept;

        public void WriteHeader(Span<byte> header, float floor)
        {
            Magic.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], Width);
            BinaryPrimitives.WriteInt32LittleEndian(header[12..], Height);
            BinaryPrimitives.WriteInt32LittleEndian(header[16..], Bands);
            BinaryPrimitives.WriteInt32LittleEndian(header[20..], Kept);
            BinaryPrimitives.WriteSingleLittleEndian(header[24..], floor);
        }

        /// <summary>The layout a header gives, if it is the kept form of a core of this size and band count at this floor.</summary>
        public static bool TryRead(ReadOnlySpan<byte> header, int width, int height, int bands, float floor, out KeptLayout layout)
        {
            layout = default;
            if (!header[..8].SequenceEqual(Magic)) return false;
            if (BinaryPrimitives.ReadInt32LittleEndian(header[8..]) != width || BinaryPrimitives.ReadInt32LittleEndian(header[12..]) != height
                || BinaryPrimitives.ReadInt32LittleEndian(header[16..]) != bands || BinaryPrimitives.ReadSingleLittleEndian(header[24..]) != floor)
                return false;
            int kept = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
            if (kept < 0 || kept > (long)width * height) return false;
            layout = new KeptLayout(width, height, bands, kept);
            return true;
        }
    }
}
