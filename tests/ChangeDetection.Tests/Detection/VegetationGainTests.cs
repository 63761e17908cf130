using ChangeDetection.Detection;
using ChangeDetection.Kernels;

namespace ChangeDetection.Tests.Detection;

[TestFixture]
public class VegetationGainTests
{
    // Four pixels, bands blue, green, red, nir (band stride 4).
    private static readonly BandRoles Roles = BandRoles.BlueGreenRedNir;

    [Test]
    public void OnlyChangePixelsWhoseNdviRoseAreMarked()
    {
        // Pixel 0: bare soil → green crop (NDVI 0.09 → 0.60): greening.
        // Pixel 1: green → roof (NDVI 0.60 → 0.03): change, vegetation lost.
        // Pixel 2: greening, but not change in the mask: untouched.
        // Pixel 3: NDVI rises by 0.067 (≤ 0.1): stays plain change. Pixel values by hand:
        //   NDVI = (nir − red) / (nir + red).
        ushort[] before =
        [
            100, 100, 100, 100,   // blue
            200, 200, 200, 200,   // green
            1000, 400, 1000, 500, // red
            1200, 1600, 1200, 700, // nir: 0.0909, 0.6, 0.0909, 0.1667
        ];
        ushort[] after =
        [
            100, 100, 100, 100,
            200, 200, 200, 200,
            400, 1000, 400, 460,   // red
            1600, 1060, 1600, 740, // nir: 0.6, 0.0291, 0.6, 0.2333
        ];
        byte[] mask = [Morphology.Change, Morphology.Change, Morphology.Background, Morphology.Change];
        VegetationGain.Mark(mask, before, after, 4, Roles);
        Assert.That(mask, Is.EqualTo(new[] { Morphology.ChangeVegetationGain, Morphology.Change, Morphology.Background, Morphology.Change }));
        Assert.That(VegetationGain.Ndvi(1600, 400), Is.EqualTo(0.6f).Within(1e-6f));
        Assert.That(VegetationGain.Ndvi(0, 0), Is.Zero);
    }

    [Test]
    public void WithoutRedAndNirNothingIsMarked()
    {
        ushort[] before = [1000, 1000, 1000];
        ushort[] after = [400, 400, 400];
        byte[] mask = [Morphology.Change];
        VegetationGain.Mark(mask, before, after, 1, new BandRoles(Red: 0, Green: 1));
        Assert.That(mask[0], Is.EqualTo(Morphology.Change));
        Assert.That(Morphology.IsChange(Morphology.ChangeVegetationGain), Is.True);
        Assert.That(Morphology.IsChange(Morphology.NoData), Is.False);
        Assert.That(Morphology.IsChange(Morphology.Background), Is.False);
    }

    [Test]
    public void OnlyGroundVegetatedOnBothDatesWithoutLossStaysVegetated()
    {
        // (nir, red) of each date; NDVI = (nir − red) / (nir + red).
        // Wheat → maize, NDVI 0.60 → 0.68: phenology, vegetated both dates.
        Assert.That(VegetationGain.StaysVegetated(1600, 400, 2100, 400), Is.True);
        // Trees leafing out slightly less green, 0.60 → 0.52 (a fall of 0.08 ≤ 0.1): still phenology.
        Assert.That(VegetationGain.StaysVegetated(1600, 400, 1600, 505), Is.True);
        // Vegetation loss of 0.15, 0.60 → 0.45, both dates still vegetated: a clearing under way, kept as change.
        Assert.That(VegetationGain.StaysVegetated(1600, 400, 1600, 606), Is.False);
        // Bare soil → green crop (0.09 → 0.60): greening stays change (reference data label it so).
        Assert.That(VegetationGain.StaysVegetated(1200, 1000, 1600, 400), Is.False);
        // Field → roof (0.60 → 0.03).
        Assert.That(VegetationGain.StaysVegetated(1600, 400, 1060, 1000), Is.False);
        // Pond → meadow (−0.33 → 0.60): water is not vegetation.
        Assert.That(VegetationGain.StaysVegetated(400, 800, 1600, 400), Is.False);
        // The limits themselves: NDVI exactly 0.3 both dates counts as vegetated.
        Assert.That(VegetationGain.StaysVegetated(1300, 700, 1300, 700), Is.True);
        Assert.That(VegetationGain.StaysVegetated(1300, 701, 1300, 701), Is.False);
    }

