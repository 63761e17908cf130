using ChangeDetection.Jobs;

namespace ChangeDetection.Tests.Jobs;

public sealed class ScheduleTests
{
    private static string Write(TempDir dir, string json, string name = "schedule.json")
    {
        string path = dir.File(name);
        File.WriteAllText(path, json);
        return path;
    }

    private static void Touch(TempDir dir, string rel)
    {
        string full = Path.Combine(dir.Path, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, "{}");
    }

    [Test]
    public void Defaults_are_quarterly_at_two_in_Shanghai()
    {
        using var dir = new TempDir();
        Touch(dir, "regions/410102/region.json");
        var s = Schedule.Load(Write(dir, """{ "regions": ["regions/410102/region.json"] }"""));
        Assert.Multiple(() =>
        {
            Assert.That(s.Cron, Is.EqualTo("0 2 1 1,4,7,10 *"));
            Assert.That(s.TimeZoneId, Is.EqualTo("Asia/Shanghai"));
            Assert.That(s.TimeZone.BaseUtcOffset, Is.EqualTo(TimeSpan.FromHours(8)));
            Assert.That(s.RegionFiles(), Is.EqualTo(new[] { Path.Combine(dir.Path, "regions", "410102", "region.json") }));
        });
    }

    [Test]
    public void Explicit_cron_and_time_zone_are_kept()
    {
        using var dir = new TempDir();
        Touch(dir, "r/region.json");
        var s = Schedule.Load(Write(dir, """{ "cron": "30 3 * * 1", "timeZone": "Asia/Urumqi", "regions": ["r/region.json"] }"""));
        Assert.That((s.Cron, s.TimeZoneId), Is.EqualTo(("30 3 * * 1", "Asia/Urumqi")));
    }

    [Test]
    public void Globs_expand_relative_to_the_file_sorted_without_duplicates()
    {
        using var dir = new TempDir();
        Touch(dir, "regions/410102/region.json");
        Touch(dir, "regions/320305/region.json");
        Touch(dir, "regions/320305/other.json");
        Touch(dir, "deep/a/b/region.json");
        Directory.CreateDirectory(dir.File("sub"));
        var s = Schedule.Load(Write(dir, """{ "regions": ["../regions/*/region.json", "../regions/410102/region.json", "../deep/**/region.json"] }""", "sub/schedule.json"));
        string R(params string[] p) => Path.Combine([dir.Path, .. p]);
        Assert.That(s.RegionFiles(), Is.EqualTo(new[]
        {
            R("deep", "a", "b", "region.json"), R("regions", "320305", "region.json"), R("regions", "410102", "region.json"),
        }));
    }

    [Test]
    public void A_region_added_later_is_picked_up_by_the_next_expansion()
    {
        using var dir = new TempDir();
        Touch(dir, "regions/a/region.json");
        var s = Schedule.Load(Write(dir, """{ "regions": ["regions/*/region.json"] }"""));
        Touch(dir, "regions/b/region.json");
        Assert.That(s.RegionFiles(), Has.Count.EqualTo(2));
    }

    [TestCase("""{ "regions": ["r.json"], "cronn": "x" }""", "\"cronn\" is not a known key")]
    [TestCase("""{ "cron": "every day", "regions": ["r.json"] }""", "\"cron\" 'every day' is not a cron expression")]
    // Only cron characters, but out of range or malformed: Cronos (Hangfire's parser) refuses them.
    [TestCase("""{ "cron": "61 * * * *", "regions": ["r.json"] }""", "\"cron\" '61 * * * *' is not a cron expression")]
    [TestCase("""{ "cron": "0 2 1 13 *", "regions": ["r.json"] }""", "\"cron\" '0 2 1 13 *' is not a cron expression")]
    [TestCase("""{ "cron": "0 25 * * MON", "regions": ["r.json"] }""", "\"cron\" '0 25 * * MON' is not a cron expression")]
    [TestCase("""{ "cron": 5, "regions": ["r.json"] }""", "\"cron\" must be a non-empty string")]
    [TestCase("""{ "timeZone": "Mars/Olympus", "regions": ["r.json"] }""", "\"timeZone\" 'Mars/Olympus' is not a known time zone")]
    [TestCase("""{ }""", "\"regions\" is missing")]
    [TestCase("""{ "regions": "r.json" }""", "\"regions\" must be an array")]
    [TestCase("""{ "regions": [] }""", "\"regions\" is empty")]
    [TestCase("""{ "regions": ["r.json", 3] }""", "\"regions[1]\" must be a non-empty path")]
    [TestCase("""{ "regions": ["missing/region.json"] }""", "\"regions[0]\" names ")]
    [TestCase("""{ "regions": ["nothing/*/region.json"] }""", "\"regions[0]\" pattern 'nothing/*/region.json' matches no file")]
    [TestCase("""[1]""", "must be a JSON object")]
    [TestCase("""{ "regions": [""", "not valid JSON")]
    public void Bad_schedules_name_the_file_and_the_key(string json, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("r.json"), "{}");
        string path = Write(dir, json);
        var e = Assert.Throws<ChangeDetectionException>(() => Schedule.Load(path));
        Assert.That(e!.Message, Does.StartWith(path).And.Contain(expected));
    }

    [Test]
    public void A_missing_schedule_is_a_clear_error()
    {
        var e = Assert.Throws<ChangeDetectionException>(() => Schedule.Load("/nonexistent/schedule.json"));
        Assert.That(e!.Message, Does.Contain("schedule file not found"));
    }
}
