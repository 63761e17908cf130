namespace ChangeDetection.Raster.GeoTiff;

/// <summary>
/// Decoded blocks of one file, least recently used first out, bounded in bytes: a tile read with a halo
/// overlaps the blocks its neighbours read too, and the cache lets the second read copy them instead of
/// inflating them again. Thread-safe. Evicted buffers are reused for the next block, so a full cache
/// allocates nothing.
/// </summary>
internal sealed class BlockCache(long capacityBytes)
{
    private readonly Dictionary<int, LinkedListNode<(int Index, byte[] Data, int Length)>> _byIndex = [];
    private readonly LinkedList<(int Index, byte[] Data, int Length)> _recent = new();
    private readonly object _gate = new();
    private long _bytes;

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
            if (!_byIndex.TryGetValue(index, out var node) || node.Value.Length != length) return false;
            node.Value.Data.AsSpan(offset, into.Length).CopyTo(into);
            _recent.Remove(node);
            _recent.AddFirst(node);
            return true;
        }
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

    /// <summary>Lets go of every block held (the arrays go to the garbage collector).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _byIndex.Clear();
            _recent.Clear();
            _bytes = 0;
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
            if (_byIndex.TryGetValue(index, out var held))
            {
                if (held.Value.Length >= block.Length) return;
                _recent.Remove(held);
                _byIndex.Remove(index);
                _bytes -= held.Value.Data.Length;
            }
            byte[]? reuse = null;
            while (_bytes + block.Length > CapacityBytes && _recent.Last is { } last)
            {
                _recent.RemoveLast();
                _byIndex.Remove(last.Value.Index);
                _bytes -= last.Value.Data.Length;
                if (last.Value.Data.Length >= block.Length) reuse = last.Value.Data;
            }
            var data = reuse ?? new byte[block.Length];
            block.CopyTo(data);
            _byIndex[index] = _recent.AddFirst((index, data, block.Length));
            _bytes += data.Length;
        }
    }
}
