using SlimLLM.Compute;
using SlimLLM.Models;
using SlimLLM.Progress;
using SlimLLM.Pruning.Engine;
using static TorchSharp.torch;

namespace SlimLLM.Evaluation;

/// <summary>
/// <see cref="Perplexity"/> of a model that is never loaded whole: the hidden states of every evaluation window are carried
/// from layer to layer through the pruning engine's <see cref="HiddenStates"/>, one layer's weights on the device at a time,
/// then the final norm and the output head give each batch's logits. Peak memory: one layer, the embedding table or the head,
/// the states of all windows (tokens x hidden size in the compute dtype, twice while a layer runs) and one batch's logits.
/// Batches of windows are those of <see cref="Perplexity.Evaluate"/>, so both give the same numbers.
/// </summary>
public static class StreamingPerplexity
{
    public static PerplexityResult Evaluate(IModelSource source, int[] tokens, int seqLen, ComputeDevice compute, int batchSize = 8,
        IProgressReporter? progress = null, string phase = "perplexity")
    {
        var config = source.Config;
        var batches = Perplexity.WindowBatches(tokens, seqLen, batchSize);
        try
        {
            using var noGrad = no_grad();
            using var rope = new RotaryEmbedding(config, Math.Max(seqLen, 128), compute.Device, compute.DType);
            using var hidden = new HiddenStates(batches, source.LoadEmbedding, compute, rope, config, new ForwardPassCounter(), new PhaseTimings());
            progress?.Report(phase, 0, config.NumLayers + 1);
            IReadOnlyList<Tensor> states = [];
            for (int l = 0; l < config.NumLayers; l++)
            {
                states = hidden.At(l + 1, null, source);
                progress?.Report(phase, l + 1, config.NumLayers + 1);
            }
            using var finalNorm = OnDevice(source.LoadFinalNorm(), compute);
            using var lmHead = OnDevice(config.TieWordEmbeddings ? source.LoadEmbedding() : source.LoadLmHead(), compute);
            var nll = new Perplexity.NllSum(seqLen);
            for (int b = 0; b < batches.Count; b++)
            {
                using var scope = NewDisposeScope();
                nll.Add(LlamaModel.Head(states[b], finalNorm, lmHead, config), batches[b]);
            }
            progress?.Report(phase, config.NumLayers + 1, config.NumLayers + 1);
            return nll.Result();
        }
        finally
        {
            foreach (var ids in batches) ids.Dispose();
        }
    }

    private static Tensor OnDevice(Tensor t, ComputeDevice compute)
    {
        using (t) return t.to(compute.DType, compute.Device);
    }
}
