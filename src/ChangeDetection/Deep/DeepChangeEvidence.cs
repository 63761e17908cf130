namespace ChangeDetection.Deep;

/// <summary>
/// Per-pixel change evidence from pretrained features for one tile, at full tile resolution
/// (<c>Width × Height</c> pixels, row-major). For each layer <c>k</c> there are two channels:
/// <c>Channels[2k]</c>, the Euclidean distance between the two dates' normalised activation vectors (unitless,
/// in standard deviations; 0 = identical, grows with the number of channels that changed), and <c>Channels[2k + 1]</c>,
/// the cosine distance <c>1 − cos</c> (0 = same direction, 1 = orthogonal, at most 2). Both are computed on the layer's
/// feature grid and bilinearly interpolated to pixels.
/// </summary>
internal sealed class DeepChangeEvidence
{
    internal DeepChangeEvidence(IReadOnlyList<DeepLayer> layers, int width, int height, float[][] channels)
    {
        Layers = layers;
        Width = width;
        Height = height;
        Channels = channels;
        ChannelNames = layers.SelectMany(l => new[] { $"deep_{l.Name}_euclid", $"deep_{l.Name}_cosine" }).ToArray();
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<DeepLayer> Layers { get; }

    /// <summary>Tile width in pixels.</summary>
    public int Width { get; }

    /// <summary>Tile height in pixels.</summary>
    public int Height { get; }

    /// <summary><c>Layers.Count × 2</c> planes of <c>Width × Height</c> values: Euclidean then cosine distance per layer.</summary>
    public float[][] Channels { get; }

    /// <summary>A feature name per channel, e.g. <c>deep_stem_euclid</c>, <c>deep_stem_cosine</c>.</summary>
    public IReadOnlyList<string> ChannelNames { get; }

    /// <summary>Euclidean distance of layer <paramref name="layer"/> per pixel (standard deviations).</summary>
    public float[] Euclidean(int layer) => Channels[2 * layer];

    /// <summary>Cosine distance (1 − cos) of layer <paramref name="layer"/> per pixel, 0–2.</summary>
    public float[] Cosine(int layer) => Channels[2 * layer + 1];
}
