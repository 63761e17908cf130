using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ChangeDetection.Kernels;

/// <summary>
/// Mean of each band over a (2r+1) × (2r+1) square, counting only valid pixels, in place on a
/// band-sequential uint16 window. Applied to both dates before differencing, it absorbs
/// sub-pixel misregistration and sensor noise, the main sources of false change at edges.
/// </summary>
/// <remarks>
/// <para>
/// The square's sum and valid count are exact integers (a square holds at most (2·16 + 1)² = 1 089 values below 2¹⁶, so
/// every sum stays below 2²⁷), and each valid pixel becomes round(sum / count), to even as <see cref="Math.Round(double)"/>
/// rounds the double quotient: the result does not depend on the path. Invalid pixels keep their value and count for
/// nothing. Squares are clipped to the window, so a window read with a halo of r around its core gives the core exactly
/// the values a whole-image pass would.
/// </para>
/// <para>
/// <see cref="Scalar"/> is the reference twin: separable passes over whole planes (masked row sums, then a sliding column
/// pass), the division in double. The vector path (<see cref="Rows"/>) gives the same bytes in one sweep down the window,
/// every plane of both dates at each step, so that its working rows stay in the first-level cache: for each row entering
/// the square, the masked row goes into a ring of the last 2r + 1 masked rows and the running column sums take it in and
/// let the row leaving the square (the ring slot it overwrites) go; the row at the square's centre then gets its row sums
/// of the column sums (2r + 1 shifted loads) and its means. The valid counts are one more plane (of ones), computed once a
/// row for every plane of both dates; the division is a float reciprocal of the count, per row, with an exact integer
/// correction (<see cref="RoundedQuotient"/>) instead of a double division per pixel and plane.
/// </para>
/// </remarks>
internal static class BoxMean
{
    /// <summary>Largest radius whose row sums add shifted vectors (2r + 1 loads); wider squares take a running sum.</summary>
    private const int MaxVectorRowRadius = 4;

    /// <summary>Largest radius the sums are sized for (the options allow up to 16): (2·16 + 1)² · 65 535 &lt; 2²⁷.</summary>
    internal const int MaxRadius = 16;

    /// <summary>Smooths the <paramref name="bandCount"/> planes of <paramref name="bands"/> (each width × height, row-major) where <paramref name="valid"/> ≠ 0.</summary>
    public static void Apply(Span<ushort> bands, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius) =>
        Apply(bands, bandCount, width, height, valid, radius, Vector.IsHardwareAccelerated);

    /// <summary>As the public overload; <paramref name="vectors"/> false runs the scalar twin.</summary>
    internal static void Apply(Span<ushort> bands, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius, bool vectors)
    {
        if (!Check(bands, bandCount, width, height, valid, radius)) return;
        if (vectors) Rows(bands, bands, bandCount, [], [], 0, width, height, valid, radius, [], null);
        else Scalar(bands, bandCount, width, height, valid, radius);
    }

    /// <summary>
    /// Smooths both dates of a tile (each <paramref name="bandCount"/> planes) with the one validity plane they share: the
    /// same bytes as two calls of the one-date overload, with the valid counts computed once for both.
    /// </summary>
    public static void Apply(Span<ushort> before, Span<ushort> after, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius) =>
        Apply(before, after, bandCount, width, height, valid, radius, Vector.IsHardwareAccelerated);

    /// <summary>As the public two-date overload; <paramref name="vectors"/> false runs the scalar twin on each date.</summary>
    internal static void Apply(Span<ushort> before, Span<ushort> after, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius, bool vectors)
    {
        if (!Check(before, bandCount, width, height, valid, radius) || !Check(after, bandCount, width, height, valid, radius)) return;
        if (vectors) Rows(before, before, bandCount, after, after, bandCount, width, height, valid, radius, [], null);
        else
        {
            Scalar(before, bandCount, width, height, valid, radius);
            Scalar(after, bandCount, width, height, valid, radius);
        }
    }

    /// <summary>A smoothed row of both dates: each <c>bandCount × width</c> samples, band after band (band stride the width).</summary>
    internal delegate void SmoothedRow(int y, ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after);

