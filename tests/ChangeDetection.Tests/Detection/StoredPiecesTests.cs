using ChangeDetection.Detection;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tests.Detection;

/// <summary>
/// The stored pieces read back in part (the run's probes: first pixels only; its features: the pieces of kept patches
/// only) give exactly what the whole decoding gives, in the same order.
/// </summary>
[TestFixture]
public class StoredPiecesTests
{
    private static List<PatchPiece> Pieces(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(k =>
        {
            var m = new PatchMoments();
            // Every value distinct and not round: a field read from the wrong offset cannot pass.
            for (int i = 0; i < PatchMoments.Length; i++) m.Values[i] = rng.NextDouble() * 1e6 - 5e5;
            return new PatchPiece(rng.Next(-5, 100_000), rng.Next(100_000), m);
        }).ToList();
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(5000)]
    public void Origins_and_wanted_pieces_are_those_of_the_whole_decoding(int count)
    {
        var pieces = Pieces(count, seed: count + 1);
        byte[] stored = TileStages.Pieces.Encode(pieces);
        var store = new MemoryTileStore();
        store.Put(TileStages.Pieces.Name, 0, stored);
        var whole = TileStages.Pieces.Get(store, 0)!;
        Func<PixelPoint, bool> wanted = p => (p.X + p.Y) % 3 == 0;
        var some = TileStages.DecodePieces(stored, wanted);
        Assert.Multiple(() =>
        {
            Assert.That(whole.Select(p => (p.X, p.Y, Values: string.Join(",", p.Moments.Values))),
                Is.EqualTo(pieces.Select(p => (p.X, p.Y, Values: string.Join(",", p.Moments.Values)))), "the codec round-trips");
            Assert.That(TileStages.PieceOrigins(stored), Is.EqualTo(whole.Select(p => new PixelPoint(p.X, p.Y))));
            Assert.That(some.Select(p => (p.X, p.Y, Values: string.Join(",", p.Moments.Values.Select(BitConverter.DoubleToInt64Bits)))),
                Is.EqualTo(whole.Where(p => wanted(new PixelPoint(p.X, p.Y))).Select(p => (p.X, p.Y, Values: string.Join(",", p.Moments.Values.Select(BitConverter.DoubleToInt64Bits))))));
            if (count > 100) Assert.That(some, Has.Count.GreaterThan(0).And.Count.LessThan(count), "the filter keeps some, not all");
        });
    }

    [Test]
    public void Bytes_of_another_layout_are_refused()
    {
        byte[] stored = TileStages.Pieces.Encode(Pieces(3, seed: 9));
        // Three pieces' count over the bytes of one more piece's worth missing: re-encode with a wrong count.
        byte[] raw;
        using (var z = new System.IO.Compression.ZLibStream(new MemoryStream(stored), System.IO.Compression.CompressionMode.Decompress))
        using (var ms = new MemoryStream())
        {
            z.CopyTo(ms);
            raw = ms.ToArray();
        }
        raw[0] = 4;
        byte[] wrong;
        using (var ms = new MemoryStream())
        {
            using (var z = new System.IO.Compression.ZLibStream(ms, System.IO.Compression.CompressionLevel.Fastest)) z.Write(raw);
            wrong = ms.ToArray();
        }
        Assert.Multiple(() =>
        {
            Assert.That(() => TileStages.PieceOrigins(wrong), Throws.TypeOf<InvalidDataException>());
            Assert.That(() => TileStages.DecodePieces(wrong, null), Throws.TypeOf<InvalidDataException>());
            Assert.That(TileStages.PieceOrigins(stored), Has.Length.EqualTo(3));
        });
    }
}
