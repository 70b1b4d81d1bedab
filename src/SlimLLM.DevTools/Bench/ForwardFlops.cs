using SlimLLM.Models;

namespace SlimLLM.DevTools.Bench;

/// <summary>
/// Floating-point operations of the dense calibration forward pass through decoder layers, counted the usual way: 2 per
/// multiply-add of every projection weight (q, k, v, o, gate, up, down) per token, plus the attention products
/// (Q K^T and scores x V over full seq_len x seq_len blocks: 4 * tokens * seq_len * heads * head_dim). Norms, RoPE,
/// softmax and activations are left out (a fraction of a percent at LLaMA shapes).
/// </summary>
public static class ForwardFlops
{
    public static long ProjectionParameters(DecoderLayerConfig layer, int hidden, int headDim)
    {
        long q = (long)layer.NumHeads * headDim, kv = (long)layer.NumKeyValueHeads * headDim;
        return hidden * q + 2 * hidden * kv + q * hidden + 3L * hidden * layer.IntermediateSize;
    }

    public static long Layer(DecoderLayerConfig layer, int hidden, int headDim, int samples, int seqLen)
    {
        long tokens = (long)samples * seqLen;
        return 2 * ProjectionParameters(layer, hidden, headDim) * tokens + 4 * tokens * seqLen * layer.NumHeads * headDim;
    }

    /// <summary>The FLOPs of the given decoder layers of <paramref name="config"/> over samples x seqLen tokens.</summary>
    public static long Layers(ModelConfig config, IEnumerable<int> layers, int samples, int seqLen) =>
        layers.Sum(l => Layer(config.Layers[l], config.HiddenSize, config.HeadDim, samples, seqLen));
}
