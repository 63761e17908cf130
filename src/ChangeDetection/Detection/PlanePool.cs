namespace ChangeDetection.Detection;

/// <summary>
/// A few large arrays (a tile's planes) kept between tiles, for the detector's tile passes. Unlike
/// <see cref="System.Buffers.ArrayPool{T}.Create(int, int)"/>'s pool, it does not round a plane up to a power of two (a
/// 1032² × 4-band plane is 8.5 MB; the power of two 16.8 MB) and allocates without zeroing: the collector then need not
/// clear, page by page, memory that the tile overwrites anyway or never touches. On this kind of machine every page
/// touched for the first time costs more than the work done on it, so a plane costs only the pages the tile writes.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="Rent"/> gives the smallest kept array that is long enough, else a new one rounded up to an
/// eighth of the next power of two (so the tiles of a scheme's edges, a few pixels smaller than the others, take arrays
/// the inner tiles fit in too). Its elements are whatever the last renter left: the renter writes before it reads.
/// <see cref="Return"/> keeps at most <c>maxKept</c> arrays; beyond that the smallest goes to the collector.
/// </remarks>
internal sealed class PlanePool<T>(int maxKept) where T : unmanaged
{
    private readonly List<T[]> _kept = [];

    /// <summary>The most arrays kept between rents.</summary>
    public int MaxKept { get; } = maxKept;

    /// <summary>Arrays kept now (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_kept) return _kept.Count;
        }
    }

    /// <summary>An array of at least <paramref name="length"/> elements (contents undefined).</summary>
    public T[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_kept)
        {
            int best = -1;
            for (int i = 0; i < _kept.Count; i++)
                if (_kept[i].Length >= length && (best < 0 || _kept[i].Length < _kept[best].Length)) best = i;
            if (best >= 0)
            {
                var found = _kept[best];
                _kept.RemoveAt(best);
                return found;
            }
        }
        return GC.AllocateUninitializedArray<T>(SizeClass(length));
    }

    /// <summary>Takes back an array of <see cref="Rent"/>; the smallest kept goes when more than <see cref="MaxKept"/> are.</summary>
    public void Return(T[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        lock (_kept)
        {
            _kept.Add(array);
            if (_kept.Count <= MaxKept) return;
            int smallest = 0;
            for (int i = 1; i < _kept.Count; i++)
                if (_kept[i].Length < _kept[smallest].Length) smallest = i;
            _kept.RemoveAt(smallest);
        }
    }

    /// <summary><paramref name="length"/> rounded up to a multiple of an eighth of the next power of two (at least 4096 elements).</summary>
    internal static int SizeClass(int length)
    {
        if (length <= 4096) return 4096;
        long pow = 1L << (64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)length - 1));
        long step = Math.Max(4096, pow / 8);
        return (int)Math.Min(Array.MaxLength, (length + step - 1) / step * step);
    }
}
