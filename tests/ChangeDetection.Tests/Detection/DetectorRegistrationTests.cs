using ChangeDetection.Detection;
using ChangeDetection.Raster;
using ChangeDetection.Registration;
using ChangeDetection.Synthetic;

namespace ChangeDetection.Tests.Detection;

/// <summary>Pass 1 finds the after image's injected misregistration and every later pass reads with it.</summary>
[TestFixture]
public class DetectorRegistrationTests
{
    [TestCase(3)]
    [TestCase(8)]
    public void PassOneRecoversTheSyntheticMisregistration(int seed)
    {
        using var dir = new TempDir();
        var sample = SyntheticRegion.Generate(dir.Path, new SyntheticRegionOptions { Size = 768, Seed = seed });
        using var pair = ScenePair.Open(sample.BeforeImage, sample.AfterImage);
        var detector = new ChangeDetector(new ChangeDetectionOptions { TileSize = 256, Register = true });
        var model = detector.Prepare(pair);
        // The generator's after image shows the ground at pixel + shift, so after(x − shift) = before(x):
        // in the registration's convention (after(x + Dx) ≈ before(x)) Dx = −shift.
        var (sx, sy) = sample.Misregistration;
        TestContext.Out.WriteLine($"injected ({sx}, {sy}); found {model.Registration}");
        Assert.Multiple(() =>
        {
            Assert.That(model.Registration.Status, Is.EqualTo(GlobalShiftStatus.Estimated));
            Assert.That(model.Registration.Dx, Is.EqualTo(-sx).Within(0.1));
            Assert.That(model.Registration.Dy, Is.EqualTo(-sy).Within(0.1));
            Assert.That(pair.AfterShiftX, Is.EqualTo(model.Registration.Dx), "the pair is read with the shift from pass 1 on");
            Assert.That(pair.AfterShiftY, Is.EqualTo(model.Registration.Dy));
        });

        Assert.That(model.RegistrationApplied, Is.True);
        // Off (the default): the shift is still estimated and reported, but the pair is read unshifted.
        var off = new ChangeDetector(new ChangeDetectionOptions { TileSize = 256 }).Prepare(pair);
        Assert.Multiple(() =>
        {
            Assert.That((pair.AfterShiftX, pair.AfterShiftY), Is.EqualTo((0.0, 0.0)));
            Assert.That(off.Registration, Is.EqualTo(model.Registration));
            Assert.That(off.RegistrationApplied, Is.False);
        });
        // A reopened pair aligned from a recorded model reads like the first.
        using var again = ScenePair.Open(sample.BeforeImage, sample.AfterImage);
        ChangeDetector.Align(again, model);
        Assert.That((again.AfterShiftX, again.AfterShiftY), Is.EqualTo((model.Registration.Dx, model.Registration.Dy)));

        // The run ledger keeps the model as JSON: a resumed run or another worker reads the same shift.
        var back = ChangeDetection.Detection.ModelJson.Read(ChangeDetection.Detection.ModelJson.Write(model));
        Assert.Multiple(() =>
        {
            Assert.That(back.Registration, Is.EqualTo(model.Registration));
            Assert.That(back.RegistrationApplied, Is.True);
            Assert.That(ChangeDetection.Detection.ModelJson.Read(ChangeDetection.Detection.ModelJson.Write(off)).RegistrationApplied, Is.False);
        });
    }
}
