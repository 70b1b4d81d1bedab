using SlimLLM.Models;

namespace SlimLLM.DevTools.Bench;

/// <summary>
/// The activation memory of LoRA tuning per decoder layer and token: measured (two peaks) and counted (the tensors the
/// backward pass keeps).
/// </summary>
public static class TuneMemory
{
    /// <summary>(peak without - peak with checkpointing) / tokens per step: what checkpointing saved, per token; null without both peaks.</summary>
    public static double? CheckpointingSavedBytesPerToken(TuneResult whole, TuneResult checkpointed) =>
        whole.Run.PeakRssBytes is long a && checkpointed.Run.PeakRssBytes is long b ? (double)(a - b) / whole.TokensPerStep : null;

    /// <summary>
    /// How the peak grows per token of a step between two runs of the same model and setting at different batch sizes:
    /// everything that does not depend on the tokens (weights, adapters, optimizer, the runtime) cancels. Null without
    /// both peaks or with equal token counts.
    /// </summary>
    public static double? PeakBytesPerToken(TuneResult smaller, TuneResult larger) =>
        smaller.Run.PeakRssBytes is long a && larger.Run.PeakRssBytes is long b && larger.TokensPerStep != smaller.TokensPerStep
            ? (double)(b - a) / (larger.TokensPerStep - smaller.TokensPerStep) : null;

    /// <summary>The float32 logits of a token, the log-softmax the loss keeps and their gradient: 3 x 4 bytes x vocab.</summary>
    public static long LogitBytesPerToken(ModelConfig config) => 3L * 4 * config.VocabSize;

    /// <summary>
    /// The whole graph's peak growth per token (<see cref="PeakBytesPerToken"/>) less <see cref="LogitBytesPerToken"/>,
    /// over the layers: the activations the backward pass keeps per layer and token.
    /// </summary>
    public static double LayerBytesPerToken(double wholeGraphPeakBytesPerToken, ModelConfig config) =>
        (wholeGraphPeakBytesPerToken - LogitBytesPerToken(config)) / config.NumLayers;

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
