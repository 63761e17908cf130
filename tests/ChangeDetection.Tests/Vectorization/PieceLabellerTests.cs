using ChangeDetection.Kernels;
using ChangeDetection.Vectorization;

namespace ChangeDetection.Tests.Vectorization;

[TestFixture]
public class PieceLabellerTests
{
    private static readonly byte[] Values = [Morphology.Change, Morphology.ChangeVegetationGain];

    /// <summary>Blobs of change and greening touching each other and the border, specks, and nodata, as a mask tile holds.</summary>
    private static byte[] RandomMask(int width, int height, int seed)
    {
        var random = new Random(seed);
        var mask = new byte[width * height];
        for (int blob = 0; blob < width * height / 60 + 1; blob++)
        {
            byte value = random.Next(3) == 0 ? Morphology.ChangeVegetationGain : Morphology.Change;
            int cx = random.Next(-3, width + 3), cy = random.Next(-3, height + 3), rx = random.Next(1, 9), ry = random.Next(1, 9);
            for (int y = Math.Max(0, cy - ry); y < Math.Min(height, cy + ry); y++)
                for (int x = Math.Max(0, cx - rx); x < Math.Min(width, cx + rx); x++)
                    if (random.Next(5) > 0) mask[y * width + x] = value;
        }
        for (int i = 0; i < mask.Length; i++)
            if (random.Next(50) == 0) mask[i] = Morphology.NoData;
        return mask;
    }

    [TestCase(1, 1, 1)]
    [TestCase(1, 37, 2)]
    [TestCase(41, 1, 3)]
    [TestCase(67, 53, 4)]
    [TestCase(130, 97, 5)]
    [TestCase(64, 64, 6)]
    public void Runs_give_the_pixel_references_pieces_first_pixels_and_boxes(int width, int height, int seed)
    {
        var mask = RandomMask(width, height, seed);
        // Stale labels in the scratch, as a pooled plane holds: the runs must not read them.
        var scratch = Enumerable.Range(0, width * height + 5).Select(i => (i * 7919) % 1000 - 500).ToArray();
        var labels = PieceLabeller.LabelRuns(mask, width, height, Values, scratch);

        int offset = 0;
        foreach (byte value in Values)
        {
            var (reference, count, first) = PieceLabeller.Label(mask, width, height, value);
            for (int k = 0; k < count; k++)
            {
                var piece = labels.Pieces[offset + k];
                Assert.That(piece.Value, Is.EqualTo(value));
                Assert.That((piece.FirstX, piece.FirstY), Is.EqualTo(first[k]), $"first pixel of piece {k} of value {value}");
                int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
                for (int i = 0; i < reference.Length; i++)
                {
                    if (reference[i] != k) continue;
                    int x = i % width, y = i / width;
                    (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
                }
                Assert.That(piece.Box, Is.EqualTo(new ChangeDetection.Raster.PixelWindow(x0, y0, x1 - x0 + 1, y1 - y0 + 1)), $"box of piece {k} of value {value}");
            }
            for (int i = 0; i < reference.Length; i++)
                if (reference[i] >= 0)
                    Assert.That(labels.PieceAt(i % width, i / width), Is.EqualTo(offset + reference[i]), $"pixel {i}");
            offset += count;
        }
        Assert.That(labels.Pieces, Has.Count.EqualTo(offset));
    }

    [Test]
    public void A_spiral_joined_from_below_is_one_piece_whose_first_pixel_is_its_top_left_run()
    {
        // A U shape whose arms meet only on the last row, and a piece of the other value inside it.
        string[] rows =
        [
            "1.1.1",
            "1.121",
            "1.1.1",
            "11111",
        ];
        int w = rows[0].Length, h = rows.Length;
        var mask = rows.SelectMany(r => r.Select(c => c == '.' ? (byte)0 : (byte)(c - '0'))).ToArray();
        var labels = PieceLabeller.LabelRuns(mask, w, h, Values, new int[w * h]);
        Assert.That(labels.Pieces, Has.Count.EqualTo(2));
        Assert.That(labels.Pieces[0], Is.EqualTo(new LabelledPiece(Morphology.Change, 0, 0, new ChangeDetection.Raster.PixelWindow(0, 0, 5, 4))));
        Assert.That(labels.Pieces[1], Is.EqualTo(new LabelledPiece(Morphology.ChangeVegetationGain, 3, 1, new ChangeDetection.Raster.PixelWindow(3, 1, 1, 1))));
        Assert.That(labels.PieceAt(4, 0), Is.EqualTo(0));
    }
}
