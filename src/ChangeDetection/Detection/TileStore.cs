using System.Collections.Concurrent;

namespace ChangeDetection.Detection;

/// <summary>
/// Where the tile passes (<see cref="TilePasses"/>) keep what they finished: one encoded result per stage and tile
/// (<see cref="TileStage{T}"/>) and a few text values per run (<see cref="RunValue{T}"/>). A pass skips what its store
/// holds, so over a durable store (the run ledger of <c>cdx run</c> and of the fan-out's workers) a killed run resumes,
/// and over <see cref="MemoryTileStore"/> (<c>cdx detect</c>, <c>cdx eval</c>) every pass runs once. Thread-safe.
/// </summary>
internal interface ITileStore
{
    /// <summary>The stored result of <paramref name="stage"/> for <paramref name="tile"/>, or null.</summary>
    byte[]? Get(string stage, int tile);

    /// <summary>Records the result of <paramref name="stage"/> for <paramref name="tile"/>.</summary>
    void Put(string stage, int tile, byte[] data);

    /// <summary>The tiles of <paramref name="stage"/> already finished.</summary>
    IReadOnlySet<int> Finished(string stage);

    /// <summary>The run value of <paramref name="key"/>, or null.</summary>
    string? GetValue(string key);

    /// <summary>Records <paramref name="value"/> under <paramref name="key"/> unless a value is there already; returns the recorded one.</summary>
    string GetOrAddValue(string key, string value);
}

/// <summary>
/// A store for one detection in one process. Results are kept encoded, as the ledger keeps them: a mask tile
/// compressed is a small part of its pixels, so a whole scene's tiles wait for the mask file in bounded memory.
/// </summary>
internal sealed class MemoryTileStore : ITileStore
{
    private readonly ConcurrentDictionary<(string Stage, int Tile), byte[]> _results = new();
    private readonly ConcurrentDictionary<string, string> _values = new();

    public byte[]? Get(string stage, int tile) => _results.TryGetValue((stage, tile), out var data) ? data : null;

    public void Put(string stage, int tile, byte[] data) => _results[(stage, tile)] = data;

    public IReadOnlySet<int> Finished(string stage) => _results.Keys.Where(k => k.Stage == stage).Select(k => k.Tile).ToHashSet();

    public string? GetValue(string key) => _values.TryGetValue(key, out var value) ? value : null;

    public string GetOrAddValue(string key, string value) => _values.GetOrAdd(key, value);
}
