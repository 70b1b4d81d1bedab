using SlimLLM.Models;

namespace SlimLLM.Resources;

/// <summary>
/// Peak memory of a prune and size of its output, estimated from the model's config and the calibration settings before any
/// work is done. The terms follow what the engine actually holds (see docs/manifest-reference.md, "Resource estimate"):
/// <list type="bullet">
/// <item>calibration tokens: the int64 batches and the int32 sequences, 12 bytes a token;</item>
/// <item>hidden states, held for every calibration token at once: a layer's input (d), pass A's per-head outputs (H·hd),
/// pass B's FFN activations (m) and FFN outputs (d), all in the compute dtype — the peak is at the end of pass B;</item>
/// <item>one batch's forward temporaries: q/k/v and K/V repeated to every head, gate/up/product, norms, and the attention
/// scores (B·H·T², three copies for mask and softmax), plus the float64 copies the statistics take of one batch;</item>
/// <item>the float64 statistics of one layer (head-output grams H·hd², the output covariance and scatter d², KV-group
/// contributions g²·d, fit and held-out apart), and with <c>recovery: least-squares</c> its fit of down_proj (the widest):
/// the kept channels' Gram m² and cross term m·d, fit and held-out apart, the centred Gram and its Cholesky factor;</item>
/// <item>weights: the dense layer, its pruned and stored copies and a compute copy (4 layers), and the embedding table while
/// the states restart from it;</item>
/// <item>the runtime itself (.NET, TorchSharp and libtorch loaded): <see cref="RuntimeBytes"/>.</item>
/// <item>the hidden states times <see cref="HeapFactor"/> for what the C heap keeps around them.</item>
/// </list>
/// Perplexity evaluation streams the model layer by layer (<see cref="Evaluation.StreamingPerplexity"/>): its peak is the
/// hidden states of every evaluation token (twice while a layer runs, times <see cref="HeapFactor"/>), one layer's weights,
/// the output head and one batch of windows' temporaries and logits.
/// </summary>
public sealed record PruneResourceEstimate
{
    /// <summary>
    /// Resident memory of the tool with libtorch loaded and a tiny model pruned on 2 samples: 211 MB measured (x86-64 Linux,
    /// .NET 10, TorchSharp CPU), rounded up.
    /// </summary>
    public const long RuntimeBytes = 256L << 20;

    /// <summary>
    /// Resident bytes per byte of hidden state the engine holds. The states of every calibration batch are allocated between the
    /// batch's temporaries, and the C heap does not give the holes back, so the process holds more than the live tensors:
    /// 1.5x (2,048 samples) to 1.85x (512 samples) on the tiny model. 2 bounds both.
    /// </summary>
    public const double HeapFactor = 2.0;

    /// <summary>Windows per evaluation batch (<see cref="Evaluation.Perplexity.Evaluate"/>'s default).</summary>
    public const long EvaluationBatch = 8;

    public required long CalibrationBytes { get; init; }
    public required long BatchBytes { get; init; }
    public required long StatisticsBytes { get; init; }
    public required long WeightsBytes { get; init; }
    public required long EvaluationBytes { get; init; }
    /// <summary>The pruned model's weights on disk (at most the dense model's).</summary>
    public required long OutputBytes { get; init; }

    /// <summary>Peak resident memory of the whole run: the prune or the evaluation, whichever is larger, plus the runtime.</summary>
    public long PeakBytes => RuntimeBytes + Math.Max(CalibrationBytes + BatchBytes + StatisticsBytes + WeightsBytes, EvaluationBytes);

    /// <param name="computeBytes">Bytes per element of the compute dtype (4 for float32).</param>
    /// <param name="storedBytes">Bytes per element of the checkpoint's (and the output's) dtype.</param>
    /// <param name="keptFraction">The fraction of decoder-layer parameters kept (1 - target), or null when unknown (then the dense size is the bound).</param>
    /// <param name="evaluationSeqLen">The longest evaluation window, or null when nothing is evaluated.</param>
    /// <param name="evaluationTokens">The most tokens an evaluation reads (a bound), when something is evaluated.</param>
    /// <param name="refitsWeight">Whether the recovery refits whole weights (<c>least-squares</c>).</param>
    public static PruneResourceEstimate For(ModelConfig config, long samples, long seqLen, long batchSize, int computeBytes, int storedBytes,
        double? keptFraction = null, long? evaluationSeqLen = null, long evaluationTokens = 0, bool refitsWeight = false)
    {
        long d = config.HiddenSize, hd = config.HeadDim, v = config.VocabSize;
        // The widest layer bounds every per-layer term (a pruned checkpoint's layers differ).
        long q = config.Layers.Max(l => (long)l.NumHeads) * hd, kv = config.Layers.Max(l => (long)l.NumKeyValueHeads) * hd;
        long m = config.Layers.Max(l => (long)l.IntermediateSize), heads = config.Layers.Max(l => (long)l.NumHeads);
        long groups = config.Layers.Max(l => (long)l.NumKeyValueHeads);
        long layerParams = config.Layers.Max(l => l.ParameterCount(config.HiddenSize, config.HeadDim));
        long batch = Math.Min(batchSize, samples), batchTokens = batch * seqLen;

        long tokens = samples * seqLen;
        long calibration = tokens * 12 + (long)(HeapFactor * tokens * (2 * d + q + m) * computeBytes);
        long forward = batchTokens * (4 * q + 2 * kv + 4 * m + 4 * d) * computeBytes + 3 * batch * heads * seqLen * seqLen * computeBytes;
        long statisticsCopies = 2 * batchTokens * Math.Max(Math.Max(q, m), d) * 8;
        long statistics = 8 * (2 * q * q + 2 * d * d + 2 * groups * groups * d) + (refitsWeight ? 8 * (4 * m * m + 2 * m * d) : 0);
        long weights = 4 * layerParams * computeBytes + v * d * Math.Max(computeBytes, storedBytes);
        long evaluation = evaluationSeqLen is long t
            ? (long)(HeapFactor * 2 * evaluationTokens * d * computeBytes) + 2 * layerParams * computeBytes + v * d * (computeBytes + storedBytes)
              + EvaluationBatch * t * (4 * q + 2 * kv + 4 * m + 4 * d) * computeBytes + 3 * EvaluationBatch * heads * t * t * computeBytes
              + 3 * EvaluationBatch * t * v * 4
            : 0;

        long decoder = config.DecoderParameterCount;
        long kept = keptFraction is double f ? (long)Math.Ceiling(decoder * Math.Clamp(f, 0, 1)) : decoder;
        long output = (config.ParameterCount - decoder + kept) * storedBytes;
        return new PruneResourceEstimate
        {
            CalibrationBytes = calibration,
            BatchBytes = forward + statisticsCopies,
            StatisticsBytes = statistics,
            WeightsBytes = weights,
            EvaluationBytes = evaluation,
            OutputBytes = output,
        };
    }

    /// <summary>How many calibration samples fit in <paramref name="availableBytes"/> with everything else unchanged (0 when none do).</summary>
    public long SamplesThatFit(long availableBytes, long samples)
    {
        long perSample = Math.Max(1, CalibrationBytes / Math.Max(1, samples));
        long room = availableBytes - RuntimeBytes - BatchBytes - StatisticsBytes - WeightsBytes;
        return room <= 0 ? 0 : room / perSample;
    }
}
