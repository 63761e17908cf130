namespace ChangeDetection.Vectorization;

/// <summary>Disjoint sets over 0..n-1 with path halving; the smaller index becomes the root (deterministic).</summary>
internal sealed class UnionFind
{
    private int[] _parent;

    public UnionFind(int capacity = 16)
    {
        _parent = new int[Math.Max(capacity, 1)];
    }

    public int Count { get; private set; }

    /// <summary>Adds a new singleton set and returns its index.</summary>
    public int Add()
    {
        if (Count == _parent.Length) Array.Resize(ref _parent, _parent.Length * 2);
        _parent[Count] = Count;
        return Count++;
    }

    /// <summary>Adds singletons until there are <paramref name="n"/> elements.</summary>
    public void EnsureCount(int n)
    {
        if (n > _parent.Length) Array.Resize(ref _parent, Math.Max(n, _parent.Length * 2));
        for (int i = Count; i < n; i++) _parent[i] = i;
        Count = Math.Max(Count, n);
    }

    public int Find(int i)
    {
        int[] p = _parent;
        while (p[i] != i)
        {
            p[i] = p[p[i]];
            i = p[i];
        }
        return i;
    }

    public void Union(int a, int b)
    {
        a = Find(a);
        b = Find(b);
        if (a == b) return;
        if (a < b) _parent[b] = a;
        else _parent[a] = b;
    }
}
