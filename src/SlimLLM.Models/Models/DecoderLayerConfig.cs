namespace SlimLLM.Models;

/// <summary>
/// The sizes of one decoder layer. Pruned models differ per layer, so every layer carries its own
/// head count, KV-head count, FFN width and which projections have a bias.
/// </summary>
public sealed record DecoderLayerConfig(
    int NumHeads,
    int NumKeyValueHeads,
    int IntermediateSize,
    ProjectionBiases Biases)
{
    public int QueryHeadsPerKvHead => NumKeyValueHeads == 0 ? 0 : NumHeads / NumKeyValueHeads;

    /// <summary>Parameters in this layer's attention and MLP projections and its two norms.</summary>
    public long ParameterCount(int hidden, int headDim) =>
        LayerTensorRole.Present(this).Sum(r => r.Shape(this, hidden, headDim).Aggregate(1L, (n, size) => n * size));
}

/// <summary>Which of a layer's seven projections carry a bias vector.</summary>
public sealed record ProjectionBiases(bool Q = false, bool K = false, bool V = false, bool O = false, bool Gate = false, bool Up = false, bool Down = false)
{
    public static readonly ProjectionBiases None = new();
    public bool Any => Q || K || V || O || Gate || Up || Down;
}