    /// <summary>
    /// Hands each row y of both dates, smoothed as the two-date <see cref="Apply(Span{ushort}, Span{ushort}, int, int, int, ReadOnlySpan{byte}, int)"/>
    /// smooths it, to <paramref name="row"/>, top to bottom, and leaves <paramref name="before"/> and <paramref name="after"/>
    /// as they are: the histogram pass scores each row while its means are in the first-level cache, and keeps the
    /// delivered numbers without a copy of them or planes of means (two 8.5 MB planes a 1 032² tile of 4 bands, written and
    /// read again). The spans handed over are valid during the call only.
    /// </summary>
    internal static void Sweep(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int bandCount, int width, int height, ReadOnlySpan<byte> valid,
        int radius, SmoothedRow row) => Sweep(before, after, bandCount, width, height, valid, radius, row, Vector.IsHardwareAccelerated);

    /// <summary>As the public overload; <paramref name="vectors"/> false runs the scalar twin on copies of the planes.</summary>
    internal static void Sweep(ReadOnlySpan<ushort> before, ReadOnlySpan<ushort> after, int bandCount, int width, int height, ReadOnlySpan<byte> valid,
        int radius, SmoothedRow row, bool vectors)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(radius, MaxRadius);
        if (width <= 0 || height <= 0 || bandCount <= 0) return;
        int n = width * height, samples = n * bandCount;
        if (before.Length < samples || after.Length < samples || valid.Length < n)
            throw new ArgumentException($"A {width}×{height} window of {bandCount} band(s) needs {n} validity bytes and {samples} samples of each date.");
        ushort[] rows = ArrayPool<ushort>.Shared.Rent(2 * bandCount * width);
        try
        {
            var both = rows.AsSpan(0, 2 * bandCount * width);
            if (radius > 0 && vectors)
            {
                Rows(before, [], bandCount, after, [], bandCount, width, height, valid, radius, both, row);
                return;
            }
            // The reference: whole planes smoothed (or not, radius 0) on copies, then handed over row by row.
            ushort[] b = ArrayPool<ushort>.Shared.Rent(samples), a = ArrayPool<ushort>.Shared.Rent(samples);
            try
            {
                before[..samples].CopyTo(b);
                after[..samples].CopyTo(a);
                Apply(b.AsSpan(0, samples), a.AsSpan(0, samples), bandCount, width, height, valid, radius, vectors);
                for (int y = 0; y < height; y++)
                {
                    for (int k = 0; k < bandCount; k++)
                    {
                        b.AsSpan(k * n + y * width, width).CopyTo(both.Slice(k * width, width));
                        a.AsSpan(k * n + y * width, width).CopyTo(both.Slice((bandCount + k) * width, width));
                    }
                    row(y, both[..(bandCount * width)], both[(bandCount * width)..]);
                }
            }
            finally
            {
                ArrayPool<ushort>.Shared.Return(b);
                ArrayPool<ushort>.Shared.Return(a);
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(rows);
        }
    }

    /// <summary>False when there is nothing to do (radius 0, an empty window); throws on planes or a radius the sums cannot hold.</summary>
    private static bool Check(Span<ushort> bands, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(radius, MaxRadius);
        if (radius <= 0 || width <= 0 || height <= 0 || bandCount <= 0) return false;
        int n = width * height;
        if (valid.Length < n || bands.Length < (long)n * bandCount)
            throw new ArgumentException($"A {width}×{height} window of {bandCount} band(s) needs {n} validity bytes and {(long)n * bandCount} samples; got {valid.Length} and {bands.Length}.");
        return true;
    }

    // ------------------------------------------------------------------------------------------------------------------
    // The scalar twin: the reference the vector path is compared with.

