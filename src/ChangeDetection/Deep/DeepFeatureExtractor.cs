using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace ChangeDetection.Deep;

/// <summary>Settings of a <see cref="DeepFeatureExtractor"/>.</summary>
internal sealed record DeepFeatureOptions
{
    /// <summary>Path of <c>ResNet18.onnx</c>; null: <see cref="DeepFeatureExtractor.DefaultModelPath"/> (next to the program).</summary>
    public string? ModelPath { get; init; }

    /// <summary>Threads ONNX Runtime uses inside one inference (default 1: one extractor per tile worker keeps every
    /// core busy without oversubscription; raise it when a single extractor runs alone).</summary>
    public int IntraOpNumThreads { get; init; } = 1;

    /// <summary>The activations used as evidence (default <see cref="DeepLayer.Default"/>: strides 2, 4 and 8).</summary>
    public IReadOnlyList<DeepLayer> Layers { get; init; } = DeepLayer.Default;
}

/// <summary>
/// Pretrained deep change features (DCVA style): both dates of a tile go through the first stages of an ImageNet
/// ResNet-18 (the ONNX file of the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1, run with ONNX
/// Runtime on the CPU), and per chosen layer the distance between the dates' normalised activation vectors becomes a
/// per-pixel change evidence (<see cref="DeepChangeEvidence"/>).
/// </summary>
/// <remarks>
/// <para>The model is loaded once (edited in memory so that the chosen layers are outputs, any tile size is accepted
/// and the unused deeper stages are dropped) and may be used from several threads; one extractor per worker with
/// <see cref="DeepFeatureOptions.IntraOpNumThreads"/> = 1 is the intended use.</para>
/// <para>Input: tiles of at least 32 × 32 pixels, RGB in 0–255 (8-bit brightness; see <see cref="BandStretch"/> for
/// uint16 DN). The network expects BGR minus the ImageNet mean of its training (the package's
/// <c>ResNetPreprocess.onnx</c> subtracts a 224 × 224 mean image; its per-channel averages are used here so any size
/// works). A tile is padded on the right and bottom to a multiple of 16 pixels by reflection, because the strided
/// layers of this CNTK export pad asymmetrically and only stay aligned on such sizes.</para>
/// <para>Geometry: activation cell i of a stride-s layer stands for pixels [i·s, (i + 1)·s), centre i·s + (s − 1)/2,
/// so pixel x is read at feature coordinate (x + 0.5)/s − 0.5 (PyTorch's align_corners = false). The export's paddings
/// (3 before / 2 after in the stem, 1 / 0 in the strided layers) would put the receptive-field centre at i·s, but the
/// change response of a pasted square measured 0.3, 1.2 and 3.6 px (strides 2, 4, 8) down-right of that, for bright
/// and dark squares and for the image turned by 180°: the trained filters are not centred on their window, and the
/// half-cell convention matches what they see to within half a pixel.</para>
/// </remarks>
internal sealed class DeepFeatureExtractor : IDisposable
{
    /// <summary>Tiles smaller than this (pixels per side) are refused: the stride-8 layer would have too few cells.</summary>
    public const int MinTileSize = 32;

    /// <summary>Tiles are padded to a multiple of this many pixels (the largest stride of <see cref="DeepLayer.All"/>).</summary>
    public const int PadMultiple = 16;



    // Per-channel averages of MeanImage in the package's ResNetPreprocess.onnx (B, G, R order), 0–255 scale.
    private const float MeanBlue = 103.0626f;
    private const float MeanGreen = 115.9029f;
    private const float MeanRed = 123.1516f;

    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly string _inputName;
    private readonly string[] _outputNames;

    /// <summary>Where the build puts the model: <c>models/ResNet18.onnx</c> next to the program's assemblies.</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "ResNet18.onnx");

    /// <summary>
    /// Loads and edits the model. Throws <see cref="ChangeDetectionException"/> naming the file when it is missing, is not
    /// an ONNX model or lacks a requested layer.
    /// </summary>
    public DeepFeatureExtractor(DeepFeatureOptions? options = null)
    {
        options ??= new DeepFeatureOptions();
        ArgumentNullException.ThrowIfNull(options.Layers);
        if (options.Layers.Count == 0) throw new ArgumentException("at least one layer is needed");
        if (options.Layers.Any(l => l.Stride < 1 || PadMultiple % l.Stride != 0 || l.Channels < 1))
            throw new ArgumentException($"layer strides must divide {PadMultiple} and channel counts be positive");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.IntraOpNumThreads);
        Layers = options.Layers.ToArray();
        IntraOpNumThreads = options.IntraOpNumThreads;
        ModelPath = Path.GetFullPath(options.ModelPath ?? DefaultModelPath);

