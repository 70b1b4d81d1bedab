using SlimLLM.Caching;
using SlimLLM.Compute;
using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Prunes the layers one at a time, in order: a layer's statistics (cached, or from its calibration passes), the selection and
/// recovery of <see cref="LayerPruner"/>, its stored weights handed to the store, and (sequential mode) the hidden states
/// brought through it for the next layer, whose statistics are keyed by the chain of stored layers before it.
/// </summary>
internal sealed class LayerPipeline(IModelSource source, ComputeDevice compute, PruneSettings settings, LayerPruner pruner, ModelConfig planned,
    HiddenStates hidden, IPrunedLayerStore store, StatisticsKeys keys, CachedStatistics statistics, IStatisticsCache cache, int fitBatches,
    PhaseTimings timings, DevicePlacement placement)
{
    private readonly ModelConfig _config = source.Config;
    private readonly bool _sequential = settings.Mode == CalibrationMode.Sequential;
    private string _inputs = settings.Mode == CalibrationMode.Sequential ? StatisticsKeys.Embedding : StatisticsKeys.Dense;
    private readonly bool _keyed = settings.Mode == CalibrationMode.Sequential || cache is not NoStatisticsCache;
    private string? _stored = StatisticsKeys.Embedding;

    /// <summary>
    /// The chain of the stored layers so far (<see cref="StatisticsKeys.After"/> from the embedding): what the pruned model's
    /// layers are, for keying what is measured on it. Null when nothing is keyed (dense mode without a cache).
    /// </summary>
    public string? StoredChain => _keyed ? _stored : null;

    /// <summary>Prunes layer <paramref name="l"/> at <paramref name="ratio"/>; the store takes its stored weights.</summary>
    public (DecoderLayerConfig Config, LayerDecision Decision) Run(int l, double ratio, double similarity)
    {
        using var w = timings.Time("load", () => source.LoadLayer(l, compute.Device, compute.DType));
        var (pruned, prunedConfig, decision) = pruner.Prunes(_config.Layers[l], ratio) ? Prune(l, w, ratio, similarity) : KeepDense(l, w, similarity);
        placement.Require($"layer {l} pruned weights", pruned.Named());
        // The stored (checkpoint-dtype) weights are what the next layer sees, with or without the cache.
        // The dense layer goes first (the pruned one holds copies, or aliases that keep what they need): one dense
        // layer resident at a time, never beside both the pruned layer and its stored copy.
        w.Dispose();
        var stored = timings.Time("write", () => { using (pruned) return pruned.To(CPU, PruningEngine.StoredDtype(_config)); });
        if (!prunedConfig.Equals(planned.Layers[l]))
            throw new InvalidOperationException($"layer {l} was pruned to {prunedConfig}, not to the planned {planned.Layers[l]}.");
        var storedHash = _keyed ? CacheKey.HashTensors(stored.Named()) : null;
        hidden.Pruned(l, prunedConfig);
        if (_sequential && l + 1 < _config.NumLayers) hidden.AdvanceThrough(l, stored, prunedConfig);
        timings.Time("write", () => store.Add(l, stored));
        if (_keyed) _stored = StatisticsKeys.After(_stored!, storedHash!);
        if (_sequential) _inputs = _stored!;
        return (prunedConfig, decision);
    }

    private (DecoderLayerWeights, DecoderLayerConfig, LayerDecision) KeepDense(int l, DecoderLayerWeights w, double similarity)
    {
        var layer = _config.Layers[l];
        if (!_sequential)
        {
            // Dense-mode statistics do not depend on any ratio: take them for unpruned layers too, so that a later change of
            // target (which may start pruning this layer) reuses them.
            using var passes = Passes(l, w);
            using (var a = statistics.Attention(keys.Attention(l, _inputs), passes.AttentionStatistics)) placement.Require($"layer {l} attention statistics", a.State());
            using (var f = statistics.Ffn(keys.Ffn(l, _inputs, StatisticsKeys.Dense), () => passes.FfnStatistics(w, null))) placement.Require($"layer {l} FFN statistics", f.State());
        }
        long p = layer.ParameterCount(_config.HiddenSize, _config.HeadDim);
        var decision = new LayerDecision(l, similarity, 0, Enumerable.Range(0, layer.NumKeyValueHeads).ToArray(),
            Enumerable.Range(0, layer.IntermediateSize).ToArray(), layer.NumKeyValueHeads, layer.IntermediateSize, p, p);
        return (w.Alias(), layer, decision);
    }

    private (DecoderLayerWeights, DecoderLayerConfig, LayerDecision) Prune(int l, DecoderLayerWeights w, double ratio, double similarity)
    {
        var layer = _config.Layers[l];
        using var passes = Passes(l, w);
        var attnKey = keys.Attention(l, _inputs);
        using var attnStats = statistics.Attention(attnKey, passes.AttentionStatistics);
        placement.Require($"layer {l} attention statistics", attnStats.State());
        var attention = pruner.PruneAttention(w, layer, ratio, attnStats, timings, (keptGroups, recovery) =>
        {
            var columnIndices = KeptHeadColumnIndices(keptGroups, layer, _config.HeadDim);
            using var columns = tensor(columnIndices, ScalarType.Int64, compute.Device);
            var fit = Recoveries(attnKey).GetOrFit("attention", columnIndices, recovery, () =>
            {
                var heads = passes.HeadOutputs();
                return timings.Time("regression", () => WeightRefit.Attention(heads, w.O, columns, fitBatches, recovery));
            });
            placement.Require($"layer {l} attention recovery", fit.Fit.Tensors);
            return fit;
        });
        using var attnWeights = attention.Weights;
        if (_sequential) passes.ReleaseDenseAttentionIfDone();

        // Sequential mode: the FFN statistics are taken behind the pruned attention; dense mode: behind the dense one.
        var ffnAttention = _sequential ? attention.Weights : w;
        using var keptColumns = _sequential ? KeptHeadColumns(attention.KeptGroups, layer, _config.HeadDim, compute.Device) : null;
        var ffnKey = keys.Ffn(l, _inputs, _sequential ? CacheKey.HashTensors(AttentionTensors(attention.Weights)) : StatisticsKeys.Dense);
        using var ffnStats = statistics.Ffn(ffnKey, () => passes.FfnStatistics(ffnAttention, keptColumns));
        placement.Require($"layer {l} FFN statistics", ffnStats.State());
        var ffn = pruner.PruneFfn(attention.Weights, attention.Config, ratio, ffnStats, timings, (kept, recovery) =>
        {
            var fit = Recoveries(ffnKey).GetOrFit("ffn", kept, recovery, () =>
            {
                var acts = passes.FfnActivations(ffnAttention, keptColumns);
                return timings.Time("regression", () => recovery.RefitsWeight ? WeightRefit.Ffn(acts, w.Down, kept, fitBatches, recovery)
                    : LayerStatisticsComputer.FitFfnRecovery(acts, w.Down, kept, fitBatches, recovery));
            });
            placement.Require($"layer {l} FFN recovery", fit.Fit.Tensors);
            return fit;
        });
        var decision = new LayerDecision(l, similarity, ratio, attention.KeptGroups, ffn.KeptChannels, layer.NumKeyValueHeads,
            layer.IntermediateSize, layer.ParameterCount(_config.HiddenSize, _config.HeadDim), ffn.Config.ParameterCount(_config.HiddenSize, _config.HeadDim),
            attention.Holistic?.FinalObjective, attention.Holistic?.Swaps.Count ?? 0, attention.RidgeStrength, ffn.RidgeStrength);
        return (ffn.Weights, ffn.Config, decision);
    }

    private RecoveryCache Recoveries(string statisticsKey) => cache is NoStatisticsCache ? RecoveryCache.None : new RecoveryCache(cache, statisticsKey, compute.Device);

    private LayerPasses Passes(int l, DecoderLayerWeights w) =>
        new(w, _config.Layers[l], _config, () => hidden.At(l, store, source, _sequential), fitBatches, hidden.Rope, hidden.Passes, timings);

    /// <summary>The columns of the per-head outputs (o_proj's inputs) that belong to the kept KV groups, in order.</summary>
    private static Tensor KeptHeadColumns(IReadOnlyList<int> keptGroups, DecoderLayerConfig layer, int headDim, Device device) =>
        tensor(KeptHeadColumnIndices(keptGroups, layer, headDim), ScalarType.Int64, device);

    private static long[] KeptHeadColumnIndices(IReadOnlyList<int> keptGroups, DecoderLayerConfig layer, int headDim)
    {
        int width = layer.QueryHeadsPerKvHead * headDim;
        return keptGroups.SelectMany(g => Enumerable.Range(g * width, width).Select(c => (long)c)).ToArray();
    }

    private static IEnumerable<(string, Tensor)> AttentionTensors(DecoderLayerWeights w) =>
        w.Named().Where(n => n.Suffix.StartsWith("self_attn.", StringComparison.Ordinal) || n.Suffix == "input_layernorm.weight");
}
