namespace ChangeDetection.Raster.GeoTiff;

/// <summary>
/// Decoded blocks of one file, least recently used first out, bounded in bytes: a tile read with a halo
/// overlaps the blocks its neighbours read too, and the cache lets the second read copy them instead of
/// inflating them again. Thread-safe. Evicted buffers are kept for the next blocks (of any size they fit), so a full
/// cache allocates nothing, and the arrays held and kept together stay within the capacity: the cache touches at most
/// its capacity of memory over a run, where fresh arrays for each block that an evicted one did not fit would each
/// cost fresh pages.
/// </summary>
internal sealed class BlockCache(long capacityBytes)
{
    private readonly Dictionary<int, LinkedListNode<(int Index, byte[] Data, int Length)>> _byIndex = [];
    private readonly LinkedList<(int Index, byte[] Data, int Length)> _recent = new();
    /// <summary>Evicted arrays not reused yet; their bytes count in <see cref="_spare"/>.</summary>
    private readonly List<byte[]> _free = [];
    private readonly object _gate = new();
    /// <summary>Blocks added while <see cref="Holding"/>, outside the LRU order and the capacity (<see cref="Holding"/>).</summary>
    private readonly Dictionary<int, (byte[] Data, int Length)> _held = [];
    private long _bytes;
    private long _spare;
    private long _heldBytes;
    private bool _holding;

    /// <summary>
    /// While true, blocks added are held apart, up to <see cref="HeldCapacityBytes"/> (beyond it they go into the cache as
    /// usual): never evicted, and read without being let go. Once false again, the first read of a held block moves it into
    /// the cache as the most recently used. The statistics pass holds its sample's blocks until the histogram pass reads
    /// them again: at 8192² (1 024-px tiles) each tile's core holds one sample window, a block a band and date, which the
    /// cache had long lost by then (512 of the run's ~9 200 block inflations).
    /// </summary>
    public bool Holding
    {
        get
        {
            lock (_gate) return _holding;
        }
        set
        {
            lock (_gate) _holding = value;
        }
    }

    /// <summary>The most bytes of blocks held apart (<see cref="Holding"/>): twice <see cref="CapacityBytes"/>.</summary>
    public long HeldCapacityBytes => 2 * CapacityBytes;

    /// <summary>Bytes of the arrays held and kept for reuse (never above <see cref="CapacityBytes"/>; for tests).</summary>
    internal long ArrayBytes
    {
        get
        {
            lock (_gate) return _bytes + _spare;
        }
    }

    /// <summary>Bytes of the blocks held apart (<see cref="Holding"/>; for tests).</summary>
    internal long HeldBytes
    {
        get
        {
            lock (_gate) return _heldBytes;
        }
    }

    /// <summary>Most bytes of decoded blocks held.</summary>
    public long CapacityBytes { get; } = capacityBytes;

    /// <summary>Copies block <paramref name="index"/> into <paramref name="into"/> when it is held (its length must match).</summary>
    public bool TryCopy(int index, Span<byte> into) => TryCopy(index, into.Length, 0, into);

    /// <summary>
    /// Copies bytes <paramref name="offset"/> .. <paramref name="offset"/> + <paramref name="into"/>.Length of block
    /// <paramref name="index"/> into <paramref name="into"/> when the block is held with <paramref name="length"/> bytes:
    /// a read of a few rows of a block (a small window) copies those rows, not the whole block.
    /// </summary>
    public bool TryCopy(int index, int length, int offset, Span<byte> into)
    {
        lock (_gate)
        {
            if (!_byIndex.TryGetValue(index, out var node))
                return TryCopyHeld(index, length, offset, into);
            if (node.Value.Length != length) return false;
            node.Value.Data.AsSpan(offset, into.Length).CopyTo(into);
            _recent.Remove(node);
            _recent.AddFirst(node);
            return true;
        }
    }

    /// <summary>As <see cref="TryCopy(int, int, int, Span{byte})"/> for a held block; once no longer holding, it moves into the cache.</summary>
    private bool TryCopyHeld(int index, int length, int offset, Span<byte> into)
    {
        if (!_held.TryGetValue(index, out var held) || held.Length != length) return false;
        held.Data.AsSpan(offset, into.Length).CopyTo(into);
        if (_holding) return true;
        _held.Remove(index);
        _heldBytes -= held.Data.Length;
        // Into the cache as if decoded now: beyond the capacity, the least recently used blocks go to the free arrays.
        _byIndex[index] = _recent.AddFirst((index, held.Data, held.Length));
        _bytes += held.Data.Length;
        // Beyond the capacity, the free arrays go to the garbage collector first, then the least recently used blocks: the
        // cache then holds and keeps at most its capacity, as after an Add.
        while (_bytes + _spare > CapacityBytes && _free.Count > 0)
        {
            _spare -= _free[^1].Length;
            _free.RemoveAt(_free.Count - 1);
        }
        while (_bytes > CapacityBytes && _recent.Last is { } last && last.Value.Index != index)
        {
            _recent.RemoveLast();
            _byIndex.Remove(last.Value.Index);
            _bytes -= last.Value.Data.Length;
        }
        return true;
    }