        if (!File.Exists(ModelPath))
            throw new ChangeDetectionException(
                $"{ModelPath}: the ResNet-18 model file for deep change features is missing. The build copies it from the NuGet " +
                "package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx) to " +
                "models/ResNet18.onnx next to the program: rebuild with `dotnet build` (after `dotnet restore`), or give the " +
                "path of ResNet18.onnx in DeepFeatureOptions.ModelPath.");

        OnnxGraphEditor.EditResult edited;
        try
        {
            edited = OnnxGraphEditor.ExposeOutputs(File.ReadAllBytes(ModelPath), Layers.Select(l => l.Tensor).ToArray());
        }
        catch (Exception e) when (e is InvalidDataException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new ChangeDetectionException(
                $"{ModelPath}: not the ResNet-18 ONNX model expected ({e.Message}); use ResNet18.onnx of the NuGet package " +
                "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1.", e);
        }
        _inputName = edited.InputName;
        _outputNames = Layers.Select(l => l.Tensor).ToArray();
        NodesKept = edited.NodesKept;

        _sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpNumThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        try
        {
            _session = new InferenceSession(edited.Model, _sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            _sessionOptions.Dispose();
            throw new ChangeDetectionException($"{ModelPath}: ONNX Runtime cannot load the edited model ({e.Message}).", e);
        }
    }

    /// <summary>The model file in use (full path).</summary>
    public string ModelPath { get; }

    /// <summary>The layers whose distances are computed, in output order.</summary>
    public IReadOnlyList<DeepLayer> Layers { get; }

    /// <summary>ONNX Runtime threads per inference.</summary>
    public int IntraOpNumThreads { get; }

    /// <summary>Pixels from a tile's border beyond which the evidence no longer depends on the border: the largest
    /// receptive radius of <see cref="Layers"/> plus one cell of interpolation (58 px for <see cref="DeepLayer.Default"/>).
    /// Tiles read with this halo (and a scene normalisation) agree with the whole scene.</summary>
    public int Halo => HaloOf(Layers);

    /// <summary><see cref="Halo"/> of an extractor of <paramref name="layers"/>, without loading the model.</summary>
    public static int HaloOf(IReadOnlyList<DeepLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return layers.Max(l => (l.ReceptiveField + 1) / 2 + l.Stride);
    }

    /// <summary>Graph nodes left after dropping what the chosen layers do not need (diagnostics).</summary>
    public int NodesKept { get; }

    /// <summary>Dimensions of the edited session's image input as ONNX Runtime reports them (−1: free).</summary>
    internal IReadOnlyList<int> InputDimensions => _session.InputMetadata[_inputName].Dimensions;

    /// <summary>Output tensor names of the loaded (edited) session, in order.</summary>
    public IReadOnlyList<string> SessionOutputNames => _session.OutputNames;

    /// <summary>The raw activations of one tile at <see cref="Layers"/> (for statistics and inspection).</summary>
    public DeepActivations Activations(RgbTile tile)
    {
        ArgumentNullException.ThrowIfNull(tile);
        using var outputs = Run([tile], out int pw, out int ph);
        var fws = Layers.Select(l => pw / l.Stride).ToArray();
        var fhs = Layers.Select(l => ph / l.Stride).ToArray();
        var values = new float[Layers.Count][];
        for (int k = 0; k < Layers.Count; k++) values[k] = outputs[k].GetTensorDataAsSpan<float>().ToArray();
        return new DeepActivations(Layers, tile.Width, tile.Height, fws, fhs, values);
    }

