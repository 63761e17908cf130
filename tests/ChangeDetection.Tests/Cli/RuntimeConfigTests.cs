using System.Text.Json;

namespace ChangeDetection.Tests.Cli;

/// <summary>
/// The runtime options the cdx host ships in its runtimeconfig.json (set in the Cli's csproj): each was measured
/// (benchmarks/RESULTS.md) and a csproj edit could drop one silently, since no output changes with them.
/// </summary>
[TestFixture]
public class RuntimeConfigTests
{
    private static JsonElement ConfigProperties()
    {
        // The test project references the Cli, so the build copies cdx's runtimeconfig.json beside the tests.
        string path = Path.Combine(AppContext.BaseDirectory, "cdx.runtimeconfig.json");
        Assert.That(File.Exists(path), Is.True, path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    [Test]
    public void CdxCompilesLoopMethodsOptimisedAtOnce()
    {
        Assert.That(ConfigProperties().GetProperty("System.Runtime.TieredCompilation.QuickJitForLoops").GetBoolean(), Is.False);
    }

    [Test]
    public void CdxRunsWithoutTieredPgo()
    {
        Assert.That(ConfigProperties().GetProperty("System.Runtime.TieredPGO").GetBoolean(), Is.False);
    }

    [Test]
    public void CdxPromotesMethodsToTier1AfterTheMostCallsTheRuntimeAcceptsCountedFromTheStart()
    {
        Assert.That(ConfigProperties().GetProperty("System.Runtime.TieredCompilation.CallCountThreshold").GetInt32(), Is.EqualTo(ushort.MaxValue));
        Assert.That(ConfigProperties().GetProperty("System.Runtime.TieredCompilation.CallCountingDelayMs").GetInt32(), Is.Zero);
    }
}
