using SlimLLM.Models;
using SlimLLM.Pruning.Methods;
using SlimLLM.Pruning.Recovery;
using SlimLLM.Pruning.Selection;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Selection and recovery for one layer, from its statistics alone (no forward pass): which KV groups and FFN channels stay,
/// and the closed-form scale and bias that restore o_proj's and down_proj's outputs.
/// </summary>
internal sealed class LayerPruner(ModelConfig config, PruneSettings settings)
{
    public sealed record AttentionOutcome(DecoderLayerWeights Weights, DecoderLayerConfig Config, int[] KeptGroups, UnitSelectionResult? Holistic, double? RidgeStrength);
    public sealed record FfnOutcome(DecoderLayerWeights Weights, DecoderLayerConfig Config, int[] KeptChannels, double? RidgeStrength);

    /// <summary>
    /// The configuration layer <paramref name="layer"/> will have after pruning at <paramref name="ratio"/>: how many KV groups and
    /// FFN channels stay depends on the ratio alone (which ones on the statistics), and recovery adds an o_proj / down_proj bias
    /// wherever it prunes. Known before any statistics, so the output files can be laid out up front.
    /// </summary>
    public DecoderLayerConfig Planned(DecoderLayerConfig layer, double ratio)
    {
        if (!Prunes(layer, ratio)) return layer;
        int pruneGroups = PruneCount.FromRatio(ratio, layer.NumKeyValueHeads);
        int pruneChannels = PrunedChannels(layer.IntermediateSize, ratio);
        bool recovery = settings.EffectiveRecovery is not null;
        int keptGroups = layer.NumKeyValueHeads - pruneGroups;
        return layer with
        {
            NumHeads = keptGroups * layer.QueryHeadsPerKvHead,
            NumKeyValueHeads = keptGroups,
            IntermediateSize = layer.IntermediateSize - pruneChannels,
            Biases = layer.Biases with { O = layer.Biases.O || (recovery && pruneGroups > 0), Down = layer.Biases.Down || (recovery && pruneChannels > 0) },
        };
    }

    /// <summary>Whether the layer is pruned at all: a ratio above 0, or a channel multiple its FFN width is not a multiple of.</summary>
    public bool Prunes(DecoderLayerConfig layer, double ratio) => ratio > 0 || PrunedChannels(layer.IntermediateSize, ratio) > 0;

    private int PrunedChannels(int channels, double ratio) => FfnChannelSelector.PrunedCount(channels, ratio, settings.FfnRule, settings.ChannelMultiple);

    /// <param name="refit">Refits o_proj for the kept groups when the recovery refits whole weights (it needs the head outputs).</param>
    public AttentionOutcome PruneAttention(DecoderLayerWeights w, DecoderLayerConfig layer, double ratio, AttentionStatistics stats, PhaseTimings timings,
        Func<int[], PruningRecovery, (IProjectionFit Fit, double? Strength)> refit)
    {
        int groups = layer.NumKeyValueHeads;
        int pruneGroups = PruneCount.FromRatio(ratio, groups);
        using var all = stats.All();
        var selection = pruneGroups == 0 ? new KvGroupSelection(Enumerable.Range(0, groups).ToArray(), null)
            : timings.Time("selection", () => settings.EffectiveAttentionMethod.SelectKvGroups(new AttentionUnits(w, groups, stats, all), pruneGroups));
        int[] kept = selection.Kept;

        double? ridge = null;
        IProjectionFit? fit = null;
        if (settings.EffectiveRecovery is { RefitsWeight: true } refitted && pruneGroups > 0)
            (fit, ridge) = refit(kept, refitted);
        else if (settings.EffectiveRecovery is { } recovery && pruneGroups > 0)
        {
            (fit, ridge) = timings.Time("regression", () =>
            {
                using var allStats = all.RegressionStats(kept);
                using var fitStats = recovery.HoldsOut ? stats.Fit.RegressionStats(kept) : null;
                using var heldStats = recovery.HoldsOut ? stats.Held.RegressionStats(kept) : null;
                return recovery.Fit(allStats, fitStats, heldStats);
            });
        }
        var (pruned, prunedConfig) = LayerSurgery.PruneAttention(w, layer, config.HeadDim, kept, fit);
        fit?.Dispose();
        return new AttentionOutcome(pruned, prunedConfig, kept, selection.Holistic, ridge);
    }

    /// <param name="fitRecovery">Fits down_proj's recovery for the kept channels (it needs the layer's FFN activations).</param>
    public FfnOutcome PruneFfn(DecoderLayerWeights attentionPruned, DecoderLayerConfig attentionConfig, double ratio, FfnStatistics stats, PhaseTimings timings,
        Func<long[], PruningRecovery, (IProjectionFit Fit, double? RidgeStrength)> fitRecovery)
    {
        var w = attentionPruned;
        int m = attentionConfig.IntermediateSize;
        int pruneChannels = PrunedChannels(m, ratio);
        long[] kept = pruneChannels == 0 ? Enumerable.Range(0, m).Select(i => (long)i).ToArray() : timings.Time("selection", () =>
        {
            using var scores = settings.EffectiveFfnMethod.ChannelScores(new FfnUnits(w, stats));
            return FfnChannelSelector.KeptChannels(scores, ratio, settings.FfnRule, settings.ChannelMultiple);
        });

        double? ridge = null;
        IProjectionFit? fit = null;
        if (settings.EffectiveRecovery is { } recovery && pruneChannels > 0)
            (fit, ridge) = fitRecovery(kept, recovery);
        var keptList = kept.Select(c => (int)c).ToArray();
        var (pruned, prunedConfig) = LayerSurgery.PruneMlp(w, attentionConfig, keptList, fit);
        fit?.Dispose();
        return new FfnOutcome(pruned, prunedConfig, keptList, ridge);
    }
}
