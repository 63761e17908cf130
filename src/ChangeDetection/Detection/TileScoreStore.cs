using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ChangeDetection.Raster;

namespace ChangeDetection.Detection;

/// <summary>
/// The change scores of the histogram pass, kept for the mask pass so that no tile is decoded,
/// smoothed and scored twice: one file per tile core in a scratch folder, holding the core's scores
/// (float32, row-major; NaN where either date has no data) and the flags of each pixel
/// (<see cref="Valid"/>, <see cref="Greening"/>, <see cref="Vegetated"/>), never in memory at once:
/// the mask pass reads back only the window it needs, rows at a time, from the tile and its neighbours.
/// </summary>
/// <remarks>
/// <para>
/// Two layouts, both lossless for what the mask pass reads. <b>Packed</b> (4⅛ bytes a pixel, the usual one): the scores'
/// bits with the sign bit carrying <see cref="Greening"/> (a valid pixel's score is a root of squares plus index terms
/// that are never negative, so the sign is always clear), NaN for a pixel without data in both dates (its validity),
/// then one bit a pixel for <see cref="Vegetated"/>. The greening and vegetated bits of a pixel without data are not
/// kept: the mask is no data there and the pieces never include it, whatever they say. <b>Plain</b> (5 bytes a pixel):
/// the scores, then the flag bytes; written for a tile where the packed layout would lose something (a valid pixel with
/// a NaN or negative score, a pixel without data with a score), which the kernel never gives.
/// </para>
/// <para>
/// Why packed: the store's bytes are the histogram pass's largest write (335 MB at 8192² plain), and writing fresh
/// file pages costs this machine several seconds of system time; the mask pass then reads them all back.
/// </para>
/// </remarks>
/// <remarks>
/// Files are written to a temporary name and renamed, so a killed run leaves whole files or none.
/// A missing file (a run resumed from a ledger whose scratch folder was removed, a store emptied by
/// another worker's join) is made again by the <c>recompute</c> callback: the scores are a pure
/// function of the tile, so a recomputed file holds the same bytes.
/// </remarks>
internal sealed class TileScoreStore
{
    /// <summary>Flag bit: the pixel holds data in both dates.</summary>
    public const byte Valid = 1;

    /// <summary>Flag bit: the vegetation index rose by more than <see cref="VegetationGain.MinRise"/> (delivered digital numbers).</summary>
    public const byte Greening = 2;

    /// <summary>
    /// Flag bit: the ground is vegetated on both dates and lost no vegetation (<see cref="VegetationGain.StaysVegetated"/>):
    /// never change, left out of the threshold's histogram and of the mask.
    /// </summary>
    public const byte Vegetated = 4;

    private const string Extension = ".scores";

    // The packed layout's files: another name, so that a file's layout never depends on its length alone.
    private const string PackedExtension = ".packed";

    private const uint SignBit = 0x8000_0000u;

    private readonly Action<int> _recompute;

    // A file's bytes on their way out or in: pooled per store (a few per core), not in the shared pool, which also keeps
    // arrays per thread, and the tile passes' threads change over a run.
    private readonly System.Buffers.ArrayPool<byte> _buffers = System.Buffers.ArrayPool<byte>.Create(1 << 30, Environment.ProcessorCount);

    /// <param name="folder">The scratch folder (created).</param>
    /// <param name="cores">The tiles whose cores the files hold (the histogram pass's tiling; the halo is ignored).</param>
    /// <param name="recompute">Writes the file of one tile again (by tile index) when it is missing.</param>
    public TileScoreStore(string folder, TileScheme cores, Action<int> recompute)
    {
        Folder = folder;
        Cores = cores;
        _recompute = recompute;
        Directory.CreateDirectory(folder);
    }

    /// <summary>The scratch folder.</summary>
    public string Folder { get; }

    /// <summary>The tiling of the stored cores.</summary>
    public TileScheme Cores { get; }

