using System.Text.Json.Nodes;
using ChangeDetection.Pipeline;
using ChangeDetection.Synthetic;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli;

/// <summary>
/// <c>cdx run</c> and <c>cdx validate</c> with <c>--json</c>, <c>run --threshold</c>, and the usage errors of
/// <c>run</c> (a pseudo-change confidence without a model, an unknown option) naming <c>cdx run --help</c>.
/// </summary>
[TestFixture]
public sealed class RunValidateJsonTests
{
    private static TempDir _dir = null!;
    private static SyntheticRegionSummary _region = null!;

    [OneTimeSetUp]
    public void MakeSample()
    {
        _dir = new TempDir();
        _region = SyntheticRegion.Generate(_dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 4, Workers = 1 });
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    /// <summary>Runs the sample without a classifier into <paramref name="output"/> with --json; the parsed summary.</summary>
    private static JsonObject RunJson(string output, params string[] more)
    {
        var (code, stdout, stderr) = Cdx(["run", _region.RegionFile, "--out", output, "--tile", "128", "--workers", "1", "--model", "none", "--json", .. more]);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout.Trim().Split('\n'), Has.Length.EqualTo(1), "one JSON object on one line");
        return JsonNode.Parse(stdout)!.AsObject();
    }

    private static JsonObject RunRecord(string output) => JsonNode.Parse(File.ReadAllText(Path.Combine(output, "run.json")))!.AsObject();

    [Test]
    public void Run_json_carries_what_the_run_recorded()
    {
        string output = _dir.File("out-json");
        var summary = RunJson(output);
        var record = RunRecord(output);
        var config = RegionConfig.Load(_region.RegionFile);
        var counts = record["counts"]!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That(summary["region"]!["code"]!.GetValue<string>(), Is.EqualTo(config.RegionCode));
            Assert.That(summary["region"]!["quarter"]!.GetValue<string>(), Is.EqualTo(config.Quarter));
            Assert.That(summary["run_json"]!.GetValue<string>(), Is.EqualTo(Path.Combine(Path.GetFullPath(output), "run.json")));
            Assert.That(summary["threshold"]!.GetValue<float>(), Is.EqualTo(record["threshold"]!.GetValue<float>()));
            Assert.That(summary["threshold_rule"]!.GetValue<string>(), Is.EqualTo(record["parameters"]!["threshold_rule"]!.GetValue<string>()));
            foreach (string key in new[] { "tiles", "tiles_resumed", "valid_pixels", "changed_pixels", "patches", "pseudo_patches", "tasks" })
                Assert.That(summary[key]!.GetValue<long>(), Is.EqualTo(counts[key]!.GetValue<long>()), key);
            Assert.That(summary["tasks_by_province"]!.ToJsonString(), Is.EqualTo(counts["tasks_by_province"]!.ToJsonString()));
            Assert.That(summary["model"], Is.Null, "--model none");
            Assert.That(summary["pseudo_confidence"], Is.Null, "no model, no confidence");
            Assert.That(summary["outputs"]!.AsArray().Select(o => o!.GetValue<string>()), Has.Some.EndsWith("patches.gpkg"));
            Assert.That(summary["warnings"], Is.InstanceOf<JsonArray>());
        });
    }

    [Test]
    public void Run_threshold_overrides_the_config_and_is_recorded()
    {
        string auto = _dir.File("out-auto"), p90 = _dir.File("out-p90");
        var byConfig = RunJson(auto);
        var byOption = RunJson(p90, "--threshold", "p90");
        var config = RegionConfig.Load(_region.RegionFile);
        Assert.Multiple(() =>
        {
            Assert.That(RunRecord(auto)["parameters"]!["threshold_rule"]!.GetValue<string>(), Is.EqualTo(config.Detection.Options.Threshold.ToString()));
            Assert.That(RunRecord(p90)["parameters"]!["threshold_rule"]!.GetValue<string>(), Is.EqualTo("percentile:90"));
            Assert.That(byOption["threshold_rule"]!.GetValue<string>(), Is.EqualTo("percentile:90"));
            Assert.That(byOption["threshold"]!.GetValue<float>(), Is.Not.EqualTo(byConfig["threshold"]!.GetValue<float>()));
            Assert.That(RunRecord(p90)["fingerprint"]!.GetValue<string>(), Is.Not.EqualTo(RunRecord(auto)["fingerprint"]!.GetValue<string>()),
                "the threshold is a detection setting: it keys the run ledger");
        });
    }

    [Test]
    public void Run_with_a_bad_threshold_is_a_usage_error()
    {
        var (code, _, stderr) = Cdx("run", _region.RegionFile, "--out", _dir.File("out-bad-threshold"), "--model", "none", "--threshold", "median");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr, Does.Contain("--threshold").And.Contain("'median'").And.Contain("'cdx run --help'"));
            Assert.That(Directory.Exists(_dir.File("out-bad-threshold")), Is.False);
        });
    }

    [Test]
    public void Pseudo_confidence_with_model_none_is_a_usage_error()
    {
        string output = _dir.File("out-pseudo");
        var (code, _, stderr) = Cdx("run", _region.RegionFile, "--out", output, "--model", "none", "--pseudo-confidence", "0.7");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr, Does.StartWith("cdx: --pseudo-confidence").And.Contain("--model none").And.Contain("'cdx run --help'"));
            Assert.That(Directory.Exists(output), Is.False, "nothing is run");
        });
    }

    [Test]
    public void Pseudo_confidence_with_a_config_without_model_is_a_usage_error()
    {
        var root = JsonNode.Parse(File.ReadAllText(_region.RegionFile))!.AsObject();
        root["model"] = "none";
        string path = Path.Combine(Path.GetDirectoryName(_region.RegionFile)!, "region-no-model.json");
        File.WriteAllText(path, root.ToJsonString());
        var (code, _, stderr) = Cdx("run", path, "--out", _dir.File("out-pseudo-config"), "--pseudo-confidence", "0.7");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.StartWith("cdx: --pseudo-confidence").And.Contain(path).And.Contain("\"model\": \"none\"").And.Contain("'cdx run --help'"));
        });
    }

    [TestCase("run", "--bogus")]
    [TestCase("validate", "--bogus")]
    [TestCase("jobs", "--count", "many")]
    public void A_parse_error_names_the_subcommands_help(string command, params string[] rest)
    {
        var (code, stdout, stderr) = Cdx([command, .. command == "jobs" ? Array.Empty<string>() : new[] { _region.RegionFile }, .. rest]);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stdout, Is.Empty);
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr.TrimEnd(), Does.StartWith("cdx: ").And.EndWith($"(see 'cdx {command} --help')"));
        });
    }

    [Test]
    public void Validate_json_says_what_the_text_says()
    {
        var (code, stdout, stderr) = Cdx("validate", _region.RegionFile, "--json");
        Assert.That(code, Is.Zero, stderr);
        var json = JsonNode.Parse(stdout)!.AsObject();
        var (_, text, _) = Cdx("validate", _region.RegionFile);
        var config = RegionConfig.Load(_region.RegionFile);
        Assert.Multiple(() =>
        {
            Assert.That(json["ok"]!.GetValue<bool>(), Is.True);
            Assert.That(json["file"]!.GetValue<string>(), Is.EqualTo(config.FilePath));
            Assert.That(json["region"]!["code"]!.GetValue<string>(), Is.EqualTo(config.RegionCode));
            Assert.That(json["region"]!["name"]!.GetValue<string>(), Is.EqualTo(config.RegionName));
            Assert.That(json["before"]!["date"]!.GetValue<string>(), Is.EqualTo(config.Before.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(json["after"]!["path"]!.GetValue<string>(), Is.EqualTo(config.After.Path));
            Assert.That(text, Does.Contain($"grid   {json["grid"]!["width"]}×{json["grid"]!["height"]} px"));
            Assert.That(json["grid"]!["width"]!.GetValue<int>(), Is.EqualTo(256));
            Assert.That(json["bands"]!.AsArray().Select(b => b!.GetValue<string>()), Is.Not.Empty.And.All.Matches<string>(b => text.Contains(b, StringComparison.Ordinal)));
            Assert.That(json["layers"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()), Is.EqualTo(config.Layers.Select(l => l.Name)));
            Assert.That(json["layers"]!.AsArray().Select(l => l!["kind"]!.GetValue<string>()), Is.EqualTo(config.Layers.Select(l => l.Kind)));
            Assert.That(json["admin"]!["code_field"]!.GetValue<string>(), Is.EqualTo(config.Admin!.CodeField));
            Assert.That(json["output"]!.GetValue<string>(), Is.EqualTo(config.Output));
            Assert.That(json["warnings"]!.AsArray(), Has.Count.EqualTo(text.Split('\n').Count(l => l.StartsWith("  warning: ", StringComparison.Ordinal))));
        });
    }
}
