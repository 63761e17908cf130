using System.CommandLine;
using ChangeDetection.Detection;
using ChangeDetection.Kernels;

namespace ChangeDetection.Cli.Commands;

/// <summary>The detection options shared by <c>detect</c> and <c>eval</c> (<paramref name="command"/>, named in usage errors).</summary>
internal sealed class DetectionOptionsBinding(string command)
{
    // The defaults are the options record's own, so the CLI and a region config cannot disagree.
    private static readonly ChangeDetectionOptions Defaults = new();
    private readonly Option<int> _tile = new("--tile") { Description = "Tile edge in pixels (multiple of 16); a speed knob, results do not depend on it.", DefaultValueFactory = _ => Defaults.TileSize };
    private readonly Option<string> _threshold = new("--threshold") { Description = "auto (default: the lower of Otsu's and Kittler–Illingworth's thresholds), otsu, ki, a fixed score such as 2.5, or a percentile such as p97.", DefaultValueFactory = _ => "auto" };
    private readonly Option<int> _open = new("--open") { Description = "Opening radius in pixels (removes specks).", DefaultValueFactory = _ => Defaults.OpenRadius };
    private readonly Option<int> _close = new("--close") { Description = "Closing radius in pixels (fills gaps).", DefaultValueFactory = _ => Defaults.CloseRadius };
    private readonly Option<int?> _smooth = new("--smooth") { Description = "Neighbourhood mean radius in pixels applied to both dates before differencing (default: about 1 m of ground)." };
    private readonly Option<float?> _ndvi = new("--ndvi-weight") { Description = "Weight of the NDVI change term (default 1 when red and NIR exist)." };
    private readonly Option<float?> _water = new("--water-weight") { Description = "Weight of the water-index change term (default 1 when green and NIR exist)." };
    private readonly Option<string> _normalization = new("--normalization") { Description = "invariant (default: fitted on the pixels that did not change, scored in units of the no-change noise) or meanstd (every pixel's mean and spread).", DefaultValueFactory = _ => "invariant" };
    private readonly Option<bool> _register = new("--register") { Description = "Read the after image shifted by its estimated misregistration (phase correlation; the shift is always estimated and reported, but applied only with this switch)." };
    private readonly Option<int> _workers = new("--workers") { Description = "Tiles processed at once (default: number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _tile, _threshold, _open, _close, _smooth, _ndvi, _water, _normalization, _register, _workers }) command.Options.Add(o);
    }

    /// <summary>The options as given; a bad value is a usage error naming the command's help.</summary>
    public ChangeDetectionOptions Bind(ParseResult r)
    {
        try
        {
            var options = new ChangeDetectionOptions
            {
                TileSize = r.GetValue(_tile),
                Threshold = ParseThreshold(r.GetValue(_threshold)!),
                OpenRadius = r.GetValue(_open),
                CloseRadius = r.GetValue(_close),
                SmoothRadius = r.GetValue(_smooth),
                Workers = r.GetValue(_workers),
                NdviWeight = r.GetValue(_ndvi),
                WaterWeight = r.GetValue(_water),
                Register = r.GetValue(_register),
                Normalization = ParseNormalization(r.GetValue(_normalization)!),
            };
            options.Validate();
            return options;
        }
        catch (ChangeDetectionException e)
        {
            throw Usage.Error(command, e.Message);
        }
    }

    private static RadiometricFit ParseNormalization(string text)
    {
        try
        {
            return RadiometricFitText.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ChangeDetectionException($"--normalization {e.Message}");
        }
    }

    internal static ThresholdRule ParseThreshold(string text)
    {
        try
        {
            return ThresholdText.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ChangeDetectionException($"--threshold {e.Message}");
        }
    }
}
