using System.Collections.Concurrent;
using ChangeDetection.Synthetic;

namespace ChangeDetection.Tests.Classification;

/// <summary>
/// Labelled patches of the synthetic regions several classifier fixtures train on (1024 px, 2 workers, the default
/// tile and minimum area): each seed is generated and detected once, on first use (a fixture that asks while another
/// builds it waits), and its folder deleted when the test run ends (<see cref="SharedTempDirs"/>). Read-only.
/// </summary>
internal static class SyntheticSamples
{
    public static readonly SyntheticTrainingOptions Options = new() { Size = 1024, Workers = 2 };

    private static readonly Lazy<TempDir> Dir = new(SharedTempDirs.Create);
    private static readonly ConcurrentDictionary<long, Lazy<IReadOnlyList<SyntheticPatchSample>>> BySeed = new();

    /// <summary>The patches of the region of <paramref name="seed"/>, as <see cref="SyntheticTrainingData.Build"/> gives them with <see cref="Options"/>.</summary>
    public static IReadOnlyList<SyntheticPatchSample> Of(long seed) =>
        BySeed.GetOrAdd(seed, s => new Lazy<IReadOnlyList<SyntheticPatchSample>>(() => SyntheticTrainingData.Build(Dir.Value.File($"seed{s}"), s, Options))).Value;
}
