using ChangeDetection.Pipeline;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>The swap of a deliverable set, cut short by a kill and finished by the next start.</summary>
[TestFixture]
public class DeliveryTests
{
    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Test]
    public void A_swap_killed_half_way_is_finished_at_the_next_start()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        // The old set, with a file the new set does not have.
        Write(Path.Combine(output, "patches.gpkg"), "old");
        Write(Path.Combine(output, "patches.geojson"), "old");
        Write(Path.Combine(output, "provinces", "32", "tasks.csv"), "old");
        Write(Path.Combine(output, "provinces", "37", "tasks.csv"), "old");
        Write(Path.Combine(output, "run.json"), """{"status":"running"}""");
        // A new set committed, then killed after its first file was moved in.
        var delivery = Delivery.Begin(output);
        Write(Path.Combine(delivery.Staging, "patches.gpkg"), "new");
        Write(Path.Combine(delivery.Staging, "patch_features.csv"), "new");
        Write(Path.Combine(delivery.Staging, "provinces", "32", "tasks.csv"), "new");
        Write(Path.Combine(delivery.Staging, "run.json"), """{"status":"complete"}""");
        string ready = Path.Combine(output, ".work", "delivery.ready");
        File.WriteAllLines(Path.Combine(delivery.Staging, ".plan"), ["replace-provinces", "patches.gpkg", "patch_features.csv"]);
        Directory.Move(delivery.Staging, ready);
        File.Move(Path.Combine(ready, "patches.gpkg"), Path.Combine(output, "patches.gpkg"), overwrite: true);
        Assert.That(File.ReadAllText(Path.Combine(output, "provinces", "32", "tasks.csv")), Is.EqualTo("old"), "a mix, until the next start");

        Delivery.Recover(output);
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(Path.Combine(output, "patches.gpkg")), Is.EqualTo("new"));
            Assert.That(File.ReadAllText(Path.Combine(output, "patch_features.csv")), Is.EqualTo("new"));
            Assert.That(File.Exists(Path.Combine(output, "patches.geojson")), Is.False, "not part of the new set");
            Assert.That(File.ReadAllText(Path.Combine(output, "provinces", "32", "tasks.csv")), Is.EqualTo("new"));
            Assert.That(Directory.Exists(Path.Combine(output, "provinces", "37")), Is.False, "provinces/ replaced whole");
            Assert.That(File.ReadAllText(Path.Combine(output, "run.json")), Does.Contain("complete"));
            Assert.That(Directory.GetDirectories(Path.Combine(output, ".work")), Is.Empty, "no ready, old or staging folder left");
        });
    }

    [Test]
    public void An_export_of_one_province_replaces_only_that_province()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        Write(Path.Combine(output, "provinces", "32", "tasks.csv"), "old");
        Write(Path.Combine(output, "provinces", "37", "tasks.csv"), "old");
        using var delivery = Delivery.Begin(output);
        Write(Path.Combine(delivery.Staging, "provinces", "37", "tasks.csv"), "new");
        Write(Path.Combine(delivery.Staging, "run.json"), "{}");
        delivery.Commit(mergeProvinces: true);
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(Path.Combine(output, "provinces", "32", "tasks.csv")), Is.EqualTo("old"));
            Assert.That(File.ReadAllText(Path.Combine(output, "provinces", "37", "tasks.csv")), Is.EqualTo("new"));
        });
    }
}