    private string FileOf(int tile) => Path.Combine(Folder, tile.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + Extension);

    private string PackedFileOf(int tile) => Path.Combine(Folder, tile.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + PackedExtension);

    /// <summary>Bytes of a packed file of <paramref name="n"/> pixels: the scores, then one vegetated bit a pixel.</summary>
    private static long PackedLength(long n) => 4 * n + (n + 7) / 8;

    /// <summary>
    /// Stores the core of <paramref name="tile"/>: its scores and flags cut from planes of the tile's read window
    /// (<see cref="Tile.Read"/>, row-major, <paramref name="readWidth"/> wide), in one write.
    /// </summary>
    public void Write(Tile tile, ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, int readWidth)
    {
        var core = tile.CoreInRead;
        int n = checked((int)tile.Core.PixelCount);
        if (readWidth != tile.Read.Width || scores.Length < tile.Read.PixelCount || flags.Length < tile.Read.PixelCount)
            throw new ArgumentException($"Tile {tile.Index} reads {tile.Read.Width}×{tile.Read.Height} pixels, got planes of {scores.Length} scores and {flags.Length} flags, {readWidth} wide.");
        byte[] file = _buffers.Rent(5 * n);
        try
        {
            var scoresOut = MemoryMarshal.Cast<byte, float>(file.AsSpan(0, 4 * n));
            bool packed = true;
            var vegetated = file.AsSpan(4 * n, (n + 7) / 8);
            vegetated.Clear();
            for (int r = 0; r < core.Height; r++)
            {
                int from = (core.Y + r) * readWidth + core.X, to = r * core.Width;
                scores.Slice(from, core.Width).CopyTo(scoresOut[to..]);
                if (packed) packed = Pack(scoresOut.Slice(to, core.Width), flags.Slice(from, core.Width), vegetated, to);
            }
            string path = PackedFileOf(tile.Index);
            long length = PackedLength(n);
            if (!packed)
            {
                // The plain layout: the scores again (packing changed some), then the flag bytes.
                var flagsOut = file.AsSpan(4 * n, n);
                for (int r = 0; r < core.Height; r++)
                {
                    int from = (core.Y + r) * readWidth + core.X, to = r * core.Width;
                    scores.Slice(from, core.Width).CopyTo(scoresOut[to..]);
                    flags.Slice(from, core.Width).CopyTo(flagsOut[to..]);
                }
                path = FileOf(tile.Index);
                length = 5L * n;
            }
            string tmp = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
            using (var handle = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: length))
                RandomAccess.Write(handle, file.AsSpan(0, (int)length), 0);
            File.Move(tmp, path, overwrite: true);
            // A file of the other layout (an earlier run's) must not be read instead.
            File.Delete(packed ? FileOf(tile.Index) : PackedFileOf(tile.Index));
        }
        finally
        {
            _buffers.Return(file);
        }
    }

    /// <summary>
    /// Packs one row in place: each valid pixel's score gets <see cref="Greening"/> in its sign bit and its
    /// <see cref="Vegetated"/> bit set in <paramref name="vegetated"/> (bit <paramref name="first"/> + x); a pixel without data
    /// keeps NaN. False when the row holds what the packed layout cannot say (the caller then writes the plain one).
    /// </summary>
    private static bool Pack(Span<float> row, ReadOnlySpan<byte> flags, Span<byte> vegetated, int first)
    {
        var bits = MemoryMarshal.Cast<float, uint>(row);
        for (int x = 0; x < bits.Length; x++)
        {
            byte f = flags[x];
            uint b = bits[x];
            bool nan = (b & ~SignBit) > 0x7F80_0000u;
            if ((f & Valid) == 0)
            {
                if (!nan) return false;
                bits[x] = 0x7FC0_0000u;
                continue;
            }
            if (nan || (b & SignBit) != 0) return false;
            if ((f & Greening) != 0) bits[x] = b | SignBit;
            if ((f & Vegetated) != 0) vegetated[(first + x) >> 3] |= (byte)(1 << ((first + x) & 7));
        }
        return true;
    }

    /// <summary>
    /// Unpacks the pixels of <paramref name="scores"/> in place: the scores lose the sign bit, the flags are rebuilt from it, from
    /// NaN (no data) and from the vegetated bits (<paramref name="vegetated"/>, starting at bit <paramref name="bit"/>).
    /// </summary>
    private static void Unpack(Span<float> scores, Span<byte> flags, ReadOnlySpan<byte> vegetated, long bit)
    {
        var bits = MemoryMarshal.Cast<float, uint>(scores);
        for (int x = 0; x < bits.Length; x++, bit++)
        {
            uint b = bits[x];
            if ((b & ~SignBit) > 0x7F80_0000u)
            {
                flags[x] = 0;
                continue;
            }
            byte f = Valid;
            if ((b & SignBit) != 0)
            {
                f |= Greening;
                bits[x] = b & ~SignBit;
            }
            if ((vegetated[(int)(bit >> 3)] & (1 << (int)(bit & 7))) != 0) f |= Vegetated;
            flags[x] = f;
        }
    }

    /// <summary>
    /// Fills <paramref name="scores"/> and <paramref name="flags"/> (row-major, <paramref name="window"/>-sized)
    /// from the stored cores that <paramref name="window"/> overlaps; it must lie inside the grid.
    /// </summary>
    /// <remarks>
    /// A part that spans whole rows of a core (the tile's own core, the strips above and below it) is one read per plane;
    /// a narrower part (the strips left and right) is read row by row. The row-by-row reads of a tile's own core were
    /// two system calls a row, ~17 % of the mask pass.
    /// </remarks>
    public void Read(PixelWindow window, Span<float> scores, Span<byte> flags)
    {
        int c0 = window.X / Cores.TileSize, c1 = (window.Right - 1) / Cores.TileSize;
        int r0 = window.Y / Cores.TileSize, r1 = (window.Bottom - 1) / Cores.TileSize;
        for (int row = r0; row <= r1; row++)
            for (int col = c0; col <= c1; col++)
            {
                var tile = Cores[col, row];
                var (file, packed) = Open(tile);
                using var owned = file;
                var part = tile.Core.Intersect(window);
                long n = tile.Core.PixelCount;
                long first = (long)(part.Y - tile.Core.Y) * tile.Core.Width + (part.X - tile.Core.X);
                int to = (part.Y - window.Y) * window.Width + (part.X - window.X);
                // Plain files: the flag bytes follow the scores. Packed: the scores only, the flags rebuilt below.
                var flagsFrom = packed ? default : flags;
                if (part.Width == tile.Core.Width && part.Width == window.Width)
                {
                    // Whole rows of the core into whole rows of the window: one contiguous run each way.
                    ReadExactly(file, MemoryMarshal.AsBytes(scores.Slice(to, checked((int)part.PixelCount))), 4 * first, tile);
                    if (!packed) ReadExactly(file, flags.Slice(to, checked((int)part.PixelCount)), 4 * n + first, tile);
                }
                else if (part.Width == tile.Core.Width) ReadRows(file, tile, part, first, n, window, scores, flagsFrom, packed);
                else
                {
                    for (int y = part.Y; y < part.Bottom; y++)
                    {
                        long at = (long)(y - tile.Core.Y) * tile.Core.Width + (part.X - tile.Core.X);
                        int into = (y - window.Y) * window.Width + (part.X - window.X);
                        ReadExactly(file, MemoryMarshal.AsBytes(scores.Slice(into, part.Width)), 4 * at, tile);
                        if (!packed) ReadExactly(file, flags.Slice(into, part.Width), 4 * n + at, tile);
                    }
                }
                if (packed) UnpackPart(file, tile, part, first, window, scores, flags);
            }
    }

    /// <summary>
    /// The flags of a packed file's <paramref name="part"/> (already read into <paramref name="scores"/>): the vegetated bits
    /// from the first to the last pixel of the part in one read, then each row unpacked in place.
    /// </summary>
    private void UnpackPart(SafeFileHandle file, Tile tile, PixelWindow part, long first, PixelWindow window, Span<float> scores, Span<byte> flags)
    {
        long n = tile.Core.PixelCount, width = tile.Core.Width;
        long last = first + (part.Height - 1) * width + part.Width - 1;
        long b0 = first >> 3, b1 = last >> 3;
        int count = checked((int)(b1 - b0 + 1));
        byte[] buffer = _buffers.Rent(count);
        try
        {
            var vegetated = buffer.AsSpan(0, count);
            ReadExactly(file, vegetated, 4 * n + b0, tile);
            for (int r = 0; r < part.Height; r++)
            {
                int into = (part.Y + r - window.Y) * window.Width + (part.X - window.X);
                Unpack(scores.Slice(into, part.Width), flags.Slice(into, part.Width), vegetated, first + r * width - 8 * b0);
            }
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    /// <summary>A part of whole core rows into a wider window: one read per plane into a pooled buffer, then row copies.</summary>
    private void ReadRows(SafeFileHandle file, Tile tile, PixelWindow part, long first, long n, PixelWindow window, Span<float> scores, Span<byte> flags, bool packed)
    {
        int count = checked((int)part.PixelCount);
        byte[] buffer = _buffers.Rent(5 * count);
        try
        {
            var partScores = MemoryMarshal.Cast<byte, float>(buffer.AsSpan(0, 4 * count));
            var partFlags = buffer.AsSpan(4 * count, count);
            ReadExactly(file, buffer.AsSpan(0, 4 * count), 4 * first, tile);
            if (!packed) ReadExactly(file, partFlags, 4 * n + first, tile);
            for (int r = 0; r < part.Height; r++)
            {
                int into = (part.Y + r - window.Y) * window.Width + (part.X - window.X);
                partScores.Slice(r * part.Width, part.Width).CopyTo(scores[into..]);
                if (!packed) partFlags.Slice(r * part.Width, part.Width).CopyTo(flags[into..]);
            }
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    /// <summary>Removes the folder and every file in it (the mask pass is over).</summary>
    public void Delete()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }

    /// <summary>The stored file of <paramref name="tile"/> (made again when neither layout's is whole) and whether it is packed.</summary>
    private (SafeFileHandle File, bool Packed) Open(Tile tile)
    {
        long n = tile.Core.PixelCount;
        string? path = Whole(tile, n);
        if (path is null)
        {
            Directory.CreateDirectory(Folder);
            _recompute(tile.Index);
            path = Whole(tile, n) ?? FileOf(tile.Index);
        }
        try
        {
            return (File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), path.EndsWith(PackedExtension, StringComparison.Ordinal));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ChangeDetectionException($"{path}: the stored scores of tile {tile.Index} vanished while the mask pass ran (was the run's .work folder removed?). Run again to resume.");
        }
    }

    /// <summary>The file of <paramref name="tile"/> that exists with its layout's length (packed first), or null.</summary>
    private string? Whole(Tile tile, long n)
    {
        string packed = PackedFileOf(tile.Index), plain = FileOf(tile.Index);
        if (File.Exists(packed) && new FileInfo(packed).Length == PackedLength(n)) return packed;
        if (File.Exists(plain) && new FileInfo(plain).Length == 5 * n) return plain;
        return null;
    }

    private void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset, Tile tile)
    {
        while (buffer.Length > 0)
        {
            int read = RandomAccess.Read(file, buffer, offset);
            if (read == 0)
                throw new ChangeDetectionException($"{FileOf(tile.Index)}: the stored scores of tile {tile.Index} are cut short; delete the run's .work folder or run with --force.");
            buffer = buffer[read..];
            offset += read;
        }
    }
}
