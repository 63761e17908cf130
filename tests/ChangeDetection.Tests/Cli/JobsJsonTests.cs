using System.Text.Json.Nodes;
using ChangeDetection.Synthetic;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

/// <summary><c>cdx jobs --json</c>: the storage figures and job lines of the text, as one JSON object.</summary>
[TestFixture]
public sealed class JobsJsonTests
{
    [Test]
    public void Jobs_json_lists_an_enqueued_region()
    {
        using var dir = new TempDir();
        SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 2, Workers = 1 });
        string storage = "sqlite:" + dir.File("jobs.db");
        var (code, _, stderr) = Cdx("enqueue", dir.File("region/region.json"), "--storage", storage);
        Assert.That(code, Is.Zero, stderr);

        (code, var stdout, stderr) = Cdx("jobs", "--storage", storage, "--json");
        Assert.That(code, Is.Zero, stderr);
        var json = JsonNode.Parse(stdout)!.AsObject();
        var jobs = json["jobs"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(json["storage"]!.GetValue<string>(), Does.Contain(dir.File("jobs.db")));
            Assert.That(json["servers"]!.GetValue<long>(), Is.Zero);
            Assert.That(json["enqueued"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(json["failed"]!.GetValue<long>(), Is.Zero);
            Assert.That(json["recurring"]!.AsArray(), Is.Empty);
            Assert.That(jobs, Has.Count.EqualTo(1));
            Assert.That(jobs[0]!["state"]!.GetValue<string>(), Is.EqualTo("Enqueued"));
            Assert.That(jobs[0]!["what"]!.GetValue<string>(), Is.EqualTo("region " + dir.File("region/region.json")));
            Assert.That(DateTime.Parse(jobs[0]!["at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AdjustToUniversal), Is.EqualTo(DateTime.UtcNow).Within(TimeSpan.FromMinutes(10)));
        });
    }

    [Test]
    public void Jobs_json_on_an_empty_storage()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Cdx("jobs", "--storage", "sqlite:" + dir.File("jobs.db"), "--json");
        Assert.That(code, Is.Zero, stderr);
        var json = JsonNode.Parse(stdout)!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That(json["jobs"]!.AsArray(), Is.Empty);
            Assert.That(json["enqueued"]!.GetValue<long>(), Is.Zero);
            Assert.That(stdout, Does.Not.Contain("no jobs"));
        });
    }
}