    /// <summary>
    /// Copies bytes <paramref name="offset"/> .. <paramref name="offset"/> + <paramref name="into"/>.Length of what is held
    /// for <paramref name="index"/> when it holds that many bytes, whatever their total: for the first or last rows of a
    /// block kept by <see cref="GeoTiffReader"/> for the halos of the tiles beside it, where a read may need fewer rows than held.
    /// </summary>
    public bool TryCopyWithin(int index, int offset, Span<byte> into)
    {
        lock (_gate)
        {
            if (!_byIndex.TryGetValue(index, out var node) || offset < 0 || offset + into.Length > node.Value.Length) return false;
            node.Value.Data.AsSpan(offset, into.Length).CopyTo(into);
            _recent.Remove(node);
            _recent.AddFirst(node);
            return true;
        }
    }

    /// <summary>
    /// Copies <paramref name="into"/>.Length bytes starting <paramref name="fromEnd"/> bytes before the end of what is held for
    /// <paramref name="index"/>, when that many are held: for the last rows of a block, kept as many as the read below wanted.
    /// </summary>
    public bool TryCopyFromEnd(int index, int fromEnd, Span<byte> into)
    {
        lock (_gate)
        {
            if (!_byIndex.TryGetValue(index, out var node) || into.Length > fromEnd || fromEnd > node.Value.Length) return false;
            node.Value.Data.AsSpan(node.Value.Length - fromEnd, into.Length).CopyTo(into);
            _recent.Remove(node);
            _recent.AddFirst(node);
            return true;
        }
    }

    /// <summary>Lets go of the blocks held apart that no read took (<see cref="Holding"/>).</summary>
    public void ReleaseHeld()
    {
        lock (_gate)
        {
            _held.Clear();
            _heldBytes = 0;
        }
    }

    /// <summary>Lets go of every block held (the arrays go to the garbage collector).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _byIndex.Clear();
            _recent.Clear();
            _free.Clear();
            _held.Clear();
            _bytes = 0;
            _spare = 0;
            _heldBytes = 0;
        }
    }

    /// <summary>
    /// Keeps a copy of block <paramref name="index"/>, evicting the least recently used blocks beyond the capacity. What is
    /// held for the index already stays, unless it is shorter (fewer first rows of a block than these).
    /// </summary>
    public void Add(int index, ReadOnlySpan<byte> block)
    {
        if (block.Length > CapacityBytes) return;
        lock (_gate)
        {
            if (_holding && !_byIndex.ContainsKey(index) && !_held.ContainsKey(index) && _heldBytes + block.Length <= HeldCapacityBytes)
            {
                var copy = GC.AllocateUninitializedArray<byte>(block.Length);
                block.CopyTo(copy);
                _held[index] = (copy, block.Length);
                _heldBytes += copy.Length;
                return;
            }
            if (_held.Remove(index, out var apart)) _heldBytes -= apart.Data.Length;
            if (_byIndex.TryGetValue(index, out var held))
            {
                if (held.Value.Length >= block.Length) return;
                _recent.Remove(held);
                _byIndex.Remove(index);
                Free(held.Value.Data);
            }
            var data = TakeFree(block.Length);
            // Evict until a free array fits the block, or until a new one fits the capacity beside what is held and kept.
            while (data is null && _bytes + _spare + block.Length > CapacityBytes)
            {
                if (_recent.Last is { } last)
                {
                    _recent.RemoveLast();
                    _byIndex.Remove(last.Value.Index);
                    _bytes -= last.Value.Data.Length;
                    if (last.Value.Data.Length >= block.Length)
                    {
                        data = last.Value.Data;
                        break;
                    }
                    Free(last.Value.Data);
                }
                else
                {
                    // Nothing held: the kept arrays are all too short for this block; the smallest goes.
                    int smallest = 0;
                    for (int i = 1; i < _free.Count; i++)
                        if (_free[i].Length < _free[smallest].Length) smallest = i;
                    _spare -= _free[smallest].Length;
                    _free.RemoveAt(smallest);
                }
            }
            // Not zeroed: the block's bytes overwrite what the array holds up to its length, and nothing reads beyond.
            data ??= GC.AllocateUninitializedArray<byte>(block.Length);
            block.CopyTo(data);
            _byIndex[index] = _recent.AddFirst((index, data, block.Length));
            _bytes += data.Length;
        }
    }

    private void Free(byte[] data)
    {
        _bytes -= data.Length;
        _free.Add(data);
        _spare += data.Length;
    }

    /// <summary>The smallest kept array of at least <paramref name="length"/> bytes, taken out of the free list; null when none is.</summary>
    private byte[]? TakeFree(int length)
    {
        int best = -1;
        for (int i = 0; i < _free.Count; i++)
            if (_free[i].Length >= length && (best < 0 || _free[i].Length < _free[best].Length)) best = i;
        if (best < 0) return null;
        var data = _free[best];
        _free.RemoveAt(best);
        _spare -= data.Length;
        return data;
    }
}
