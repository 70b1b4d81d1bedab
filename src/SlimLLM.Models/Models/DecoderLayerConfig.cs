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
    public long ParameterCount(int hidden, int headDim)
    {
        long q = (long)NumHeads * headDim, kv = (long)NumKeyValueHeads * headDim, m = IntermediateSize;
        long attn = hidden * q + 2 * hidden * kv + q * hidden;
        long mlp = 3L * hidden * m;
        long bias = (Biases.Q ? q : 0) + (Biases.K ? kv : 0) + (Biases.V ? kv : 0) + (Biases.O ? hidden : 0)
                  + (Biases.Gate ? m : 0) + (Biases.Up ? m : 0) + (Biases.Down ? hidden : 0);
        return attn + mlp + bias + 2L * hidden;
    }
}

/// <summary>Which of a layer's seven projections carry a bias vector.</summary>
public sealed record ProjectionBiases(bool Q = false, bool K = false, bool V = false, bool O = false, bool Gate = false, bool Up = false, bool Down = false)
{
    public static readonly ProjectionBiases None = new();
    public bool Any => Q || K || V || O || Gate || Up || Down;
}
