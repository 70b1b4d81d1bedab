using SlimLLM.Models;
using SlimLLM.Pruning.Baselines;
using SlimLLM.Pruning.Recovery;
using SlimLLM.Pruning.Selection;
using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;

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
        if (ratio <= 0) return layer;
        int pruneGroups = PruneCount.FromRatio(ratio, layer.NumKeyValueHeads);
        int pruneChannels = FfnChannelSelector.PrunedCount(layer.IntermediateSize, ratio, settings.FfnRule);
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

    public AttentionOutcome PruneAttention(DecoderLayerWeights w, DecoderLayerConfig layer, double ratio, AttentionStatistics stats, PhaseTimings timings)
    {
        int groups = layer.NumKeyValueHeads;
        int pruneGroups = PruneCount.FromRatio(ratio, groups);
        using var all = stats.All();
        UnitSelectionResult? holistic = null;
        int[] kept = timings.Time("selection", () =>
        {
            if (pruneGroups == 0) return Enumerable.Range(0, groups).ToArray();
            if (settings.EffectiveAttentionMethod == PruningMethod.SlimLLM)
            {
                holistic = HolisticUnitSelector.Select(all, pruneGroups);
                return holistic.KeptAscending;
            }
            var aw = new AttentionWeights(w.Q, w.K, w.V, w.O, groups);
            using var scores = settings.EffectiveAttentionMethod switch
            {
                PruningMethod.Magnitude => MagnitudeScores.KvGroups(aw),
                PruningMethod.WandaSp => WandaSpScores.KvGroups(aw, stats.Input.Norms(), stats.HeadOutput.Norms()),
                PruningMethod.Flap => FlapScores.KvGroups(aw, stats.HeadOutput.Variances()),
                _ => throw new InvalidOperationException(),
            };
            return LowestScoreSelection.Kept(scores, pruneGroups).Select(i => (int)i).ToArray();
        });

        double? ridge = null;
        ScaleBias? fit = null;
        if (settings.EffectiveRecovery is { } method && pruneGroups > 0)
        {
            fit = timings.Time("regression", () =>
            {
                using var allStats = all.RegressionStats(kept);
                if (method != RecoveryMethod.Ridge) return LinearRecovery.Fit(allStats, method);
                using var fitStats = stats.Fit.RegressionStats(kept);
                using var heldStats = stats.Held.RegressionStats(kept);
                var choice = LinearRecovery.ChooseRidgeStrength(fitStats, heldStats);
                ridge = choice.Strength;
                return LinearRecovery.Fit(allStats, RecoveryMethod.Ridge, choice.Strength);
            });
        }
        var (pruned, prunedConfig) = LayerSurgery.PruneAttention(w, layer, config.HeadDim, kept, fit?.Scale, fit?.Bias);
        fit?.Dispose();
        return new AttentionOutcome(pruned, prunedConfig, kept, holistic, ridge);
    }

    /// <param name="fitRecovery">Fits down_proj's recovery for the kept channels (it needs the layer's FFN activations).</param>
    public FfnOutcome PruneFfn(DecoderLayerWeights attentionPruned, DecoderLayerConfig attentionConfig, double ratio, FfnStatistics stats, PhaseTimings timings,
        Func<long[], RecoveryMethod, (ScaleBias Fit, double? RidgeStrength)> fitRecovery)
    {
        var w = attentionPruned;
        int m = attentionConfig.IntermediateSize;
        int pruneChannels = FfnChannelSelector.PrunedCount(m, ratio, settings.FfnRule);
        long[] kept = timings.Time("selection", () =>
        {
            if (pruneChannels == 0) return Enumerable.Range(0, m).Select(i => (long)i).ToArray();
            if (settings.EffectiveFfnMethod == PruningMethod.SlimLLM)
                return FfnChannelSelector.KeptChannels(stats.ChannelScores, ratio, settings.FfnRule);
            var fw = new FfnWeights(w.Gate, w.Up, w.Down);
            using var baseline = settings.EffectiveFfnMethod switch
            {
                PruningMethod.Magnitude => MagnitudeScores.FfnChannels(fw),
                PruningMethod.WandaSp => WandaSpScores.FfnChannels(fw, stats.Input.Norms(), stats.Activation.Norms()),
                PruningMethod.Flap => FlapScores.FfnChannels(fw, stats.Activation.Variances()),
                _ => throw new InvalidOperationException(),
            };
            return LowestScoreSelection.Kept(baseline, pruneChannels);
        });

        double? ridge = null;
        ScaleBias? fit = null;
        if (settings.EffectiveRecovery is { } method && pruneChannels > 0)
            (fit, ridge) = fitRecovery(kept, method);
        var keptList = kept.Select(c => (int)c).ToArray();
        var (pruned, prunedConfig) = LayerSurgery.PruneMlp(w, attentionConfig, keptList, fit?.Scale, fit?.Bias);
        fit?.Dispose();
        return new FfnOutcome(pruned, prunedConfig, keptList, ridge);
    }
}