    [Test]
    public void FlagVegetatedSetsItsBitOnlyWhereRedAndNirAllowIt()
    {
        // Two pixels, bands blue, green, red, nir (band stride 2): pixel 0 stays vegetated, pixel 1 becomes a roof.
        ushort[] before = [100, 100, 200, 200, 400, 400, 1600, 1600];
        ushort[] after = [100, 100, 200, 200, 400, 1000, 2100, 1060];
        byte[] flags = [TileScoreStore.Valid, TileScoreStore.Valid];
        VegetationGain.FlagVegetated(flags, TileScoreStore.Vegetated, before, after, 2, Roles);
        Assert.That(flags, Is.EqualTo(new[] { (byte)(TileScoreStore.Valid | TileScoreStore.Vegetated), TileScoreStore.Valid }));

        byte[] none = [0, 0];
        VegetationGain.FlagVegetated(none, TileScoreStore.Vegetated, before, after, 2, new BandRoles(Red: 2, Green: 1));
        Assert.That(none, Is.EqualTo(new byte[] { 0, 0 }));

        byte[] mask = [Morphology.Change, Morphology.ChangeVegetationGain, Morphology.NoData, Morphology.Change];
        byte[] marks = [TileScoreStore.Vegetated, TileScoreStore.Vegetated, TileScoreStore.Vegetated, TileScoreStore.Greening];
        VegetationGain.Clear(mask, marks, TileScoreStore.Vegetated);
        Assert.That(mask, Is.EqualTo(new[] { Morphology.Background, Morphology.Background, Morphology.NoData, Morphology.Change }));
    }

    /// <summary>
    /// The one-pass flags (vector path and scalar twin) are those of <see cref="VegetationGain.Flag"/> and
    /// <see cref="VegetationGain.FlagVegetated"/> run one after the other, bit for bit: random digital numbers with zeros
    /// (NDVI 0 where both bands are 0), saturation and values near the limits, on pixel counts around every vector length.
    /// </summary>
    [Test]
    public void OnePassFlagsEqualTheTwoSeparatePasses()
    {
        var random = new Random(18);
        foreach (int pixels in new[] { 1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 65, 1000 })
        {
            var before = new ushort[4 * pixels];
            var after = new ushort[4 * pixels];
            foreach (var plane in new[] { before, after })
                for (int i = 0; i < plane.Length; i++)
                    plane[i] = random.Next(6) switch
                    {
                        0 => 0,
                        1 => ushort.MaxValue,
                        // Red and NIR pairs around NDVI 0.3 (1300 / 700) and small numbers.
                        2 => (ushort)(700 + random.Next(3)),
                        3 => (ushort)(1300 + random.Next(3)),
                        4 => (ushort)random.Next(4),
                        _ => (ushort)random.Next(65536),
                    };
            var flags = new byte[pixels];
            for (int i = 0; i < pixels; i++) flags[i] = (byte)random.Next(2);
            var expected = (byte[])flags.Clone();
            VegetationGain.Flag(expected, TileScoreStore.Greening, before, after, pixels, Roles);
            VegetationGain.FlagVegetated(expected, TileScoreStore.Vegetated, before, after, pixels, Roles);
            var scalar = (byte[])flags.Clone();
            var vector = (byte[])flags.Clone();
            VegetationGain.FlagGreeningAndVegetated(scalar, TileScoreStore.Greening, TileScoreStore.Vegetated, before, after, pixels, Roles, vectors: false);
            VegetationGain.FlagGreeningAndVegetated(vector, TileScoreStore.Greening, TileScoreStore.Vegetated, before, after, pixels, Roles, vectors: true);
            Assert.Multiple(() =>
            {
                Assert.That(scalar, Is.EqualTo(expected), $"scalar, {pixels} pixels");
                Assert.That(vector, Is.EqualTo(expected), $"vector, {pixels} pixels");
                Assert.That(expected.Any(f => (f & TileScoreStore.Vegetated) != 0) || pixels < 1000, Is.True, "the sample holds vegetated pixels");
            });
        }
    }
}
