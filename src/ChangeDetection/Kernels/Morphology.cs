using System.Buffers;
using ChangeDetection.Raster;

namespace ChangeDetection.Kernels;

/// <summary>Which morphological filter a <see cref="MorphologyFilter"/> applies.</summary>
public enum MorphologyOperation
{
    /// <summary>Erosion then dilation: removes change specks smaller than the square. Halo 2r.</summary>
    Open,
    /// <summary>Dilation then erosion: fills gaps and holes narrower than the square. Halo 2r.</summary>
    Close,
    /// <summary>Opening, then closing of the result: the usual clean-up of a change mask. Halo 4r.</summary>
    OpenThenClose,
}

/// <summary>
/// Binary opening and closing of a change mask with a square (Chebyshev) structuring element of
/// radius r, i.e. a (2r+1) × (2r+1) window. Shortcuts for whole masks; see
/// <see cref="MorphologyFilter"/> for the conventions, tiling and halos.
/// </summary>
internal static class Morphology
{
    /// <summary>Mask value: no change.</summary>
    public const byte Background = Raster.MaskValues.Background;

    /// <summary>Mask value: change.</summary>
    public const byte Change = Raster.MaskValues.Change;

    /// <summary>
    /// Mask value of the detector's output: change where the vegetation index rose (greening; see
    /// <see cref="Detection.VegetationGain"/>). Written after the morphology, which works on 0/1; a separate
    /// value so that a greening field and a building inside it become separate patches.
    /// </summary>
    public const byte ChangeVegetationGain = Raster.MaskValues.ChangeVegetationGain;

    /// <summary>True for a mask value that is change of any kind (not background, not nodata).</summary>
    public static bool IsChange(byte value) => value != Background && value != NoData;

    /// <summary>Mask value: no data in either date (never becomes change).</summary>
    public const byte NoData = Raster.MaskValues.NoData;

    /// <summary>Opening of a whole <paramref name="width"/> × <paramref name="height"/> mask (row-major).</summary>
    public static void Open(ReadOnlySpan<byte> mask, int width, int height, int radius, Span<byte> result) =>
        new MorphologyFilter(MorphologyOperation.Open, radius).Apply(mask, width, height, result);

    /// <summary>Closing of a whole mask.</summary>
    public static void Close(ReadOnlySpan<byte> mask, int width, int height, int radius, Span<byte> result) =>
        new MorphologyFilter(MorphologyOperation.Close, radius).Apply(mask, width, height, result);

    /// <summary>Opening then closing of a whole mask.</summary>
    public static void OpenThenClose(ReadOnlySpan<byte> mask, int width, int height, int radius, Span<byte> result) =>
        new MorphologyFilter(MorphologyOperation.OpenThenClose, radius).Apply(mask, width, height, result);
}

/// <summary>
/// A validated morphological filter (operation and radius) for uint8 change masks
/// (<see cref="Morphology.Background"/> 0, <see cref="Morphology.Change"/> 1,
/// <see cref="Morphology.NoData"/> 255; any other value counts as background). Immutable and
/// thread-safe (scratch memory comes from <see cref="ArrayPool{T}"/>).
/// </summary>
/// <remarks>
/// <para>
/// Conventions. Nodata is background as input: the filter runs on the 0/1 mask with every
/// nodata pixel read as 0, and nodata pixels are written back as 255 at the very end, so nodata
/// never becomes change, and within a chain (open then close) the intermediate results are not
/// re-masked. That keeps opening anti-extensive and closing extensive on the valid pixels (a
/// closing never deletes change next to a cloud). Outside the image is neutral: windows are
/// clipped to the image (OpenCV's default border), so an opening does not erode change that
/// touches the border; the price is that a closing joins change lying within r of the border to
/// the border.
/// </para>
/// <para>
/// Halo. Each erosion or dilation of radius r reads r pixels beyond the pixel it writes, so a
/// chain of k of them needs a halo of k·r: <see cref="Halo"/> is 2r for an opening or a closing
/// and 4r for opening then closing. A tile processed with that halo (clipped at the image edge,
/// where the buffer edge then is the image edge) gives exactly the whole-image result in its inner
/// region; <see cref="ApplyTiled(ReadOnlySpan{byte}, int, int, int, Span{byte})"/> does this.
/// </para>
/// <para>
/// Cost. The square window is separable (a row pass then a column pass) and each pass keeps a
/// running count of change pixels in the window, so the work per pixel does not depend on r.
/// </para>
/// </remarks>
internal sealed class MorphologyFilter
{
    /// <summary>Largest radius accepted (pixels); far beyond any useful clean-up.</summary>
    public const int MaxRadius = 1024;

