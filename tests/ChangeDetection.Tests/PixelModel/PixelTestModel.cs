using ChangeDetection.Evaluation;
using ChangeDetection.PixelModel;

namespace ChangeDetection.Tests.PixelModel;

/// <summary>
/// The pixel model the pixel-model fixtures share: trained with the default options on every labelled pixel of three
/// small synthetic pairs (<see cref="PixelTestPairs"/> seeds 1, 2 and 3: 128², blue, green, red, NIR) and saved next to
/// them. The deep features make each training cost seconds, so it is made once, on first use (a fixture that asks while
/// another trains it waits), and deleted when the test run ends (<see cref="SharedTempDirs"/>). Read-only.
/// </summary>
internal static class PixelTestModel
{
    /// <summary>Every labelled pixel of a 128² pair (fewer than this per class).</summary>
    public static readonly PixelSamplingOptions AllPixels = new() { MaxPerClass = 100_000 };

    private sealed record Trained(IReadOnlyList<PixelPair> Training, PixelChangeModel Model, string Path);

    private static readonly Lazy<Trained> Shared = new(() =>
    {
        var dir = SharedTempDirs.Create();
        var training = new[] { 1, 2, 3 }.Select(s => PixelModelEvaluation.Prepare(PixelTestPairs.Write(dir, $"train{s}", s), AllPixels)).ToList();
        var model = PixelChangeModel.Train([.. training.Select(p => p.Samples)]);
        string path = dir.File("pixel.zip");
        model.Save(path);
        return new Trained(training, model, path);
    });

    /// <summary>The three training pairs with their drawn pixels.</summary>
    public static IReadOnlyList<PixelPair> Training => Shared.Value.Training;

    /// <summary>The trained model (tests use it one at a time: only <see cref="PixelChangeModelTests"/> predicts with it).</summary>
    public static PixelChangeModel Model => Shared.Value.Model;

    /// <summary>The model's zip.</summary>
    public static string ModelPath => Shared.Value.Path;
}
