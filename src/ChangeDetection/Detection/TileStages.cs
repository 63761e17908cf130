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
    public static TileStage<byte[]> Mask { get; } = new("mask", Compress, Decompress);

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

    private static byte[] Compress(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest)) z.Write(data);
        return ms.ToArray();
    }

    private static byte[] Decompress(byte[] data)
    {
        using var z = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
        using var result = new MemoryStream();
        z.CopyTo(result);
        return result.ToArray();
    }

    private static byte[] EncodePieces(IReadOnlyList<PatchPiece> pieces)
    {
        using var ms = new MemoryStream();
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
        return Compress(ms.ToArray());
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
        // Inflated whole first (into a pooled buffer): a BinaryReader straight on the ZLibStream called the inflater for
        // every 4- or 8-byte field, and reading a run's pieces back for the patch stage cost about a second at 8192².
        byte[] raw = InflateRented(data, out int length);
        try
        {
            var bytes = PieceRecords(raw.AsSpan(0, length), out int count);
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
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>The first pixel of every piece of a tile's stored <see cref="Pieces"/>, in their order, without their sums (the polygonizer's probes).</summary>
    /// <exception cref="InvalidDataException">The bytes are not as <see cref="Pieces"/> writes them.</exception>
    public static PixelPoint[] PieceOrigins(byte[] data)
    {
        byte[] raw = InflateRented(data, out int length);
        try
        {
            var bytes = PieceRecords(raw.AsSpan(0, length), out int count);
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
            ArrayPool<byte>.Shared.Return(raw);
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
    /// <paramref name="data"/> inflated into a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller returns it),
    /// <paramref name="length"/> bytes of it: no fresh array per tile, whose pages this VM charges for on first touch.
    /// </summary>
    private static byte[] InflateRented(byte[] data, out int length)
    {
        using var z = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1 << 16, 4 * data.Length));
        length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(2 * buffer.Length);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                int n = z.Read(buffer, length, buffer.Length - length);
                if (n == 0) return buffer;
                length += n;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
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
        var bytes = Decompress(data);
        // The bin count is the detection setting's, which keys the ledger: the stored length gives it back.
        var counts = new long[bytes.Length / 8 - 1];
        for (int i = 0; i < counts.Length; i++) counts[i] = BitConverter.ToInt64(bytes, 8 * (i + 1));
        return ScoreHistogram.FromCounts(max, counts, BitConverter.ToInt64(bytes, 0));
    }
}
