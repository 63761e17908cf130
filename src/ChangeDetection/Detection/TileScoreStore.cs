using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ChangeDetection.Raster;

namespace ChangeDetection.Detection;

/// <summary>
/// The change scores of the histogram pass, kept for the mask pass so that no tile is decoded,
/// smoothed and scored twice: one file per tile core in a scratch folder, holding the core's scores
/// (float32, row-major; NaN where either date has no data) and one flag byte per pixel
/// (<see cref="Valid"/>, <see cref="Greening"/>, <see cref="Vegetated"/>). 5 bytes a pixel on disk, never in memory at once:
/// the mask pass reads back only the window it needs, rows at a time, from the tile and its neighbours.
/// </summary>
/// <remarks>
/// Files are written to a temporary name and renamed, so a killed run leaves whole files or none.
/// A missing file (a run resumed from a ledger whose scratch folder was removed, a store emptied by
/// another worker's join) is made again by the <c>recompute</c> callback: the scores are a pure
/// function of the tile, so a recomputed file holds the same bytes.
/// </remarks>
internal sealed partial class TileScoreStore
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

    private readonly Action<int> _recompute;

    // How the files are written: around the page cache where the file system allows (DirectFiles), the same bytes either way.
    private readonly DirectFiles _files;

    // A file's bytes on their way in (out: the aligned buffers of _files): pooled per store (a few per core), not in the shared pool, which also keeps
    // arrays per thread, and the tile passes' threads change over a run.
    private readonly System.Buffers.ArrayPool<byte> _buffers = System.Buffers.ArrayPool<byte>.Create(1 << 30, Environment.ProcessorCount);

    /// <param name="folder">The scratch folder (created).</param>
    /// <param name="cores">The tiles whose cores the files hold (the histogram pass's tiling; the halo is ignored).</param>
    /// <param name="recompute">Writes the file of one tile again (by tile index) when it is missing.</param>
    /// <param name="keptBands">
    /// 0: the full form (every pixel's score and flags). Else the kept form for a pair of this many bands: see
    /// <see cref="KeepsImagery"/>.
    /// </param>
    /// <param name="floor">The kept form's score floor (<see cref="DetectionModel.ScoreFloor"/>), recorded in every file.</param>
    /// <param name="files">How the files are written (default: around the page cache where the file system allows).</param>
    public TileScoreStore(string folder, TileScheme cores, Action<int> recompute, int keptBands = 0, float floor = float.NegativeInfinity, DirectFiles? files = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keptBands);
        if (keptBands > 0 && !float.IsFinite(floor)) throw new ArgumentOutOfRangeException(nameof(floor), floor, "The kept form needs a finite score floor.");
        Folder = folder;
        Cores = cores;
        _recompute = recompute;
        KeptBands = keptBands;
        Floor = floor;
        _files = files ?? new DirectFiles();
        Directory.CreateDirectory(folder);
    }

    /// <summary>
    /// True for the kept form: a tile's file holds every pixel's validity (a bit) and, for the pixels <see cref="KeptRegion"/>
    /// marks, the score, the flags and the imagery as delivered (both dates, every band), so that the mask pass reads no
    /// imagery. At 8192² ~7 % of the pixels are kept: ~1.7 bytes a pixel against the full form's 5, and no second decode.
    /// Valid for any threshold at or above <see cref="Floor"/>.
    /// </summary>
    public bool KeepsImagery => KeptBands > 0;

    /// <summary>The bands of the kept form's imagery (0: the full form).</summary>
    public int KeptBands { get; }

    /// <summary>The kept form's score floor (score units); −∞ for the full form.</summary>
    public float Floor { get; }

    /// <summary>The scratch folder.</summary>
    public string Folder { get; }

    /// <summary>The tiling of the stored cores.</summary>
    public TileScheme Cores { get; }

    private const string KeptExtension = ".kept";

    private string FileOf(int tile) => Path.Combine(Folder, tile.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + (KeepsImagery ? KeptExtension : Extension));

    /// <summary>
    /// Stores the core of <paramref name="tile"/>: its scores and flags cut from planes of the tile's read window
    /// (<see cref="Tile.Read"/>, row-major, <paramref name="readWidth"/> wide), in one write.
    /// </summary>
    public void Write(Tile tile, ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, int readWidth)
    {
        if (KeepsImagery) throw new InvalidOperationException("This store keeps imagery: write with WriteKept.");
        var core = tile.CoreInRead;
        int n = checked((int)tile.Core.PixelCount);
        if (readWidth != tile.Read.Width || scores.Length < tile.Read.PixelCount || flags.Length < tile.Read.PixelCount)
            throw new ArgumentException($"Tile {tile.Index} reads {tile.Read.Width}×{tile.Read.Height} pixels, got planes of {scores.Length} scores and {flags.Length} flags, {readWidth} wide.");
        var file = _files.Rent(5 * n);
        try
        {
            var scoresOut = MemoryMarshal.Cast<byte, float>(file.Span[..(4 * n)]);
            var flagsOut = file.Span.Slice(4 * n, n);
            for (int r = 0; r < core.Height; r++)
            {
                int from = (core.Y + r) * readWidth + core.X, to = r * core.Width;
                scores.Slice(from, core.Width).CopyTo(scoresOut[to..]);
                flags.Slice(from, core.Width).CopyTo(flagsOut[to..]);
            }
            Publish(tile, file, 5 * n);
        }
        finally
        {
            _files.Return(file);
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
        if (KeepsImagery) throw new InvalidOperationException("This store keeps imagery: read with ReadKept.");
        int c0 = window.X / Cores.TileSize, c1 = (window.Right - 1) / Cores.TileSize;
        int r0 = window.Y / Cores.TileSize, r1 = (window.Bottom - 1) / Cores.TileSize;
        for (int row = r0; row <= r1; row++)
            for (int col = c0; col <= c1; col++)
            {
                var tile = Cores[col, row];
                using var file = Open(tile);
                var part = tile.Core.Intersect(window);
                long n = tile.Core.PixelCount;
                long first = (long)(part.Y - tile.Core.Y) * tile.Core.Width + (part.X - tile.Core.X);
                int to = (part.Y - window.Y) * window.Width + (part.X - window.X);
                if (part.Width == tile.Core.Width && part.Width == window.Width)
                {
                    // Whole rows of the core into whole rows of the window: one contiguous run each way.
                    ReadExactly(file, MemoryMarshal.AsBytes(scores.Slice(to, checked((int)part.PixelCount))), 4 * first, tile);
                    ReadExactly(file, flags.Slice(to, checked((int)part.PixelCount)), 4 * n + first, tile);
                    continue;
                }
                if (part.Width == tile.Core.Width)
                {
                    ReadRows(file, tile, part, first, n, window, scores, flags);
                    continue;
                }
                for (int y = part.Y; y < part.Bottom; y++)
                {
                    long at = (long)(y - tile.Core.Y) * tile.Core.Width + (part.X - tile.Core.X);
                    int into = (y - window.Y) * window.Width + (part.X - window.X);
                    ReadExactly(file, MemoryMarshal.AsBytes(scores.Slice(into, part.Width)), 4 * at, tile);
                    ReadExactly(file, flags.Slice(into, part.Width), 4 * n + at, tile);
                }
            }
    }

    /// <summary>A part of whole core rows into a wider window: one read per plane into a pooled buffer, then row copies.</summary>
    private void ReadRows(SafeFileHandle file, Tile tile, PixelWindow part, long first, long n, PixelWindow window, Span<float> scores, Span<byte> flags)
    {
        int count = checked((int)part.PixelCount);
        byte[] buffer = _buffers.Rent(5 * count);
        try
        {
            var partScores = MemoryMarshal.Cast<byte, float>(buffer.AsSpan(0, 4 * count));
            var partFlags = buffer.AsSpan(4 * count, count);
            ReadExactly(file, buffer.AsSpan(0, 4 * count), 4 * first, tile);
            ReadExactly(file, partFlags, 4 * n + first, tile);
            for (int r = 0; r < part.Height; r++)
            {
                int into = (part.Y + r - window.Y) * window.Width + (part.X - window.X);
                partScores.Slice(r * part.Width, part.Width).CopyTo(scores[into..]);
                partFlags.Slice(r * part.Width, part.Width).CopyTo(flags[into..]);
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

    /// <summary>
    /// Writes the first <paramref name="length"/> bytes of <paramref name="file"/> as a tile's file, under a temporary name
    /// then renamed: a killed run leaves whole files or none.
    /// </summary>
    /// <remarks>
    /// Written around the page cache where the file system allows (<see cref="DirectFiles"/>), and read back through it: the
    /// mask pass reads each file in pieces, about three times over, which the page cache serves from one read of the disk,
    /// where direct reads took a request of the disk each (measured at 8192²: ~2× the CPU and ~3× the wait of buffered reads).
    /// </remarks>
    private void Publish(Tile tile, DirectFiles.Buffer file, int length)
    {
        string path = FileOf(tile.Index);
        string tmp = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        _files.Write(tmp, file, length);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The tile's file, open to read; made again first when it is missing or not whole.</summary>
    private SafeFileHandle Open(Tile tile)
    {
        string path = FileOf(tile.Index);
        if (File.Exists(path))
        {
            // One open for the check and the reads.
            var file = OpenToRead(path);
            if (IsWhole(file, tile)) return file;
            file.Dispose();
        }
        Directory.CreateDirectory(Folder);
        _recompute(tile.Index);
        try
        {
            return OpenToRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ChangeDetectionException($"{path}: the stored scores of tile {tile.Index} vanished while the mask pass ran (was the run's .work folder removed?). Run again to resume.");
        }
    }

    private SafeFileHandle OpenToRead(string path)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        // A file written directly is on the disk only: its reads, a few pieces at a time, would each start a small
        // read-ahead; one request for the whole file is cheaper, and the parts read next come from the page cache.
        if (_files.WritesDirect) DirectFiles.WillRead(file);
        return file;
    }

    /// <summary>Whether a tile's file has the length its form gives (the kept form: its header's, for this store's floor).</summary>
    private bool IsWhole(SafeFileHandle file, Tile tile)
    {
        long length = RandomAccess.GetLength(file);
        if (!KeepsImagery) return length == 5 * tile.Core.PixelCount;
        if (length < KeptLayout.HeaderBytes) return false;
        Span<byte> header = stackalloc byte[KeptLayout.HeaderBytes];
        if (RandomAccess.Read(file, header, 0) != header.Length) return false;
        return KeptLayout.TryRead(header, tile.Core.Width, tile.Core.Height, KeptBands, Floor, out var layout) && layout.FileBytes == length;
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
