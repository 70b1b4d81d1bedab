using SlimLLM.Models;

namespace SlimLLM.Tuning;

/// <summary>
/// What LoRA tuning holds in memory: the whole model in the compute dtype, the adapters with their gradients and AdamW's two
/// moments (float32), the activations the backward pass needs, and the logits of one step. An estimate for refusing a run
/// that cannot fit before it starts, not an accounting.
/// </summary>
public sealed record TuningMemoryEstimate(long WeightBytes, long AdapterBytes, long ActivationBytes, long LogitBytes)
{
    public long PeakBytes => WeightBytes + AdapterBytes + ActivationBytes + LogitBytes;

    /// <summary>For the (pruned) model <paramref name="config"/> computed in elements of <paramref name="computeElementSize"/> bytes.</summary>
    public static TuningMemoryEstimate For(ModelConfig config, TuningSettings s, int computeElementSize)
    {
        long tokens = (long)s.BatchSize * s.SeqLen;
        long adapterParameters = 0, perTokenAll = 0, perTokenLargest = 0;
        for (int l = 0; l < config.NumLayers; l++)
        {
            var layer = config.Layers[l];
            long d = config.HiddenSize, q = (long)layer.NumHeads * config.HeadDim, f = layer.IntermediateSize;
            foreach (var name in s.Targets)
            {
                var shape = LoraTargets.Role(name).Shape(layer, config.HiddenSize, config.HeadDim);
                adapterParameters += (long)s.Rank * (shape[0] + shape[1]);
            }
            // The tensors autograd keeps per token (counted in docs/benchmarks.md, "tune" case, and 95% of the measured growth
            // at the LLaMA-7B shape): the layer input and the residual sum and both normalised inputs (4 d), the rotated q and
            // k, v at the query width, the attention output and its copy (5 q), gate, silu(gate), up and their product (4 f).
            long perToken = 4 * d + 5 * q + 4 * f;
            perTokenAll += perToken;
            perTokenLargest = Math.Max(perTokenLargest, perToken);
        }
        long activations = s.ActivationCheckpointing
            ? tokens * ((config.NumLayers + 1L) * config.HiddenSize + perTokenLargest) * computeElementSize
            : tokens * perTokenAll * computeElementSize;
        return new TuningMemoryEstimate(
            config.ParameterCount * computeElementSize,
            adapterParameters * 4 * 4,                         // the adapters, their gradients, AdamW's m and v
            activations,
            tokens * config.VocabSize * 4 * 3);                // float32 logits, their softmax and gradient
    }
}
