namespace ChangeDetection.Deep;

/// <summary>
/// One activation tensor of the pretrained ResNet-18 used as change evidence: the ONNX tensor name, its channel count
/// and its stride (input pixels per activation cell along each axis; activation cell i stands for pixels
/// <c>[i × Stride, (i + 1) × Stride)</c>, see <see cref="DeepFeatureExtractor"/>).
/// </summary>
/// <param name="Name">Short name used in feature names, e.g. <c>stem</c>.</param>
/// <param name="Tensor">Tensor name in <c>ResNet18.onnx</c>, e.g. <c>ReLU253_Output_0</c>.</param>
/// <param name="Channels">Number of channels of the activation.</param>
/// <param name="Stride">Input pixels per activation cell (2, 4, 8 or 16).</param>
/// <param name="ReceptiveField">Side of the square of input pixels that one activation cell sees (pixels).</param>
public sealed record DeepLayer(string Name, string Tensor, int Channels, int Stride, int ReceptiveField)
{
    /// <summary>After the 7 × 7 stride-2 convolution, batch norm and ReLU: 64 channels at 1/2 resolution (receptive field 7 px).</summary>
    public static DeepLayer Stem { get; } = new("stem", "ReLU253_Output_0", 64, 2, 7);

    /// <summary>End of the first residual stage (conv2_x): 64 channels at 1/4 resolution (receptive field 43 px).</summary>
    public static DeepLayer Stage1 { get; } = new("stage1", "ReLU283_Output_0", 64, 4, 43);

    /// <summary>End of the second residual stage (conv3_x): 128 channels at 1/8 resolution (receptive field 99 px).</summary>
    public static DeepLayer Stage2 { get; } = new("stage2", "ReLU315_Output_0", 128, 8, 99);

    /// <summary>End of the third residual stage (conv4_x): 256 channels at 1/16 resolution (receptive field 211 px). Not in
    /// <see cref="Default"/>: too coarse for 0.5–2 m building changes and it roughly doubles the cost.</summary>
    public static DeepLayer Stage3 { get; } = new("stage3", "ReLU347_Output_0", 256, 16, 211);

    /// <summary>The stride 2–8 layers: <see cref="Stem"/>, <see cref="Stage1"/>, <see cref="Stage2"/>.</summary>
    public static IReadOnlyList<DeepLayer> Default { get; } = [Stem, Stage1, Stage2];

    /// <summary>Every layer this component knows.</summary>
    public static IReadOnlyList<DeepLayer> All { get; } = [Stem, Stage1, Stage2, Stage3];
}
