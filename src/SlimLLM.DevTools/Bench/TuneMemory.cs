using SlimLLM.Models;

namespace SlimLLM.DevTools.Bench;

/// <summary>
/// The activation memory of LoRA tuning per decoder layer and token: measured (two peaks) and counted (the tensors the
/// backward pass keeps).
/// </summary>
public static class TuneMemory
{
    /// <summary>
    /// (peak whole graph - peak checkpointed) / ((layers - 1) x tokens per step): without checkpointing the backward pass
    /// keeps every layer's activations, with it one layer's (the one being recomputed) plus each layer's input, so the
    /// difference is about layers - 1 layers' worth. Null without both peaks or with fewer than two layers.
    /// </summary>
    public static double? MeasuredBytesPerLayerToken(TuneResult whole, TuneResult checkpointed)
    {
        int layers = whole.Config.NumLayers;
        if (whole.Run.PeakRssBytes is not long a || checkpointed.Run.PeakRssBytes is not long b || layers < 2) return null;
        return (double)(a - b) / ((layers - 1) * (long)whole.TokensPerStep);
    }

    /// <summary>
    /// The float32 values per token the backward pass keeps for one decoder layer under LoRA adapters on all seven
    /// projections with frozen weights, when every tensor is float32 (the CPU): 4 x hidden (the layer input and the
    /// residual sum, kept by the two RMS norms, and the two normalised inputs, kept by the adapters' A), 5 x heads x head_dim
    /// (the rotated q and k, v, the attention output the fused kernel keeps, and its contiguous copy that o_proj's adapter
    /// keeps; grouped K/V count at the query heads' width, as repeated for the kernel) and 4 x FFN (gate, silu(gate), up and
    /// their product). A frozen projection keeps no input; the adapters' rank-wide products are negligible.
    /// </summary>
    public static long Float32ValuesPerToken(ModelConfig config, int layer)
    {
        var l = config.Layers[layer];
        return 4L * config.HiddenSize + 5L * l.NumHeads * config.HeadDim + 4L * l.IntermediateSize;
    }

    /// <summary><see cref="Float32ValuesPerToken"/> in bytes, averaged over the model's layers.</summary>
    public static double CountedBytesPerLayerToken(ModelConfig config) =>
        Enumerable.Range(0, config.NumLayers).Average(l => 4.0 * Float32ValuesPerToken(config, l));
}
