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
            long d = config.HiddenSize, q = (long)layer.NumHeads * config.HeadDim, kv = (long)layer.NumKeyValueHeads * config.HeadDim, f = layer.IntermediateSize;
            foreach (var name in s.Targets)
            {
                var shape = LoraTargets.Role(name).Shape(layer, config.HiddenSize, config.HeadDim);
                adapterParameters += (long)s.Rank * (shape[0] + shape[1]);
            }
            // The tensors autograd keeps per token: the residual stream and both norms' inputs and outputs (~8 d), q, k, v
            // and the attention output on both sides of RoPE and o_proj (~4 q + 2 kv), gate, up, silu and their product
            // (~6 f), and the attention probabilities the CPU kernel keeps (one row of seq_len per head).
            long perToken = 8 * d + 4 * q + 2 * kv + 6 * f + (long)layer.NumHeads * s.SeqLen;
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
