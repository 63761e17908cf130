using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ChangeDetection.Kernels;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Detection;

/// <summary>
/// One per-tile stage of the tile passes as a <see cref="ITileStore"/> keeps it: the stage's name (the ledger's
/// <c>results.stage</c> column) and the codec between its typed result and the stored bytes.
/// </summary>
internal sealed class TileStage<T>(string name, Func<T, byte[]> encode, Func<byte[], T> decode) where T : class
{
    public string Name => name;

    /// <summary>The stored result of <paramref name="tile"/>, or null when the stage has not finished it.</summary>
    public T? Get(ITileStore store, int tile) => store.Get(name, tile) is byte[] data ? decode(data) : null;

    /// <summary>Records the result of <paramref name="tile"/> (durable when this returns, for a durable store).</summary>
    public void Put(ITileStore store, int tile, T value) => store.Put(name, tile, encode(value));

    /// <summary>The tiles this stage has finished in <paramref name="store"/>.</summary>
    public IReadOnlySet<int> Finished(ITileStore store) => store.Finished(name);

    /// <summary>The stored bytes of a value (what a durable store writes).</summary>
    public byte[] Encode(T value) => encode(value);
}

/// <summary>One value of a whole run in a <see cref="ITileStore"/> (the ledger's <c>meta</c> table) with its text codec.</summary>
internal sealed class RunValue<T>(string key, Func<T, string> encode, Func<string, T> decode) where T : notnull
{
    public string Key => key;

