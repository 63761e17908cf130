using System.Numerics;
using ChangeDetection.Kernels;
using ChangeDetection.Raster;

namespace ChangeDetection.Detection;

/// <summary>
/// Which pixels of a tile's core the histogram pass keeps with their imagery (<see cref="TileScoreStore"/>'s kept form): every
/// pixel within <c>reach</c> pixels (Chebyshev distance, pixels) of a pixel that could be change — valid, not vegetated on both
/// dates, score above the model's floor — and every pixel within <c>reach</c> of the core's edge, which a candidate of the
/// neighbouring core may reach (its score is only exact in its own tile).
/// </summary>
/// <remarks>
/// Why this is enough, for any threshold at or above the floor: the thresholded pixels are candidates; the opening never
/// grows them and the closings grow them by their radii (<see cref="ChangeDetector.KeptReach"/> − 1), so every pixel of the
/// final mask lies within that of a candidate, and the patch features read the pixels one further. A pixel not kept is
/// valid-or-not background in every such mask; the mask pass reads its validity only.
/// </remarks>
internal static class KeptRegion
{
    /// <summary>
    /// Marks the kept pixels of the core <paramref name="core"/> (in the read window's coordinates, planes
    /// <paramref name="readWidth"/> wide) as 1 in <paramref name="kept"/> (core-sized, row-major; others 0) and returns their
    /// number. <paramref name="scratch"/> holds at least a core's worth of bytes.
    /// </summary>
    public static int Mark(ReadOnlySpan<float> scores, ReadOnlySpan<byte> flags, int readWidth, PixelWindow core, float floor, int reach,
        Span<byte> kept, Span<byte> scratch)
    {
        int w = core.Width, h = core.Height, n = w * h;
        if (kept.Length < n || scratch.Length < n) throw new ArgumentException($"A {w}×{h} core needs {n} bytes of kept and scratch planes.");
        ArgumentOutOfRangeException.ThrowIfNegative(reach);
        var seeds = scratch[..n];
        for (int r = 0; r < h; r++)
        {
            int from = (core.Y + r) * readWidth + core.X;
            var row = seeds.Slice(r * w, w);
            MaskKernels.Threshold(scores.Slice(from, w), flags.Slice(from, w), floor, TileScoreStore.Valid, TileScoreStore.Vegetated, row);
            // Change 1, background and nodata 0: the morphology's own binary plane.
            MorphologyFilter.ToBinary(row, row, Vector.IsHardwareAccelerated);
        }
        // Square dilation, separable: along rows into kept, then along columns back into the seeds' plane.
        byte[] padded = new byte[w + 2 * reach];
        for (int r = 0; r < h; r++)
        {
            seeds.Slice(r * w, w).CopyTo(padded.AsSpan(reach));
            var into = kept.Slice(r * w, w);
            into.Clear();
            for (int k = 0; k <= 2 * reach; k++) Or(padded.AsSpan(k, w), into);
        }
        for (int r = 0; r < h; r++)
        {
            var into = seeds.Slice(r * w, w);
            into.Clear();
            for (int k = Math.Max(0, r - reach); k <= Math.Min(h - 1, r + reach); k++) Or(kept.Slice(k * w, w), into);
        }
        seeds.CopyTo(kept);
        int band = Math.Min(reach, Math.Max(w, h));
        for (int r = 0; r < h; r++)
        {
            var row = kept.Slice(r * w, w);
            if (r < band || r >= h - band) row.Fill(1);
            else
            {
                row[..Math.Min(band, w)].Fill(1);
                row[Math.Max(0, w - band)..].Fill(1);
            }
        }
        return kept[..n].Count((byte)1);
    }

    private static void Or(ReadOnlySpan<byte> from, Span<byte> into)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= into.Length - Vector<byte>.Count; i += Vector<byte>.Count)
                (new Vector<byte>(into[i..]) | new Vector<byte>(from[i..])).CopyTo(into[i..]);
        for (; i < into.Length; i++) into[i] |= from[i];
    }
}