    private readonly bool[] _steps;   // true = dilation, false = erosion, in order

    /// <param name="operation">What to apply.</param>
    /// <param name="radius">Half-width of the square in pixels, 0 (identity) to <see cref="MaxRadius"/>.</param>
    public MorphologyFilter(MorphologyOperation operation, int radius)
    {
        if (!Enum.IsDefined(operation)) throw new ArgumentOutOfRangeException(nameof(operation), operation, "Unknown morphology operation.");
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(radius, MaxRadius);
        Operation = operation;
        Radius = radius;
        _steps = operation switch
        {
            MorphologyOperation.Open => [false, true],
            MorphologyOperation.Close => [true, false],
            _ => [false, true, true, false],
        };
    }

    public MorphologyOperation Operation { get; }

    /// <summary>Half-width of the square structuring element (pixels).</summary>
    public int Radius { get; }

    /// <summary>Context a tile needs on every side for an exact inner region (pixels): steps × radius.</summary>
    public int Halo => HaloFor(Operation, Radius);

    /// <summary>2r for <see cref="MorphologyOperation.Open"/> or <see cref="MorphologyOperation.Close"/>, 4r for <see cref="MorphologyOperation.OpenThenClose"/>.</summary>
    public static int HaloFor(MorphologyOperation operation, int radius) =>
        (operation == MorphologyOperation.OpenThenClose ? 4 : 2) * radius;

    /// <summary>
    /// Filters a buffer of <paramref name="width"/> × <paramref name="height"/> pixels (row-major),
    /// treating its edges as image edges. For a tile, pass the tile grown by <see cref="Halo"/>
    /// (clipped to the image) and keep the inner region.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> source, int width, int height, Span<byte> destination) =>
        Apply(source, width, height, destination, System.Numerics.Vector.IsHardwareAccelerated);

    /// <summary>
    /// As <see cref="Apply(ReadOnlySpan{byte}, int, int, Span{byte})"/>; <paramref name="vectors"/> false runs the scalar twin
    /// (running counts). With vectors and r ≤ <see cref="MaxVectorRadius"/>, each pass is the minimum (erosion) or maximum
    /// (dilation) of 2r + 1 shifted rows of 0/1 bytes, a vector at a time: the row pass over a copy padded with r neutral
    /// values (1 for an erosion, 0 for a dilation), which is the clipped window's result; the column pass over the rows
    /// inside the image. The same pixels as the counts, which the tests check.
    /// </summary>
    internal void Apply(ReadOnlySpan<byte> source, int width, int height, Span<byte> destination, bool vectors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        int n = checked(width * height);
        if (source.Length < n) throw new ArgumentException($"The mask holds {source.Length} pixels; {width} × {height} needs {n}.", nameof(source));
        if (destination.Length < n) throw new ArgumentException($"The result holds {destination.Length} pixels; {width} × {height} needs {n}.", nameof(destination));
        if (n == 0) return;

        byte[] a = ArrayPool<byte>.Shared.Rent(n);
        byte[] b = ArrayPool<byte>.Shared.Rent(n);
        // Column counts for the running-count passes; for the min/max passes, a padded row (as many bytes suffice).
        int[] columnCounts = ArrayPool<int>.Shared.Rent(width + 2 * Math.Min(Radius, MaxVectorRadius));
        try
        {
            var current = a.AsSpan(0, n);
            var scratch = b.AsSpan(0, n);
            ToBinary(source[..n], current, vectors);
            if (Radius > 0)
            {
                bool minMax = vectors && Radius <= MaxVectorRadius;
                foreach (bool dilate in _steps)
                {
                    if (minMax)
                    {
                        RowPassMinMax(current, scratch, width, height, Radius, dilate, columnCounts);
                        ColumnPassMinMax(scratch, current, width, height, Radius, dilate);
                        continue;
                    }
                    RowPass(current, scratch, width, height, Radius, dilate);
                    ColumnPass(scratch, current, width, height, Radius, dilate, columnCounts.AsSpan(0, width));
                }
            }
            RestoreNoData(source[..n], current, destination[..n], vectors);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(b);
            ArrayPool<int>.Shared.Return(columnCounts);
        }
    }