    /// <summary>The recorded value, or false when none is.</summary>
    public bool TryGet(ITileStore store, out T value)
    {
        if (store.GetValue(key) is string text)
        {
            value = decode(text);
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>
    /// Records <paramref name="proposed"/> unless a value is recorded already, and returns the recorded one: whoever
    /// records first decides for every pass and every worker. The caller's own instance comes back when its value won,
    /// so a value that went in is used as it was made, not as it reads back.
    /// </summary>
    public T GetOrAdd(ITileStore store, T proposed)
    {
        string text = encode(proposed);
        string recorded = store.GetOrAddValue(key, text);
        return recorded == text ? proposed : decode(recorded);
    }
}

/// <summary>
/// The stages of the tile passes and their codecs, one place for what the run ledger (<c>cdx run</c>, the fan-out's
/// workers) and the in-memory store (<c>cdx detect</c>, <c>cdx eval</c>) hold. The encodings are the ledger's
/// format: changing one means old ledgers no longer resume (their runs are then computed again).
/// </summary>
internal static class TileStages
{
    /// <summary>A mask tile's core (row-major, core-sized; <see cref="Morphology"/> values), zlib-compressed.</summary>
    public static TileStage<byte[]> Mask { get; } = new("mask", Compress, DecompressToArray);

    /// <summary>The pieces of change of a mask tile's core with their feature sums (<see cref="PatchPiece"/>).</summary>
    public static TileStage<IReadOnlyList<PatchPiece>> Pieces { get; } = new("pieces", EncodePieces, DecodePieces);

    /// <summary>A histogram tile's score counts: above-max count then every bin's count (int64 each), zlib-compressed.</summary>
    /// <param name="max">The upper end of the histogram (<see cref="DetectionModel.HistogramMax"/>): not stored, the model has it.</param>
    public static TileStage<ScoreHistogram> Histogram(float max) => new("histogram", EncodeHistogram, data => DecodeHistogram(data, max));

    /// <summary>Pass 1's model (<see cref="ModelJson"/>): statistics, normalisation, histogram range, co-registration.</summary>
    public static RunValue<DetectionModel> Model { get; } = new("model", ModelJson.Write, ModelJson.Read);

    /// <summary>The global threshold taken from the whole scene's histogram (round-trip text: the same float back).</summary>
    public static RunValue<float> Threshold { get; } = new("threshold",
        t => t.ToString("R", CultureInfo.InvariantCulture), s => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>
    /// The learned pixel model's probability threshold the mask pass used (its scene threshold, a whole-scene pass of its
    /// own, or its fixed one): recorded once, so a resumed run, the fan-out's batches and <c>run.json</c> use and report
    /// the same value without computing the scene's probabilities again.
    /// </summary>
    public static RunValue<double> PixelThreshold { get; } = new("pixel-threshold",
        t => t.ToString("R", CultureInfo.InvariantCulture), s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>
    /// Stores a mask tile's core (<paramref name="mask"/>, row-major, core-sized) as <see cref="Mask"/> does: the same bytes,
    /// from a span, so that the mask pass can hand in a pooled plane rather than a fresh core-sized array a tile.
    /// </summary>
    public static void PutMask(ITileStore store, int tile, ReadOnlySpan<byte> mask) => store.Put(Mask.Name, tile, Compress(mask));

    /// <summary>
    /// Inflates mask tile <paramref name="tile"/> into <paramref name="into"/> (exactly its length: the tile's core), or returns
    /// false when the stage has not finished it: the mask file's assembly reuses one plane for every tile rather than
    /// inflating each into fresh arrays (a megabyte a 1024² tile, and the growing stream's copies before it).
    /// </summary>
    /// <exception cref="InvalidOperationException">The stored tile does not hold <paramref name="into"/>.Length pixels.</exception>
    public static bool TryGetMask(ITileStore store, int tile, Span<byte> into)
    {
        if (store.Get(Mask.Name, tile) is not byte[] data) return false;
        using var z = new ZLibStream(new MemoryStream(data, writable: false), CompressionMode.Decompress);
        int got = z.ReadAtLeast(into, into.Length, throwOnEndOfStream: false);
        Span<byte> more = stackalloc byte[1];
        if (got != into.Length || z.Read(more) != 0)
            throw new InvalidOperationException($"Mask tile {tile} holds {(got < into.Length ? got.ToString(CultureInfo.InvariantCulture) : "more than " + into.Length.ToString(CultureInfo.InvariantCulture))} pixels, its core {into.Length}.");
        return true;
    }

    /// <summary>
    /// Streams reused by the codecs of the thread that runs them (the tile passes' workers): a MemoryStream that grows to a
    /// tile's bytes copies them into fresh large arrays at every doubling, and fresh pages cost more than the deflate here.
    /// A stream that grew past <see cref="MaxScratchBytes"/> is let go, so no thread holds on to more than that.
    /// </summary>
    [ThreadStatic] private static MemoryStream? t_raw;
    [ThreadStatic] private static MemoryStream? t_packed;

    /// <summary>The most bytes a thread's reused codec stream keeps between tiles (a 1024² mask tile's bytes, twice).</summary>
    private const int MaxScratchBytes = 2 << 20;

    private static MemoryStream Scratch(ref MemoryStream? slot)
    {
        var s = slot ??= new MemoryStream();
        s.SetLength(0);
        return s;
    }

    private static void Release(ref MemoryStream? slot)
    {
        if (slot is { Capacity: > MaxScratchBytes }) slot = null;
    }

    private static byte[] Compress(byte[] data) => Compress(data.AsSpan());

    private static byte[] Compress(ReadOnlySpan<byte> data)
    {
        var ms = Scratch(ref t_packed);
        try
        {
            using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
            return ms.ToArray();
        }
        finally
        {
            Release(ref t_packed);
        }
    }

    /// <summary>
    /// Inflates <paramref name="data"/> into the thread's reused stream (<see cref="t_raw"/>, from its start): the decoders
    /// read it there and keep nothing of it. Call <see cref="Release"/> on <see cref="t_raw"/> when done.
    /// </summary>
    private static MemoryStream Decompress(byte[] data)
    {
        var result = Scratch(ref t_raw);
        using (var z = new ZLibStream(new MemoryStream(data, writable: false), CompressionMode.Decompress)) z.CopyTo(result);
        result.Position = 0;
        return result;
    }

    private static byte[] DecompressToArray(byte[] data)
    {
        try
        {
            return Decompress(data).ToArray();
        }
        finally
        {
            Release(ref t_raw);
        }
    }

    private static byte[] EncodePieces(IReadOnlyList<PatchPiece> pieces)
    {
        var ms = Scratch(ref t_raw);
        try
        {
            using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(pieces.Count);
                foreach (var p in pieces)
                {
                    w.Write(p.X);
                    w.Write(p.Y);
                    p.Moments.Write(w);
                }
            }
            return Compress(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        }
        finally
        {
            Release(ref t_raw);
        }
    }

    private static List<PatchPiece> DecodePieces(byte[] data) => DecodePieces(data, null);

    /// <summary>Bytes of one stored piece: its first pixel (x, y: int32 each), then its sums (<see cref="PatchMoments.Length"/> doubles).</summary>
    private const int PieceBytes = 8 + 8 * PatchMoments.Length;

    /// <summary>
    /// The pieces of a tile's stored <see cref="Pieces"/> (<paramref name="data"/>) whose first pixel <paramref name="wanted"/>
    /// accepts (null: all), in their order: the others' sums are not built (most pieces of a noisy scene belong to specks
    /// that no patch keeps).
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not as <see cref="Pieces"/> writes them.</exception>
    public static List<PatchPiece> DecodePieces(byte[] data, Func<PixelPoint, bool>? wanted)
    {
        // Inflated whole first (into the thread's reused stream): a BinaryReader straight on the ZLibStream called the
        // inflater for every 4- or 8-byte field, and reading a run's pieces back for the patch stage cost about a second at 8192².
        try
        {
            var bytes = PieceRecords(Inflated(data), out int count);
            var pieces = new List<PatchPiece>(wanted is null ? count : 0);
            for (int k = 0; k < count; k++)
            {
                var record = bytes.Slice(k * PieceBytes, PieceBytes);
                int x = BinaryPrimitives.ReadInt32LittleEndian(record), y = BinaryPrimitives.ReadInt32LittleEndian(record[4..]);
                if (wanted is not null && !wanted(new PixelPoint(x, y))) continue;
                var moments = new PatchMoments();
                for (int i = 0; i < PatchMoments.Length; i++) moments.Values[i] = BinaryPrimitives.ReadDoubleLittleEndian(record[(8 + 8 * i)..]);
                pieces.Add(new PatchPiece(x, y, moments));
            }
            return pieces;
        }
        finally
        {
            Release(ref t_raw);
        }
    }

    /// <summary>The first pixel of every piece of a tile's stored <see cref="Pieces"/>, in their order, without their sums (the polygonizer's probes).</summary>
    /// <exception cref="InvalidDataException">The bytes are not as <see cref="Pieces"/> writes them.</exception>
    public static PixelPoint[] PieceOrigins(byte[] data)
    {
        try
        {
            var bytes = PieceRecords(Inflated(data), out int count);
            var origins = new PixelPoint[count];
            for (int k = 0; k < count; k++)
            {
                var record = bytes.Slice(k * PieceBytes, 8);
                origins[k] = new PixelPoint(BinaryPrimitives.ReadInt32LittleEndian(record), BinaryPrimitives.ReadInt32LittleEndian(record[4..]));
            }
            return origins;
        }
        finally
        {
            Release(ref t_raw);
        }
    }

    /// <summary>The records of inflated pieces (after their count), checked against the count.</summary>
    private static ReadOnlySpan<byte> PieceRecords(ReadOnlySpan<byte> raw, out int count)
    {
        count = raw.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(raw) : -1;
        if (count < 0 || raw.Length - 4 != (long)count * PieceBytes)
            throw new InvalidDataException($"Stored pieces of {raw.Length} bytes do not hold {count} pieces of {PieceBytes} bytes.");
        return raw[4..];
    }

    /// <summary>
    /// <paramref name="data"/> inflated into the thread's reused stream (<see cref="t_raw"/>): valid until the thread's next
    /// codec call; call <see cref="Release"/> on <see cref="t_raw"/> when done.
    /// </summary>
    private static ReadOnlySpan<byte> Inflated(byte[] data)
    {
        var ms = Decompress(data);
        return ms.GetBuffer().AsSpan(0, (int)ms.Length);
    }

    private static byte[] EncodeHistogram(ScoreHistogram h)
    {
        var counts = h.Counts;
        var bytes = new byte[8 * (counts.Length + 1)];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), h.AboveMax);
        for (int i = 0; i < counts.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(8 * (i + 1)), counts[i]);
        return Compress(bytes);
    }

    private static ScoreHistogram DecodeHistogram(byte[] data, float max)
    {
        try
        {
            var inflated = Decompress(data);
            var bytes = inflated.GetBuffer().AsSpan(0, (int)inflated.Length);
            // The bin count is the detection setting's, which keys the ledger: the stored length gives it back.
            var counts = new long[bytes.Length / 8 - 1];
            for (int i = 0; i < counts.Length; i++) counts[i] = BitConverter.ToInt64(bytes[(8 * (i + 1))..]);
            return ScoreHistogram.FromCounts(max, counts, BitConverter.ToInt64(bytes));
        }
        finally
        {
            Release(ref t_raw);
        }
    }
}
