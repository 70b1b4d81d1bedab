using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// A pruned model in memory: the pruned configuration and CPU weights in the checkpoint's dtype, plus everything
/// the provenance file records.
/// </summary>
public sealed class PruneResult : IDisposable
{
    public required ModelConfig DenseConfig { get; init; }
    public required ModelConfig Config { get; init; }
    /// <summary>Null when the weights were streamed to disk (<see cref="WeightsInMemory"/> false).</summary>
    public required Tensor? Embedding { get; init; }
    public required Tensor? FinalNorm { get; init; }
    /// <summary>Null when the embeddings are tied, or the weights were streamed to disk.</summary>
    public Tensor? LmHead { get; init; }
    /// <summary>Empty when the weights were streamed to disk.</summary>
    public required IReadOnlyList<DecoderLayerWeights> Layers { get; init; }
    public bool WeightsInMemory => Embedding is not null;
    public required IReadOnlyList<LayerDecision> Decisions { get; init; }
    public required PruneSettings Settings { get; init; }
    public required double MeanRatio { get; init; }
    public required int PrunedLayerCount { get; init; }
    public required double Alpha { get; init; }
    public double? TargetReduction { get; init; }
    public required long ForwardPasses { get; init; }
    public required PhaseTimings Timings { get; init; }
    public IReadOnlyList<LayerTiming> LayerTimings { get; init; } = [];
    /// <summary>
    /// The hash chain of the stored pruned layers, from the embedding through every layer: with the dense model's fingerprint
    /// it keys what is measured on the pruned model (its perplexity) without hashing the written files. Null when the run
    /// keyed nothing (dense mode without a statistics cache).
    /// </summary>
    public string? StoredLayersKey { get; init; }

    public long DecoderParametersBefore => DenseConfig.DecoderParameterCount;
    public long DecoderParametersAfter => Config.DecoderParameterCount;
    public double AchievedDecoderReduction => 1.0 - (double)DecoderParametersAfter / DecoderParametersBefore;
    public double AchievedModelReduction => 1.0 - (double)Config.ParameterCount / DenseConfig.ParameterCount;

    public void Dispose()
    {
        Embedding?.Dispose();
        FinalNorm?.Dispose();
        LmHead?.Dispose();
        foreach (var l in Layers) l.Dispose();
    }
}

public static class PruneResultExtensions
{
    /// <summary>The pruned model, resident on a device, for evaluating without writing it first.</summary>
    public static LlamaModel ToModel(this PruneResult r, Device device, ScalarType dtype, int maxPositions)
    {
        if (!r.WeightsInMemory) throw new InvalidOperationException("The pruned weights were streamed to disk; load the written model instead.");
        var embedding = r.Embedding!.to(dtype, device);
        var lmHead = r.LmHead is null ? embedding.alias() : r.LmHead.to(dtype, device);
        return new LlamaModel(r.Config, embedding, r.Layers.Select(l => l.ToCompute(device, dtype)).ToList(), r.FinalNorm!.to(dtype, device), lmHead, device, dtype, maxPositions);
    }
}