    /// <summary>
    /// Separable sums on exact integers over whole planes: the masked values' row sums (a running sum over a row padded
    /// with r zeros), the counts' likewise, then a column pass sliding down the rows that turns each finished row into means.
    /// </summary>
    private static void Scalar(Span<ushort> bands, int bandCount, int width, int height, ReadOnlySpan<byte> valid, int radius)
    {
        int n = width * height;
        int[] counts = ArrayPool<int>.Shared.Rent(n);
        int[] horizontal = ArrayPool<int>.Shared.Rent(n);
        int[] padded = ArrayPool<int>.Shared.Rent(width + 2 * radius);
        int[] column = ArrayPool<int>.Shared.Rent(width);
        var pad = padded.AsSpan(0, width + 2 * radius);
        pad.Clear();
        try
        {
            // Valid counts do not depend on the band: one row and column pass for all bands.
            for (int y = 0; y < height; y++)
            {
                var v = valid.Slice(y * width, width);
                for (int x = 0; x < width; x++) pad[radius + x] = v[x] != 0 ? 1 : 0;
                ScalarRowSums(pad, radius, horizontal.AsSpan(y * width, width));
            }
            ScalarColumns(horizontal.AsSpan(0, n), width, height, radius, column.AsSpan(0, width), (y, sums) => sums.CopyTo(counts.AsSpan(y * width, width)));
            // A zero count marks a pixel that keeps its value (invalid pixels are not smoothed; a valid one counts itself).
            for (int i = 0; i < n; i++)
                if (valid[i] == 0) counts[i] = 0;

            for (int b = 0; b < bandCount; b++)
            {
                var band = bands.Slice(b * n, n);
                for (int y = 0; y < height; y++)
                {
                    var row = band.Slice(y * width, width);
                    var v = valid.Slice(y * width, width);
                    for (int x = 0; x < width; x++) pad[radius + x] = v[x] != 0 ? row[x] : 0;
                    ScalarRowSums(pad, radius, horizontal.AsSpan(y * width, width));
                }
                ScalarColumnMeans(horizontal.AsSpan(0, n), counts.AsSpan(0, n), band, width, height, radius, column.AsSpan(0, width));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<int>.Shared.Return(horizontal);
            ArrayPool<int>.Shared.Return(padded);
            ArrayPool<int>.Shared.Return(column);
        }
    }

    /// <summary><paramref name="result"/>[x] = the sum of <paramref name="padded"/>[x .. x + 2r] (a running sum).</summary>
    private static void ScalarRowSums(ReadOnlySpan<int> padded, int radius, Span<int> result)
    {
        int taps = 2 * radius + 1, running = 0;
        for (int d = 0; d < taps - 1; d++) running += padded[d];
        for (int x = 0; x < result.Length; x++)
        {
            running += padded[x + taps - 1];
            result[x] = running;
            running -= padded[x];
        }
    }

    private delegate void FinishedRow(int y, ReadOnlySpan<int> sums);

    /// <summary>Column pass: hands each row y the sum of rows [y − r, y + r] of <paramref name="source"/>, clipped.</summary>
    private static void ScalarColumns(ReadOnlySpan<int> source, int width, int height, int radius, Span<int> acc, FinishedRow finished)
    {
        acc.Clear();
        for (int y = 0; y < Math.Min(radius, height); y++) ScalarAdd(acc, source.Slice(y * width, width), 1);
        for (int y = 0; y < height; y++)
        {
            int add = y + radius, sub = y - radius - 1;
            if (add < height) ScalarAdd(acc, source.Slice(add * width, width), 1);
            if (sub >= 0) ScalarAdd(acc, source.Slice(sub * width, width), -1);
            finished(y, acc);
        }
    }

    /// <summary>
    /// Column pass that ends in the means: once the sums of row y are complete, each pixel of the row with a non-zero
    /// count becomes round(sum / count) (to even, as <see cref="Math.Round(double)"/>); a zero count leaves it as it is.
    /// </summary>
    private static void ScalarColumnMeans(ReadOnlySpan<int> source, ReadOnlySpan<int> counts, Span<ushort> band, int width, int height, int radius, Span<int> acc)
    {
        acc.Clear();
        for (int y = 0; y < Math.Min(radius, height); y++) ScalarAdd(acc, source.Slice(y * width, width), 1);
        for (int y = 0; y < height; y++)
        {
            int add = y + radius, sub = y - radius - 1;
            if (add < height) ScalarAdd(acc, source.Slice(add * width, width), 1);
            if (sub >= 0) ScalarAdd(acc, source.Slice(sub * width, width), -1);
            var row = band.Slice(y * width, width);
            var c = counts.Slice(y * width, width);
            for (int x = 0; x < width; x++)
                if (c[x] != 0)
                    row[x] = (ushort)Math.Min(65535, Math.Round((double)acc[x] / c[x]));
        }
    }

    private static void ScalarAdd(Span<int> acc, ReadOnlySpan<int> row, int sign)
    {
        for (int x = 0; x < acc.Length; x++) acc[x] += sign * row[x];
    }

    // ------------------------------------------------------------------------------------------------------------------
    // The vector path: one sweep down the window, every plane at each step.

    /// <summary>
    /// Smooths the <paramref name="firstBands"/> planes of <paramref name="first"/> and the <paramref name="secondBands"/>
    /// of <paramref name="second"/> (each width × height) in one sweep: at step s, row s enters every plane's square and
    /// row s − r, whose square is then complete, gets its means. Row s − r is written after row s was read, and rows are
    /// read only as they enter, so the planes are smoothed in place when <paramref name="firstOut"/> and <paramref name="secondOut"/>
    /// are <paramref name="first"/> and <paramref name="second"/>; else the means go there and the inputs stay as they are.
    /// With a <paramref name="sink"/>, the means of row y go into <paramref name="rowOut"/> instead (every plane's row, the
    /// first date's planes first), which is handed to the sink; the output planes are not written.
    /// </summary>
    private static void Rows(ReadOnlySpan<ushort> first, Span<ushort> firstOut, int firstBands, ReadOnlySpan<ushort> second, Span<ushort> secondOut,
        int secondBands, int width, int height, ReadOnlySpan<byte> valid, int radius, Span<ushort> rowOut, SmoothedRow? sink)
    {
        int n = width * height, planes = firstBands + secondBands, window = 2 * radius + 1, padded = width + 2 * radius;
        // Plane index `planes` is the counts' plane: ones where valid. Per plane: a ring of the last 2r + 1 masked rows
        // (uint16, as read) and the column sums of the rows in the square, padded with r zeros on either side (never
        // written) so that the row sums read the clipped square without a branch.
        int planeRing = window * width;
        ushort[] rings = ArrayPool<ushort>.Shared.Rent((planes + 1) * planeRing);
        int[] columns = ArrayPool<int>.Shared.Rent((planes + 1) * padded);
        ushort[] rows = ArrayPool<ushort>.Shared.Rent(2 * width);
        int[] counts = ArrayPool<int>.Shared.Rent(2 * width);
        float[] reciprocals = ArrayPool<float>.Shared.Rent(width);
        try
        {
            rings.AsSpan(0, (planes + 1) * planeRing).Clear();
            columns.AsSpan(0, (planes + 1) * padded).Clear();
            var ones = rows.AsSpan(0, width);
            var mask = rows.AsSpan(width, width);
            ones.Fill(1);
            var count = counts.AsSpan(0, width);
            // Row sums of the wide squares (r > MaxVectorRowRadius), a row at a time.
            var wide = counts.AsSpan(width, width);
            var reciprocal = reciprocals.AsSpan(0, width);
            for (int step = 0; step < height + radius; step++)
            {
                int slot = step % window, y = step - radius;
                bool entering = step < height;
                // Past the last row, a zero row enters: the square is clipped at the bottom.
                if (entering) MaskOf(valid.Slice(step * width, width), mask);
                else mask.Clear();
                Enter(ones, mask, rings.AsSpan(planes * planeRing + slot * width, width), columns.AsSpan(planes * padded, padded), radius);
                for (int p = 0; p < planes; p++)
                {
                    var row = entering ? PlaneRow(first, firstBands, second, p, n, step, width) : (ReadOnlySpan<ushort>)ones;
                    Enter(row, mask, rings.AsSpan(p * planeRing + slot * width, width), columns.AsSpan(p * padded, padded), radius);
                }
                if (y < 0) continue;

                // Row y's counts, zero where row y is invalid (its ring slot holds 1 where valid), and 1 / (2 · count).
                Counts(columns.AsSpan(planes * padded, padded), radius, rings.AsSpan(planes * planeRing + y % window * width, width), count, reciprocal);
                for (int p = 0; p < planes; p++)
                {
                    var sums = columns.AsSpan(p * padded, padded);
                    var source = PlaneRow(first, firstBands, second, p, n, y, width);
                    var row = sink is null ? PlaneRow(firstOut, firstBands, secondOut, p, n, y, width) : rowOut.Slice(p * width, width);
                    if (radius <= MaxVectorRowRadius) Means(sums, 2 * radius + 1, count, reciprocal, source, row);
                    else
                    {
                        ScalarRowSums(sums, radius, wide);
                        Means(wide, 1, count, reciprocal, source, row);
                    }
                }
                sink?.Invoke(y, rowOut[..(firstBands * width)], rowOut.Slice(firstBands * width, secondBands * width));
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(rings);
            ArrayPool<int>.Shared.Return(columns);
            ArrayPool<ushort>.Shared.Return(rows);
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<float>.Shared.Return(reciprocals);
        }
    }

    /// <summary>Row <paramref name="y"/> of plane <paramref name="p"/>: the first date's planes, then the second's.</summary>
    private static ReadOnlySpan<ushort> PlaneRow(ReadOnlySpan<ushort> first, int firstBands, ReadOnlySpan<ushort> second, int p, int n, int y, int width) =>
        p < firstBands ? first.Slice(p * n + y * width, width) : second.Slice((p - firstBands) * n + y * width, width);

    /// <summary>As above, of the output planes.</summary>
    private static Span<ushort> PlaneRow(Span<ushort> first, int firstBands, Span<ushort> second, int p, int n, int y, int width) =>
        p < firstBands ? first.Slice(p * n + y * width, width) : second.Slice((p - firstBands) * n + y * width, width);

    // The loops below run once per row (and plane): each is its own method, not inlined into Rows, so that its few
    // vectors stay in registers; they read through refs with the lengths checked once, at the top, instead of a slice
    // and a bounds check per vector.

    /// <summary><paramref name="mask"/>[x] = 0xFFFF where <paramref name="valid"/>[x] ≠ 0, else 0: what a row is ANDed with.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MaskOf(ReadOnlySpan<byte> valid, Span<ushort> mask)
    {
        int width = valid.Length, x = 0, u = Vector<ushort>.Count;
        if (mask.Length < width) throw new ArgumentException("The mask row is shorter than the validity row.", nameof(mask));
        ref byte v0 = ref MemoryMarshal.GetReference(valid);
        ref ushort m0 = ref MemoryMarshal.GetReference(mask);
        for (; x <= width - Vector<byte>.Count; x += Vector<byte>.Count)
        {
            // A vector of validity bytes covers two vectors of uint16.
            Vector.Widen(Vector.LoadUnsafe(ref v0, (nuint)x), out Vector<ushort> lo, out Vector<ushort> hi);
            (~Vector.Equals(lo, Vector<ushort>.Zero)).StoreUnsafe(ref m0, (nuint)x);
            (~Vector.Equals(hi, Vector<ushort>.Zero)).StoreUnsafe(ref m0, (nuint)(x + u));
        }
        for (; x < width; x++) mask[x] = valid[x] != 0 ? ushort.MaxValue : (ushort)0;
    }

    /// <summary>
    /// A row enters the square: its masked values replace the ring slot's (the row leaving the square), and the column
    /// sums (from index <paramref name="radius"/> of <paramref name="columns"/>) gain the one and lose the other.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Enter(ReadOnlySpan<ushort> row, ReadOnlySpan<ushort> mask, Span<ushort> slot, Span<int> columns, int radius)
    {
        int width = slot.Length, x = 0, i32 = Vector<int>.Count;
        var sums = columns.Slice(radius, width);
        if (row.Length < width || mask.Length < width) throw new ArgumentException("A row is shorter than the ring's.", nameof(row));
        ref ushort r0 = ref MemoryMarshal.GetReference(row);
        ref ushort m0 = ref MemoryMarshal.GetReference(mask);
        ref ushort s0 = ref MemoryMarshal.GetReference(slot);
        ref int c0 = ref MemoryMarshal.GetReference(sums);
        // As in Means: Vector<T> stays 256 bits on AVX-512 machines; the wider step halves the loop's instructions.
        if (Vector512.IsHardwareAccelerated) x = Enter512(ref r0, ref m0, ref s0, ref c0, width);
        for (; x <= width - Vector<ushort>.Count; x += Vector<ushort>.Count)
        {
            nuint at = (nuint)x, next = (nuint)(x + i32);
            var entering = Vector.LoadUnsafe(ref r0, at) & Vector.LoadUnsafe(ref m0, at);
            var leaving = Vector.LoadUnsafe(ref s0, at);
            entering.StoreUnsafe(ref s0, at);
            Vector.Widen(entering, out Vector<uint> e0, out Vector<uint> e1);
            Vector.Widen(leaving, out Vector<uint> l0, out Vector<uint> l1);
            (Vector.LoadUnsafe(ref c0, at) + (Vector.AsVectorInt32(e0) - Vector.AsVectorInt32(l0))).StoreUnsafe(ref c0, at);
            (Vector.LoadUnsafe(ref c0, next) + (Vector.AsVectorInt32(e1) - Vector.AsVectorInt32(l1))).StoreUnsafe(ref c0, next);
        }
        for (; x < width; x++)
        {
            ushort entering = (ushort)(row[x] & mask[x]);
            sums[x] += entering - slot[x];
            slot[x] = entering;
        }
    }

    /// <summary>
    /// <see cref="Enter"/>'s vector loop on <see cref="Vector512{T}"/> (32 pixels a step, the same operations lane for lane);
    /// returns the first pixel left.
    /// </summary>
    private static int Enter512(ref ushort r0, ref ushort m0, ref ushort s0, ref int c0, int width)
    {
        int x = 0, i32 = Vector512<int>.Count;
        for (; x <= width - Vector512<ushort>.Count; x += Vector512<ushort>.Count)
        {
            nuint at = (nuint)x, next = (nuint)(x + i32);
            var entering = Vector512.LoadUnsafe(ref r0, at) & Vector512.LoadUnsafe(ref m0, at);
            var leaving = Vector512.LoadUnsafe(ref s0, at);
            entering.StoreUnsafe(ref s0, at);
            var (e0, e1) = Vector512.Widen(entering);
            var (l0, l1) = Vector512.Widen(leaving);
            (Vector512.LoadUnsafe(ref c0, at) + (e0.AsInt32() - l0.AsInt32())).StoreUnsafe(ref c0, at);
            (Vector512.LoadUnsafe(ref c0, next) + (e1.AsInt32() - l1.AsInt32())).StoreUnsafe(ref c0, next);
        }
        return x;
    }

    /// <summary>
    /// The valid counts of a row (row sums of the counts' column sums), zero where the row's own pixel is invalid
    /// (<paramref name="self"/>: 1 where valid), and 1 / (2 · count) as a float (0 where the count is 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Counts(ReadOnlySpan<int> columns, int radius, ReadOnlySpan<ushort> self, Span<int> count, Span<float> reciprocal)
    {
        int width = count.Length, taps = 2 * radius + 1, x = 0;
        if (columns.Length < width + 2 * radius || self.Length < width || reciprocal.Length < width)
            throw new ArgumentException("A row is shorter than the counts'.", nameof(columns));
        ref int p0 = ref MemoryMarshal.GetReference(columns);
        ref int n0 = ref MemoryMarshal.GetReference(count);
        if (radius <= MaxVectorRowRadius)
            for (; x <= width - Vector<int>.Count; x += Vector<int>.Count)
                RowSum(ref p0, (nuint)x, taps).StoreUnsafe(ref n0, (nuint)x);
        else
        {
            ScalarRowSums(columns, radius, count);
            x = width;
        }
        for (; x < width; x++)
        {
            int sum = 0;
            for (int d = 0; d < taps; d++) sum += columns[x + d];
            count[x] = sum;
        }

        x = 0;
        int u = Vector<ushort>.Count, i32 = Vector<int>.Count;
        ref ushort s0 = ref MemoryMarshal.GetReference(self);
        ref float f0 = ref MemoryMarshal.GetReference(reciprocal);
        var one = Vector<float>.One;
        for (; x <= width - u; x += u)
        {
            nuint at = (nuint)x, next = (nuint)(x + i32);
            Vector.Widen(Vector.LoadUnsafe(ref s0, at), out Vector<uint> own0, out Vector<uint> own1);
            var c0 = Vector.LoadUnsafe(ref n0, at) * Vector.AsVectorInt32(own0);
            var c1 = Vector.LoadUnsafe(ref n0, next) * Vector.AsVectorInt32(own1);
            c0.StoreUnsafe(ref n0, at);
            c1.StoreUnsafe(ref n0, next);
            // 1 / 0 is infinity: those lanes (invalid pixels) keep their value, and a zero keeps the quotient finite.
            Vector.ConditionalSelect(Vector.Equals(c0, Vector<int>.Zero), Vector<float>.Zero, one / Vector.ConvertToSingle(c0 + c0)).StoreUnsafe(ref f0, at);
            Vector.ConditionalSelect(Vector.Equals(c1, Vector<int>.Zero), Vector<float>.Zero, one / Vector.ConvertToSingle(c1 + c1)).StoreUnsafe(ref f0, next);
        }
        for (; x < width; x++)
        {
            count[x] *= self[x];
            reciprocal[x] = count[x] == 0 ? 0f : 1f / (2 * count[x]);
        }
    }

    /// <summary>
    /// The sum of <paramref name="taps"/> (1, 3, 5, 7 or 9) vectors from <paramref name="p"/> + <paramref name="x"/>, each
    /// one further on: the loads written out, as the JIT does not unroll a loop of a run-time count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> RowSum(ref int p, nuint x, int taps)
    {
        var acc = Vector.LoadUnsafe(ref p, x);
        if (taps == 1) return acc;
        acc += Vector.LoadUnsafe(ref p, x + 1) + Vector.LoadUnsafe(ref p, x + 2);
        if (taps == 3) return acc;
        acc += Vector.LoadUnsafe(ref p, x + 3) + Vector.LoadUnsafe(ref p, x + 4);
        if (taps == 5) return acc;
        acc += Vector.LoadUnsafe(ref p, x + 5) + Vector.LoadUnsafe(ref p, x + 6);
        if (taps == 7) return acc;
        return acc + Vector.LoadUnsafe(ref p, x + 7) + Vector.LoadUnsafe(ref p, x + 8);
    }

    /// <summary>
    /// The means of a row: <paramref name="row"/>[x] = round(sum / count) where the count is non-zero, the sum being that of
    /// <paramref name="taps"/> entries of <paramref name="padded"/> from x (the column sums padded by r: the square's sum;
    /// or, with one tap, the row sums themselves), else <paramref name="source"/>[x] (the row as read; the same row when in place).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Means(ReadOnlySpan<int> padded, int taps, ReadOnlySpan<int> count, ReadOnlySpan<float> reciprocal, ReadOnlySpan<ushort> source, Span<ushort> row)
    {
        int width = row.Length, x = 0, i32 = Vector<int>.Count;
        if (taps > 2 * MaxVectorRowRadius + 1 || padded.Length < width + taps - 1 || count.Length < width || reciprocal.Length < width || source.Length < width)
            throw new ArgumentException("A row is shorter than the means'.", nameof(padded));
        ref int p0 = ref MemoryMarshal.GetReference(padded);
        ref int n0 = ref MemoryMarshal.GetReference(count);
        ref float f0 = ref MemoryMarshal.GetReference(reciprocal);
        ref ushort s0 = ref MemoryMarshal.GetReference(source);
        ref ushort r0 = ref MemoryMarshal.GetReference(row);
        // The widest step the hardware has: Vector<T> stays 256 bits on AVX-512 machines, and this loop is compute-bound.
        if (Vector512.IsHardwareAccelerated) x = Means512(ref p0, taps, ref n0, ref f0, ref s0, ref r0, width);
        for (; x <= width - Vector<ushort>.Count; x += Vector<ushort>.Count)
        {
            nuint at = (nuint)x, next = (nuint)(x + i32);
            var c0 = Vector.LoadUnsafe(ref n0, at);
            var c1 = Vector.LoadUnsafe(ref n0, next);
            var q0 = RoundedQuotient(RowSum(ref p0, at, taps), c0, Vector.LoadUnsafe(ref f0, at));
            var q1 = RoundedQuotient(RowSum(ref p0, next, taps), c1, Vector.LoadUnsafe(ref f0, next));
            // Means of uint16 values are at most 65 535: the narrowing keeps them whole. Invalid pixels (count 0) keep theirs.
            var means = Vector.Narrow(Vector.AsVectorUInt32(q0), Vector.AsVectorUInt32(q1));
            var keep = Vector.Narrow(Vector.AsVectorUInt32(Vector.Equals(c0, Vector<int>.Zero)), Vector.AsVectorUInt32(Vector.Equals(c1, Vector<int>.Zero)));
            Vector.ConditionalSelect(keep, Vector.LoadUnsafe(ref s0, at), means).StoreUnsafe(ref r0, at);
        }
        for (; x < width; x++)
        {
            if (count[x] == 0)
            {
                row[x] = source[x];
                continue;
            }
            int sum = 0;
            for (int d = 0; d < taps; d++) sum += padded[x + d];
            row[x] = (ushort)Math.Round((double)sum / count[x]);
        }
    }

    /// <summary>
    /// <see cref="Means"/>' vector loop on <see cref="Vector512{T}"/> (32 pixels a step; the same operations as
    /// <see cref="RowSum"/> and <see cref="RoundedQuotient"/>, lane for lane); returns the first pixel left.
    /// </summary>
    private static int Means512(ref int p0, int taps, ref int n0, ref float f0, ref ushort s0, ref ushort r0, int width)
    {
        int x = 0, i32 = Vector512<int>.Count;
        for (; x <= width - Vector512<ushort>.Count; x += Vector512<ushort>.Count)
        {
            nuint at = (nuint)x, next = (nuint)(x + i32);
            var c0 = Vector512.LoadUnsafe(ref n0, at);
            var c1 = Vector512.LoadUnsafe(ref n0, next);
            var q0 = RoundedQuotient512(RowSum512(ref p0, at, taps), c0, Vector512.LoadUnsafe(ref f0, at));
            var q1 = RoundedQuotient512(RowSum512(ref p0, next, taps), c1, Vector512.LoadUnsafe(ref f0, next));
            var means = Vector512.Narrow(q0.AsUInt32(), q1.AsUInt32());
            var keep = Vector512.Narrow(Vector512.Equals(c0, Vector512<int>.Zero).AsUInt32(), Vector512.Equals(c1, Vector512<int>.Zero).AsUInt32());
            Vector512.ConditionalSelect(keep, Vector512.LoadUnsafe(ref s0, at), means).StoreUnsafe(ref r0, at);
        }
        return x;
    }

    /// <summary><see cref="RowSum"/> on <see cref="Vector512{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RowSum512(ref int p, nuint x, int taps)
    {
        var acc = Vector512.LoadUnsafe(ref p, x);
        if (taps == 1) return acc;
        acc += Vector512.LoadUnsafe(ref p, x + 1) + Vector512.LoadUnsafe(ref p, x + 2);
        if (taps == 3) return acc;
        acc += Vector512.LoadUnsafe(ref p, x + 3) + Vector512.LoadUnsafe(ref p, x + 4);
        if (taps == 5) return acc;
        acc += Vector512.LoadUnsafe(ref p, x + 5) + Vector512.LoadUnsafe(ref p, x + 6);
        if (taps == 7) return acc;
        return acc + Vector512.LoadUnsafe(ref p, x + 7) + Vector512.LoadUnsafe(ref p, x + 8);
    }

    /// <summary><see cref="RoundedQuotient"/> on <see cref="Vector512{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RoundedQuotient512(Vector512<int> s, Vector512<int> c, Vector512<float> reciprocal)
    {
        var t = s + s + c;
        var d = c + c;
        var q = Vector512.ConvertToInt32Native(Vector512.ConvertToSingle(t) * reciprocal);
        var rem = t - q * d;
        var under = Vector512.LessThan(rem, Vector512<int>.Zero);
        q += under;
        rem += d & under;
        var over = Vector512.GreaterThanOrEqual(rem, d);
        q -= over;
        rem -= d & over;
        return Vector512.AndNot(q, Vector512.Equals(rem, Vector512<int>.Zero) & Vector512<int>.One);
    }

    /// <summary>
    /// round(s / c), ties to even, per lane, exactly: the integer q with 2s + c = q · 2c + rem, 0 ≤ rem &lt; 2c, is
    /// round-half-up(s / c) (a tie when rem = 0, then q − 1 is the even one when q is odd). q comes from a float product
    /// with <paramref name="reciprocal"/> = 1 / (2c): 2s + c &lt; 2²⁸ and 1 / (2c) carry a relative error of 2⁻²⁴ each, and
    /// the product one more, so for quotients below 2¹⁶ the truncated product is off by at most one, which one integer step
    /// either way corrects. The double quotient <see cref="Math.Round(double)"/> sees rounds the same way: a quotient of
    /// integers below 2²⁷ that is not a tie lies at least 1 / (2c) from one, far beyond the double's error.
    /// Lanes with c = 0 hold garbage: the caller keeps the old value there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> RoundedQuotient(Vector<int> s, Vector<int> c, Vector<float> reciprocal)
    {
        var t = s + s + c;
        var d = c + c;
        // The product is in [0, 2¹⁶] (or garbage in count-0 lanes, masked): the native conversion needs no saturation fix-ups.
        var q = Vector.ConvertToInt32Native(Vector.ConvertToSingle(t) * reciprocal);
        var rem = t - q * d;
        // The comparisons give −1 (all ones) in the lanes where they hold.
        var under = Vector.LessThan(rem, Vector<int>.Zero);
        q += under;
        rem += d & under;
        var over = Vector.GreaterThanOrEqual(rem, d);
        q -= over;
        rem -= d & over;
        return Vector.AndNot(q, Vector.Equals(rem, Vector<int>.Zero) & Vector<int>.One);
    }
}
