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
}
