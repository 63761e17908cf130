using System.Numerics.Tensors;

namespace ChangeDetection.Deep;

/// <summary>
/// The activations of one tile at the chosen layers, as the network produced them (before any normalisation).
/// Layer <c>k</c> is a planar <c>Channels × FeatureHeight × FeatureWidth</c> array; activation cell (i, j) stands for
/// the <c>Stride × Stride</c> pixels from (i × Stride, j × Stride). The feature grid covers the tile padded to a
/// multiple of 16 pixels (reflection), so it may extend past the tile: <see cref="ValidWidth"/> and
/// <see cref="ValidHeight"/> give the cells that start inside the tile.
/// </summary>
internal sealed class DeepActivations
{
    internal DeepActivations(IReadOnlyList<DeepLayer> layers, int width, int height, int[] featureWidth, int[] featureHeight, float[][] values)
    {
        Layers = layers;
        Width = width;
        Height = height;
        FeatureWidth = featureWidth;
        FeatureHeight = featureHeight;
        Values = values;
    }

    /// <summary>The layers, in the order of the arrays below.</summary>
    public IReadOnlyList<DeepLayer> Layers { get; }

    /// <summary>Tile width in pixels.</summary>
    public int Width { get; }

    /// <summary>Tile height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width of each layer's feature grid in cells (padded tile width / stride).</summary>
    public IReadOnlyList<int> FeatureWidth { get; }

    /// <summary>Height of each layer's feature grid in cells (padded tile height / stride).</summary>
    public IReadOnlyList<int> FeatureHeight { get; }

    /// <summary>Per layer, <c>Channels × FeatureHeight × FeatureWidth</c> activations, channel-major.</summary>
    public IReadOnlyList<float[]> Values { get; }

    /// <summary>Cells of layer <paramref name="layer"/> along x that start inside the tile: ceil(Width / stride).</summary>
    public int ValidWidth(int layer) => (Width + Layers[layer].Stride - 1) / Layers[layer].Stride;

    /// <summary>Cells of layer <paramref name="layer"/> along y that start inside the tile: ceil(Height / stride).</summary>
    public int ValidHeight(int layer) => (Height + Layers[layer].Stride - 1) / Layers[layer].Stride;
}

/// <summary>
/// Per layer and channel, the mean and standard deviation used to normalise activations before distances are taken.
/// Both dates must use the same values: normalising each date by its own statistics would erase a change that shifts
/// a whole tile (e.g. new roofs everywhere). Build one for a scene with <see cref="DeepNormalizationBuilder"/>, or let
/// <see cref="DeepFeatureExtractor.Compute"/> compute it per tile from both dates.
/// </summary>
public sealed class DeepNormalization
{
    /// <summary>Per layer, one mean and one standard deviation per channel (activation units); std must be &gt; 0.</summary>
    public DeepNormalization(IReadOnlyList<DeepLayer> layers, IReadOnlyList<float[]> mean, IReadOnlyList<float[]> std)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != layers.Count || std.Count != layers.Count)
            throw new ArgumentException("one mean and one std array per layer are needed");
        for (int k = 0; k < layers.Count; k++)
        {
            if (mean[k].Length != layers[k].Channels || std[k].Length != layers[k].Channels)
                throw new ArgumentException($"layer {layers[k].Name} has {layers[k].Channels} channels: mean and std need that many values");
            foreach (var s in std[k])
                if (!(s > 0) || !float.IsFinite(s)) throw new ArgumentException($"layer {layers[k].Name}: standard deviations must be finite and > 0");
        }
        Layers = layers;
        Mean = mean;
        Std = std;
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<DeepLayer> Layers { get; }

    /// <summary>Per layer, the channel means.</summary>
    public IReadOnlyList<float[]> Mean { get; }

    /// <summary>Per layer, the channel standard deviations (floored, see <see cref="DeepNormalizationBuilder"/>).</summary>
    public IReadOnlyList<float[]> Std { get; }
}

/// <summary>
/// Accumulates channel means and standard deviations over the valid cells of any number of tiles' activations (add
/// tiles of both dates). <see cref="Build"/> floors each standard deviation at 1 % of the layer's mean channel std:
/// nearly dead ReLU channels would otherwise be blown up into noise that dominates the distances.
/// </summary>
internal sealed class DeepNormalizationBuilder
{
    private readonly IReadOnlyList<DeepLayer> _layers;
    private readonly double[][] _sum;
    private readonly double[][] _sumSquares;
    private long[] _count;

    /// <summary>An empty accumulator for <paramref name="layers"/>.</summary>
    public DeepNormalizationBuilder(IReadOnlyList<DeepLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        _layers = layers;
        _sum = layers.Select(l => new double[l.Channels]).ToArray();
        _sumSquares = layers.Select(l => new double[l.Channels]).ToArray();
        _count = new long[layers.Count];
    }

    /// <summary>Adds the valid cells of one tile's activations.</summary>
    public void Add(DeepActivations activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.Layers.Count != _layers.Count || !activations.Layers.SequenceEqual(_layers))
            throw new ArgumentException("the activations were computed for other layers");
        for (int k = 0; k < _layers.Count; k++)
            Add(k, activations.Values[k], activations.FeatureWidth[k], activations.FeatureHeight[k], activations.ValidWidth(k), activations.ValidHeight(k));
    }

    /// <summary>Adds the top-left <paramref name="validWidth"/> × <paramref name="validHeight"/> cells of each channel
    /// of one layer's <c>Channels × height × width</c> activations.</summary>
    internal void Add(int layer, ReadOnlySpan<float> values, int width, int height, int validWidth, int validHeight)
    {
        int plane = width * height;
        for (int c = 0; c < _layers[layer].Channels; c++)
        {
            var channel = values.Slice(c * plane, plane);
            double s = 0, ss = 0;
            // Float sums within a row (at most a few hundred cells), double across rows: SIMD speed, no drift.
            for (int y = 0; y < validHeight; y++)
            {
                var row = channel.Slice(y * width, validWidth);
                s += TensorPrimitives.Sum(row);
                ss += TensorPrimitives.SumOfSquares(row);
            }
            _sum[layer][c] += s;
            _sumSquares[layer][c] += ss;
        }
        _count[layer] += (long)validWidth * validHeight;
    }

    /// <summary>The normalisation from everything added so far.</summary>
    public DeepNormalization Build()
    {
        if (_count.Any(c => c == 0)) throw new InvalidOperationException("no activations were added");
        var means = new float[_layers.Count][];
        var stds = new float[_layers.Count][];
        for (int k = 0; k < _layers.Count; k++)
        {
            int channels = _layers[k].Channels;
            means[k] = new float[channels];
            var raw = new double[channels];
            for (int c = 0; c < channels; c++)
            {
                double mean = _sum[k][c] / _count[k];
                means[k][c] = (float)mean;
                raw[c] = Math.Sqrt(Math.Max(0, _sumSquares[k][c] / _count[k] - mean * mean));
            }
            double floor = Math.Max(0.01 * raw.Average(), 1e-6);
            stds[k] = raw.Select(s => (float)Math.Max(s, floor)).ToArray();
        }
        return new DeepNormalization(_layers, means, stds);
    }

    /// <summary>Forgets everything added.</summary>
    public void Clear()
    {
        foreach (var a in _sum) Array.Clear(a);
        foreach (var a in _sumSquares) Array.Clear(a);
        _count = new long[_layers.Count];
    }
}
