using System.Text.Json.Nodes;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>What the check at the start of a run reports in the run itself: warnings in the result and run.json, the admin fallback.</summary>
[TestFixture]
public sealed class RegionCheckTests
{
    [Test]
    public void WithoutAdminTasksGetTheRegionCodeAndALayerOutsideTheImageIsAWarningInRunJson()
    {
        using var dir = new TempDir();
        var region = SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 2, Workers = 1 });
        string far = dir.File("far.geojson");
        // The farmland layer moved 100 km east: same CRS, nowhere near the image.
        File.WriteAllText(far, File.ReadAllText(region.PermanentFarmlandFile).Replace("[395", "[396", StringComparison.Ordinal));
        var config = RegionConfig.Load(region.RegionFile);
        config = config with { Admin = null, Layers = [config.Layers[0] with { Path = far }], Model = null };

        var result = RegionRun.Run(config, new RegionRunOptions { Output = dir.File("out"), Workers = 1 });

        var runJson = JsonNode.Parse(File.ReadAllText(result.RunJson))!;
        var warnings = runJson["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        var tasks = JsonNode.Parse(File.ReadAllText(dir.File("out/patches.geojson")))!["features"]!.AsArray()
            .Select(f => f!["properties"]!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(warnings, Has.Some.Contains(far).And.Some.Contains("outside the image footprint"));
            Assert.That(warnings, Has.Some.Contains("no \"admin\" layer").And.Some.Contains(config.RegionCode));
            Assert.That(result.Warnings, Is.EqualTo(warnings));
            Assert.That(tasks, Is.Not.Empty, "the sample has changes");
            Assert.That(tasks.Select(t => t["XZQDM"]!.GetValue<string>()), Has.All.EqualTo(config.RegionCode));
            Assert.That(tasks.Select(t => t["JCBH"]!.GetValue<string>()), Has.All.StartWith(config.RegionCode + config.Quarter));
            Assert.That(result.TasksByProvince.Keys, Is.EqualTo(new[] { config.RegionCode[..2] }));
        });
    }
}