    /// <summary>1 where <paramref name="source"/> holds <see cref="Morphology.Change"/>, else 0 (nodata and any other value are background).</summary>
    internal static void ToBinary(ReadOnlySpan<byte> source, Span<byte> binary, bool vectors)
    {
        int i = 0;
        if (vectors)
        {
            var change = new System.Numerics.Vector<byte>(Morphology.Change);
            for (int step = System.Numerics.Vector<byte>.Count; i <= source.Length - step; i += step)
                (System.Numerics.Vector.Equals(new System.Numerics.Vector<byte>(source[i..]), change) & System.Numerics.Vector<byte>.One).CopyTo(binary[i..]);
        }
        for (; i < source.Length; i++) binary[i] = source[i] == Morphology.Change ? (byte)1 : (byte)0;
    }

    /// <summary>The filtered 0/1 <paramref name="binary"/>, with <see cref="Morphology.NoData"/> wherever <paramref name="source"/> holds it.</summary>
    private static void RestoreNoData(ReadOnlySpan<byte> source, ReadOnlySpan<byte> binary, Span<byte> destination, bool vectors)
    {
        int i = 0;
        if (vectors)
        {
            var noData = new System.Numerics.Vector<byte>(Morphology.NoData);
            for (int step = System.Numerics.Vector<byte>.Count; i <= source.Length - step; i += step)
                (new System.Numerics.Vector<byte>(binary[i..]) | System.Numerics.Vector.Equals(new System.Numerics.Vector<byte>(source[i..]), noData)).CopyTo(destination[i..]);
        }
        for (; i < source.Length; i++) destination[i] = source[i] == Morphology.NoData ? Morphology.NoData : binary[i];
    }

    /// <summary>
    /// Filters a whole mask tile by tile: each tile of <paramref name="tileSize"/> × <paramref name="tileSize"/>
    /// is read with a halo of <see cref="Halo"/> pixels, filtered, and its inner region written to
    /// <paramref name="result"/>. The result does not depend on <paramref name="tileSize"/>.
    /// </summary>
    public void ApplyTiled(ReadOnlySpan<byte> mask, int width, int height, int tileSize, Span<byte> result) =>
        ApplyTiled(mask, width, height, tileSize, Halo, result);

    /// <summary><see cref="ApplyTiled(ReadOnlySpan{byte}, int, int, int, Span{byte})"/> with a chosen halo (tests show a smaller one is wrong).</summary>
    internal void ApplyTiled(ReadOnlySpan<byte> mask, int width, int height, int tileSize, int halo, Span<byte> result)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        int n = checked(width * height);
        if (mask.Length < n || result.Length < n)
            throw new ArgumentException($"Mask ({mask.Length}) and result ({result.Length}) must hold {width} × {height} = {n} pixels.");