    /// <summary>
    /// Change evidence between two co-registered tiles of the same size (pixels): both dates are run as one batch of
    /// two, activations are normalised with <paramref name="normalization"/> (null: mean and std per channel over the
    /// valid cells of both dates of this tile), and per layer the Euclidean and cosine distances are interpolated to
    /// every pixel.
    /// </summary>
    /// <remarks>
    /// The evidence depends on the tile's surroundings (receptive fields up to 99 px) and, without
    /// <paramref name="normalization"/>, on the tile's content statistics. For results that do not depend on the tiling,
    /// pass one normalisation for the scene (<see cref="DeepNormalizationBuilder"/> over a sample of tiles of both
    /// dates), put tile origins on multiples of <see cref="PadMultiple"/> pixels (so the feature grids line up) and
    /// keep only the pixels at least <see cref="Halo"/> pixels inside the tile.
    /// </remarks>
    public DeepChangeEvidence Compute(RgbTile before, RgbTile after, DeepNormalization? normalization = null)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.Width != after.Width || before.Height != after.Height)
            throw new ArgumentException($"the two dates' tiles differ in size ({before.Width} × {before.Height} and {after.Width} × {after.Height} pixels)");
        if (normalization is not null && !normalization.Layers.SequenceEqual(Layers))
            throw new ArgumentException("the normalisation was computed for other layers");

        int width = before.Width, height = before.Height;
        // The activations are read where ONNX Runtime wrote them (batch item 0 = before, 1 = after), without copies.
        using var outputs = Run([before, after], out int pw, out int ph);
        if (normalization is null)
        {
            var builder = new DeepNormalizationBuilder(Layers);
            for (int k = 0; k < Layers.Count; k++)
            {
                int fw = pw / Layers[k].Stride, fh = ph / Layers[k].Stride;
                int vw = (width + Layers[k].Stride - 1) / Layers[k].Stride, vh = (height + Layers[k].Stride - 1) / Layers[k].Stride;
                var data = outputs[k].GetTensorDataAsSpan<float>();
                int per = Layers[k].Channels * fw * fh;
                builder.Add(k, data[..per], fw, fh, vw, vh);
                builder.Add(k, data.Slice(per, per), fw, fh, vw, vh);
            }
            normalization = builder.Build();
        }

        var channels = new float[Layers.Count * 2][];
        for (int k = 0; k < Layers.Count; k++)
        {
            int fw = pw / Layers[k].Stride, fh = ph / Layers[k].Stride;
            int cells = fw * fh, per = Layers[k].Channels * cells;
            var data = outputs[k].GetTensorDataAsSpan<float>();
            var euclid = new float[cells];
            var cosine = new float[cells];
            Distances(data[..per], data.Slice(per, per), Layers[k].Channels, cells, normalization.Mean[k], normalization.Std[k], euclid, cosine);
            channels[2 * k] = Upsample(euclid, fw, fh, Layers[k].Stride, width, height);
            channels[2 * k + 1] = Upsample(cosine, fw, fh, Layers[k].Stride, width, height);
        }
        return new DeepChangeEvidence(Layers, width, height, channels);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose()
    {
        _session.Dispose();
        _sessionOptions.Dispose();
    }

    // Runs the tiles as one batch and checks the output shapes; the caller disposes the outputs.
    private IDisposableReadOnlyCollection<OrtValue> Run(RgbTile[] tiles, out int pw, out int ph)
    {
        int width = tiles[0].Width, height = tiles[0].Height;
        if (width < MinTileSize || height < MinTileSize)
            throw new ArgumentException($"tiles must be at least {MinTileSize} × {MinTileSize} pixels (got {width} × {height})");
        pw = (width + PadMultiple - 1) / PadMultiple * PadMultiple;
        ph = (height + PadMultiple - 1) / PadMultiple * PadMultiple;
        int plane = pw * ph;
        var input = new float[tiles.Length * 3 * plane];
        for (int n = 0; n < tiles.Length; n++)
        {
            // BGR order, as the network was trained (CNTK/Caffe convention).
            FillPadded(tiles[n].Blue, width, height, pw, ph, MeanBlue, input.AsSpan((n * 3 + 0) * plane, plane));
            FillPadded(tiles[n].Green, width, height, pw, ph, MeanGreen, input.AsSpan((n * 3 + 1) * plane, plane));
            FillPadded(tiles[n].Red, width, height, pw, ph, MeanRed, input.AsSpan((n * 3 + 2) * plane, plane));
        }

        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [tiles.Length, 3, ph, pw]);
        using var runOptions = new RunOptions();
        var outputs = _session.Run(runOptions, [_inputName], [inputValue], _outputNames);
        for (int k = 0; k < Layers.Count; k++)
        {
            var shape = outputs[k].GetTensorTypeAndShape().Shape;
            int expectedW = pw / Layers[k].Stride, expectedH = ph / Layers[k].Stride;
            if (shape.Length != 4 || shape[0] != tiles.Length || shape[1] != Layers[k].Channels || shape[2] != expectedH || shape[3] != expectedW)
            {
                outputs.Dispose();
                throw new ChangeDetectionException(
                    $"{ModelPath}: layer {Layers[k].Tensor} has shape [{string.Join(", ", shape)}], expected " +
                    $"[{tiles.Length}, {Layers[k].Channels}, {expectedH}, {expectedW}]: not the ResNet-18 model this code was written for.");
            }
        }
        return outputs;
    }

    // Copies one band minus its mean into a pw × ph plane, mirroring the last rows/columns (reflection without repeating
    // the edge, as numpy's "reflect") so the padding looks like more of the same ground rather than a hard border.
    private static void FillPadded(float[] band, int width, int height, int pw, int ph, float mean, Span<float> plane)
    {
        for (int y = 0; y < ph; y++)
        {
            int sy = y < height ? y : 2 * (height - 1) - y;
            var src = band.AsSpan(sy * width, width);
            var dst = plane.Slice(y * pw, pw);
            for (int x = 0; x < width; x++) dst[x] = src[x] - mean;
            for (int x = width; x < pw; x++) dst[x] = src[2 * (width - 1) - x] - mean;
        }
    }

    // Per cell, over channels: z = (a − mean) / std for both dates, then Σ(za − zb)², Σ za·zb, Σ za², Σ zb², channel by
    // channel with SIMD span arithmetic (float; sums of at most a few hundred terms), then the two distances per cell.
    private static void Distances(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int channels, int cells, float[] mean, float[] std, float[] euclid, float[] cosine)
    {
        var za = new float[cells];
        var zb = new float[cells];
        var d = new float[cells];
        var sumSq = new float[cells];
        var dot = new float[cells];
        var normA = new float[cells];
        var normB = new float[cells];
        for (int c = 0; c < channels; c++)
        {
            float inv = 1f / std[c];
            TensorPrimitives.Subtract(a.Slice(c * cells, cells), mean[c], za);
            TensorPrimitives.Multiply(za, inv, za);
            TensorPrimitives.Subtract(b.Slice(c * cells, cells), mean[c], zb);
            TensorPrimitives.Multiply(zb, inv, zb);
            TensorPrimitives.Subtract(za, zb, d);
            TensorPrimitives.MultiplyAdd(d, d, sumSq, sumSq);
            TensorPrimitives.MultiplyAdd(za, zb, dot, dot);
            TensorPrimitives.MultiplyAdd(za, za, normA, normA);
            TensorPrimitives.MultiplyAdd(zb, zb, normB, normB);
        }
        for (int i = 0; i < cells; i++)
        {
            euclid[i] = MathF.Sqrt(sumSq[i]);
            // Products of two floats are exact in double: identical dates give exactly 0.
            double denominator = Math.Sqrt((double)normA[i] * normB[i]);
            // A zero vector (every channel exactly at its mean) has no direction: call it unchanged only if the other is too.
            cosine[i] = denominator > 1e-12
                ? (float)Math.Clamp(1.0 - dot[i] / denominator, 0.0, 2.0)
                : (normA[i] + normB[i] > 1e-12 ? 1f : 0f);
        }
    }

    // Bilinear interpolation of a fw × fh grid to width × height pixels, pixel x read at grid coordinate
    // (x + 0.5) / stride − 0.5 (see the remarks on geometry); coordinates are clamped to the grid.
    private static float[] Upsample(float[] grid, int fw, int fh, int stride, int width, int height)
    {
        var output = new float[width * height];
        var x0 = new int[width];
        var x1 = new int[width];
        var wx = new float[width];
        for (int x = 0; x < width; x++)
        {
            float f = Math.Clamp((x + 0.5f) / stride - 0.5f, 0f, fw - 1);
            int i = (int)f;
            x0[x] = i;
            x1[x] = Math.Min(i + 1, fw - 1);
            wx[x] = Math.Min(f - i, 1f);
        }
        for (int y = 0; y < height; y++)
        {
            float f = Math.Clamp((y + 0.5f) / stride - 0.5f, 0f, fh - 1);
            int j0 = (int)f;
            int j1 = Math.Min(j0 + 1, fh - 1);
            float wy = Math.Min(f - j0, 1f);
            var r0 = grid.AsSpan(j0 * fw, fw);
            var r1 = grid.AsSpan(j1 * fw, fw);
            var dst = output.AsSpan(y * width, width);
            for (int x = 0; x < width; x++)
            {
                float top = r0[x0[x]] + (r0[x1[x]] - r0[x0[x]]) * wx[x];
                float bottom = r1[x0[x]] + (r1[x1[x]] - r1[x0[x]]) * wx[x];
                dst[x] = top + (bottom - top) * wy;
            }
        }
        return output;
    }
}
