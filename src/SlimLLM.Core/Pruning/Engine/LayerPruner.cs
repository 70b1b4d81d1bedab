using SlimLLM.Models;
using SlimLLM.Pruning.Baselines;
using SlimLLM.Pruning.Recovery;
using SlimLLM.Pruning.Selection;
using SlimLLM.Pruning.Statistics;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Prunes one decoder layer from its calibration inputs: attention first (KV groups), then the FFN (channels) with statistics
/// taken on the output of the pruned attention block (sequential mode) or of the dense one (dense mode).
/// </summary>
internal sealed class LayerPruner(ModelConfig config, PruneSettings settings, Counter forwardPasses)
{
    public sealed record Outcome(DecoderLayerWeights Weights, DecoderLayerConfig Config, LayerDecision Decision);

    /// <param name="inputs">Hidden-state batches [B, T, d] entering the layer; the last <paramref name="heldOutBatches"/> are held out for ridge.</param>
    public Outcome Prune(int index, DecoderLayerWeights w, double ratio, double similarity, IReadOnlyList<Tensor> inputs, int heldOutBatches, RotaryEmbedding rope, PhaseTimings timings)
    {
        var layer = config.Layers[index];
        int d = config.HiddenSize, hd = config.HeadDim, groups = layer.NumKeyValueHeads, heads = layer.NumHeads;
        var recovery = settings.EffectiveRecovery;
        int fitBatches = recovery == RecoveryMethod.Ridge ? inputs.Count - heldOutBatches : inputs.Count;

        // ---- attention: statistics of the unit (KV-group) contributions ----
        using var unitsFit = new UnitContributionStats(groups, d);
        using var unitsHeld = new UnitContributionStats(groups, d);
        using var attnInput = new ChannelMomentStats(d);
        using var headOutput = new ChannelMomentStats(heads * hd);
        timings.Time("statistics", () =>
        {
            for (int b = 0; b < inputs.Count; b++)
            {
                using var scope = NewDisposeScope();
                var h = DecoderLayer.RmsNorm(inputs[b], w.InputNorm, config.RmsNormEps);
                var x = DecoderLayer.HeadOutputs(h, w, layer, config, rope);
                forwardPasses.Add();
                (b < fitBatches ? unitsFit : unitsHeld).AccumulateHeadOutputs(x.reshape(-1, heads, hd), w.O);
                attnInput.Accumulate(h.reshape(-1, d));
                headOutput.Accumulate(x.reshape(-1, heads * hd));
            }
        });
        using var units = heldOutBatches > 0 && fitBatches < inputs.Count ? Merge(unitsFit, unitsHeld) : null;
        var allUnits = units ?? unitsFit;

        int pruneGroups = PruneCount.FromRatio(ratio, groups);
        UnitSelectionResult? holistic = null;
        int[] keptGroups = timings.Time("selection", () =>
        {
            if (pruneGroups == 0) return Enumerable.Range(0, groups).ToArray();
            if (settings.EffectiveAttentionMethod == PruningMethod.SlimLLM)
            {
                holistic = HolisticUnitSelector.Select(allUnits, pruneGroups);
                return holistic.KeptAscending;
            }
            var aw = new AttentionWeights(w.Q, w.K, w.V, w.O, groups);
            using var scores = settings.EffectiveAttentionMethod switch
            {
                PruningMethod.Magnitude => MagnitudeScores.KvGroups(aw),
                PruningMethod.WandaSp => WandaSpScores.KvGroups(aw, attnInput.Norms(), headOutput.Norms()),
                PruningMethod.Flap => FlapScores.KvGroups(aw, headOutput.Variances()),
                _ => throw new InvalidOperationException(),
            };
            return LowestScoreSelection.Kept(scores, pruneGroups).Select(i => (int)i).ToArray();
        });

        double? ridgeAttn = null;
        ScaleBias? attnFit = null;
        if (recovery is { } method && pruneGroups > 0)
        {
            attnFit = timings.Time("regression", () =>
            {
                using var fitStats = unitsFit.RegressionStats(keptGroups);
                if (method != RecoveryMethod.Ridge) return LinearRecovery.Fit(units is null ? fitStats : allUnits.RegressionStats(keptGroups), method);
                using var heldStats = unitsHeld.RegressionStats(keptGroups);
                var choice = LinearRecovery.ChooseRidgeStrength(fitStats, heldStats);
                ridgeAttn = choice.Strength;
                using var allStats = allUnits.RegressionStats(keptGroups);
                return LinearRecovery.Fit(allStats, RecoveryMethod.Ridge, choice.Strength);
            });
        }
        var (attnPruned, attnConfig) = LayerSurgery.PruneAttention(w, layer, hd, keptGroups, attnFit?.Scale, attnFit?.Bias);
        attnFit?.Dispose();

        // ---- FFN: statistics on the output of the pruned (sequential) or dense attention ----
        var attnForFfn = settings.Mode == CalibrationMode.Sequential ? attnPruned : w;
        var attnForFfnConfig = settings.Mode == CalibrationMode.Sequential ? attnConfig : layer;
        int m = layer.IntermediateSize;
        using var ffnInput = new ChannelMomentStats(d);
        using var activation = new ChannelMomentStats(m);
        using var outputCov = new OutputCovarianceStats(d);
        var ffnInputs = new List<Tensor>(inputs.Count);
        timings.Time("statistics", () =>
        {
            foreach (var hIn in inputs)
            {
                using var scope = NewDisposeScope();
                var h = DecoderLayer.RmsNorm(hIn, attnForFfn.InputNorm, config.RmsNormEps);
                var heads2 = DecoderLayer.HeadOutputs(h, attnForFfn, attnForFfnConfig, config, rope);
                var mid = hIn + DecoderLayer.AttentionProjection(heads2, attnForFfn);
                var f = DecoderLayer.RmsNorm(mid, w.PostAttentionNorm, config.RmsNormEps);
                var a = F.silu(F.linear(f, w.Gate, w.GateBias)) * F.linear(f, w.Up, w.UpBias);
                var y = F.linear(a, w.Down);
                forwardPasses.Add();
                ffnInput.Accumulate(f.reshape(-1, d));
                activation.Accumulate(a.reshape(-1, m));
                outputCov.Accumulate(y.reshape(-1, d));
                ffnInputs.Add(f.MoveToOuterDisposeScope());
            }
        });

        int pruneChannels = FfnChannelSelector.PrunedCount(m, ratio, settings.FfnRule);
        long[] keptChannels = timings.Time("selection", () =>
        {
            if (pruneChannels == 0) return Enumerable.Range(0, m).Select(i => (long)i).ToArray();
            if (settings.EffectiveFfnMethod == PruningMethod.SlimLLM)
            {
                using var scatter = outputCov.CenteredScatter();
                using var scores = FfnChannelImportance.Score(ffnInput.Norms(), activation.Norms(), scatter, w.Gate, w.Up, w.Down);
                return FfnChannelSelector.KeptChannels(scores.Total, ratio, settings.FfnRule);
            }
            var fw = new FfnWeights(w.Gate, w.Up, w.Down);
            using var baseline = settings.EffectiveFfnMethod switch
            {
                PruningMethod.Magnitude => MagnitudeScores.FfnChannels(fw),
                PruningMethod.WandaSp => WandaSpScores.FfnChannels(fw, ffnInput.Norms(), activation.Norms()),
                PruningMethod.Flap => FlapScores.FfnChannels(fw, activation.Variances()),
                _ => throw new InvalidOperationException(),
            };
            return LowestScoreSelection.Kept(baseline, pruneChannels);
        });

        double? ridgeFfn = null;
        ScaleBias? ffnFit = null;
        if (recovery is { } fm && pruneChannels > 0)
        {
            ffnFit = timings.Time("regression", () =>
            {
                using var fitStats = new PerDimRegressionStats(d);
                using var heldStats = new PerDimRegressionStats(d);
                using var keptIdx = tensor(keptChannels, dtype: ScalarType.Int64);
                using var downKept = w.Down.index_select(1, keptIdx);
                for (int b = 0; b < ffnInputs.Count; b++)
                {
                    using var scope = NewDisposeScope();
                    var f = ffnInputs[b];
                    var a = F.silu(F.linear(f, w.Gate, w.GateBias)) * F.linear(f, w.Up, w.UpBias);
                    var y = F.linear(a, w.Down);
                    var x = F.linear(a.index_select(-1, keptIdx), downKept);
                    (b < fitBatches ? fitStats : heldStats).Accumulate(x.reshape(-1, d), y.reshape(-1, d));
                }
                if (fm != RecoveryMethod.Ridge) return LinearRecovery.Fit(fitStats, fm);
                var choice = LinearRecovery.ChooseRidgeStrength(fitStats, heldStats);
                ridgeFfn = choice.Strength;
                using var all = PerDimRegressionStats.FromSums(fitStats.Count + heldStats.Count, fitStats.SumX + heldStats.SumX,
                    fitStats.SumY + heldStats.SumY, fitStats.SumXX + heldStats.SumXX, fitStats.SumXY + heldStats.SumXY, fitStats.SumYY + heldStats.SumYY);
                return LinearRecovery.Fit(all, RecoveryMethod.Ridge, choice.Strength);
            });
        }
        foreach (var f in ffnInputs) f.Dispose();

        var keptChannelList = keptChannels.Select(c => (int)c).ToArray();
        var (final, finalConfig) = LayerSurgery.PruneMlp(attnPruned, attnConfig, keptChannelList, ffnFit?.Scale, ffnFit?.Bias);
        ffnFit?.Dispose();
        attnPruned.Dispose();

        var decision = new LayerDecision(index, similarity, ratio, keptGroups, keptChannelList, groups, m,
            layer.ParameterCount(d, hd), finalConfig.ParameterCount(d, hd),
            holistic?.FinalObjective, holistic?.Swaps.Count ?? 0, ridgeAttn, ridgeFfn);
        return new Outcome(final, finalConfig, decision);
    }

    private static UnitContributionStats Merge(UnitContributionStats a, UnitContributionStats b)
    {
        var ta = a.ToTensors();
        var tb = b.ToTensors();
        var merged = ta.Keys.ToDictionary(k => k, k => ta[k] + tb[k]);
        foreach (var t in ta.Values.Concat(tb.Values)) t.Dispose();
        var result = UnitContributionStats.FromTensors(merged, "merged calibration statistics");
        return result;
    }
}

/// <summary>Counts calibration forward passes through decoder layers (one per layer per batch).</summary>
internal sealed class Counter
{
    private long _value;
    public long Value => _value;
    public void Add(long n = 1) => Interlocked.Add(ref _value, n);
}