        var bounds = new PixelWindow(0, 0, width, height);
        // The largest window: a tile grown by the halo on both sides, clipped to the image.
        long side = (long)tileSize + 2L * halo;
        int bufferLength = checked((int)(Math.Min(side, width) * Math.Min(side, height)));
        byte[] input = ArrayPool<byte>.Shared.Rent(bufferLength);
        byte[] output = ArrayPool<byte>.Shared.Rent(bufferLength);
        try
        {
            for (int ty = 0; ty < height; ty += tileSize)
            {
                for (int tx = 0; tx < width; tx += tileSize)
                {
                    var tile = new PixelWindow(tx, ty, Math.Min(tileSize, width - tx), Math.Min(tileSize, height - ty));
                    var window = tile.Expand(halo, bounds);
                    var buffer = input.AsSpan(0, (int)window.PixelCount);
                    for (int y = 0; y < window.Height; y++)
                        mask.Slice((window.Y + y) * width + window.X, window.Width).CopyTo(buffer.Slice(y * window.Width, window.Width));

                    var filtered = output.AsSpan(0, buffer.Length);
                    Apply(buffer, window.Width, window.Height, filtered);

                    int dx = tile.X - window.X, dy = tile.Y - window.Y;
                    for (int y = 0; y < tile.Height; y++)
                        filtered.Slice((dy + y) * window.Width + dx, tile.Width).CopyTo(result.Slice((tile.Y + y) * width + tile.X, tile.Width));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    /// <summary>Each row: output 1 where the clipped window [x−r, x+r] holds any 1 (dilation) or only 1s (erosion).</summary>
    /// <summary>Largest radius whose passes take the minimum or maximum of 2r + 1 shifted rows (vectors); wider ones keep running counts.</summary>
    private const int MaxVectorRadius = 4;

    private static void RowPassMinMax(ReadOnlySpan<byte> source, Span<byte> destination, int width, int height, int r, bool dilate, int[] scratch)
    {
        var padded = System.Runtime.InteropServices.MemoryMarshal.AsBytes(scratch.AsSpan()).Slice(0, width + 2 * r);
        byte neutral = dilate ? (byte)0 : (byte)1;
        padded[..r].Fill(neutral);
        padded[(r + width)..].Fill(neutral);
        int taps = 2 * r + 1, step = System.Numerics.Vector<byte>.Count;
        for (int y = 0; y < height; y++)
        {
            source.Slice(y * width, width).CopyTo(padded[r..]);
            var outRow = destination.Slice(y * width, width);
            int x = 0;
            for (; x <= width - step; x += step)
            {
                var acc = new System.Numerics.Vector<byte>(padded[x..]);
                for (int d = 1; d < taps; d++)
                {
                    var next = new System.Numerics.Vector<byte>(padded[(x + d)..]);
                    acc = dilate ? System.Numerics.Vector.Max(acc, next) : System.Numerics.Vector.Min(acc, next);
                }
                acc.CopyTo(outRow[x..]);
            }
            for (; x < width; x++)
            {
                byte acc = padded[x];
                for (int d = 1; d < taps; d++) acc = dilate ? Math.Max(acc, padded[x + d]) : Math.Min(acc, padded[x + d]);
                outRow[x] = acc;
            }
        }
    }

    private static void ColumnPassMinMax(ReadOnlySpan<byte> source, Span<byte> destination, int width, int height, int r, bool dilate)
    {
        int step = System.Numerics.Vector<byte>.Count;
        for (int y = 0; y < height; y++)
        {
            int y0 = Math.Max(0, y - r), y1 = Math.Min(height - 1, y + r);
            var outRow = destination.Slice(y * width, width);
            source.Slice(y0 * width, width).CopyTo(outRow);
            for (int yy = y0 + 1; yy <= y1; yy++)
            {
                var row = source.Slice(yy * width, width);
                int x = 0;
                for (; x <= width - step; x += step)
                {
                    var a = new System.Numerics.Vector<byte>(outRow[x..]);
                    var b = new System.Numerics.Vector<byte>(row[x..]);
                    (dilate ? System.Numerics.Vector.Max(a, b) : System.Numerics.Vector.Min(a, b)).CopyTo(outRow[x..]);
                }
                for (; x < width; x++) outRow[x] = dilate ? Math.Max(outRow[x], row[x]) : Math.Min(outRow[x], row[x]);
            }
        }
    }

    private static void RowPass(ReadOnlySpan<byte> source, Span<byte> destination, int width, int height, int r, bool dilate)
    {
        for (int y = 0; y < height; y++)
        {
            var row = source.Slice(y * width, width);
            var outRow = destination.Slice(y * width, width);
            int count = 0;
            for (int x = 0; x <= Math.Min(r, width - 1); x++) count += row[x];
            for (int x = 0; x < width; x++)
            {
                int length = Math.Min(width - 1, x + r) - Math.Max(0, x - r) + 1;
                outRow[x] = dilate ? (count > 0 ? (byte)1 : (byte)0) : (count == length ? (byte)1 : (byte)0);
                if (x + r + 1 < width) count += row[x + r + 1];
                if (x - r >= 0) count -= row[x - r];
            }
        }
    }

    /// <summary>The same along columns, sliding a per-column count down the rows (row-major friendly).</summary>
    private static void ColumnPass(ReadOnlySpan<byte> source, Span<byte> destination, int width, int height, int r, bool dilate, Span<int> counts)
    {
        counts.Clear();
        for (int y = 0; y <= Math.Min(r, height - 1); y++)
        {
            var row = source.Slice(y * width, width);
            for (int x = 0; x < width; x++) counts[x] += row[x];
        }
        for (int y = 0; y < height; y++)
        {
            int length = Math.Min(height - 1, y + r) - Math.Max(0, y - r) + 1;
            var outRow = destination.Slice(y * width, width);
            for (int x = 0; x < width; x++)
                outRow[x] = dilate ? (counts[x] > 0 ? (byte)1 : (byte)0) : (counts[x] == length ? (byte)1 : (byte)0);
            if (y + r + 1 < height)
            {
                var add = source.Slice((y + r + 1) * width, width);
                for (int x = 0; x < width; x++) counts[x] += add[x];
            }
            if (y - r >= 0)
            {
                var remove = source.Slice((y - r) * width, width);
                for (int x = 0; x < width; x++) counts[x] -= remove[x];
            }
        }
    }
}
