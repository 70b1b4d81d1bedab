using SlimLLM.Models;
using SlimLLM.Pruning.Selection;
using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Ratio-independent statistics of one layer's attention block: the KV-group contribution statistics (split into the part the
/// recovery is fitted on and the part held out for ridge), the attention-input and per-head-output moments for the baselines.
/// </summary>
public sealed class AttentionStatistics : IDisposable
{
    public required UnitContributionStats Fit { get; init; }
    public required UnitContributionStats Held { get; init; }
    public required ChannelMomentStats Input { get; init; }
    public required ChannelMomentStats HeadOutput { get; init; }

    /// <summary>Fit + held: what selection uses.</summary>
    public UnitContributionStats All() => Held.Count == 0 ? Clone(Fit) : Merge(Fit, Held);

    public Dictionary<string, Tensor> ToTensors() => Prefixed(("fit.", Fit.ToTensors()), ("held.", Held.ToTensors()),
        ("input.", Input.ToTensors()), ("heads.", HeadOutput.ToTensors()));

    public static AttentionStatistics FromTensors(IReadOnlyDictionary<string, Tensor> t, string source) => new()
    {
        Fit = UnitContributionStats.FromTensors(Part(t, "fit."), source),
        Held = UnitContributionStats.FromTensors(Part(t, "held."), source),
        Input = ChannelMomentStats.FromTensors(Part(t, "input."), source),
        HeadOutput = ChannelMomentStats.FromTensors(Part(t, "heads."), source),
    };

    public void Dispose() { Fit.Dispose(); Held.Dispose(); Input.Dispose(); HeadOutput.Dispose(); }

    private static UnitContributionStats Clone(UnitContributionStats s) => UnitContributionStats.FromTensors(s.ToTensors(), "statistics");

    private static UnitContributionStats Merge(UnitContributionStats a, UnitContributionStats b)
    {
        var ta = a.ToTensors();
        var tb = b.ToTensors();
        var merged = ta.Keys.ToDictionary(k => k, k => ta[k] + tb[k]);
        foreach (var x in ta.Values.Concat(tb.Values)) x.Dispose();
        return UnitContributionStats.FromTensors(merged, "statistics");
    }

    internal static Dictionary<string, Tensor> Prefixed(params (string Prefix, Dictionary<string, Tensor> Tensors)[] parts) =>
        parts.SelectMany(p => p.Tensors.Select(kv => (p.Prefix + kv.Key, kv.Value))).ToDictionary(x => x.Item1, x => x.Item2);

    internal static Dictionary<string, Tensor> Part(IReadOnlyDictionary<string, Tensor> t, string prefix) =>
        t.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}

/// <summary>Ratio-independent statistics of one layer's FFN block, taken on the output of the chosen attention block.</summary>
public sealed class FfnStatistics : IDisposable
{
    public required ChannelMomentStats Input { get; init; }
    public required ChannelMomentStats Activation { get; init; }
    public required OutputCovarianceStats Output { get; init; }
    public required FfnRegressionMoments Fit { get; init; }
    /// <summary>Moments of the calibration samples held out for choosing the ridge strength; null when none are held out.</summary>
    public FfnRegressionMoments? Held { get; init; }
    /// <summary>
    /// SlimLLM's channel scores (I_gate + I_up + I_down, length m). They depend only on these statistics and the dense FFN
    /// weights, not on any ratio, so they are computed once with the statistics (the float64 eigh is the costly part) and cached.
    /// </summary>
    public required Tensor ChannelScores { get; init; }

    public Dictionary<string, Tensor> ToTensors() => AttentionStatistics.Prefixed(("input.", Input.ToTensors()), ("act.", Activation.ToTensors()),
        ("out.", Output.ToTensors()), ("fit.", Fit.ToTensors()), ("held.", Held?.ToTensors() ?? []),
        ("", new Dictionary<string, Tensor> { ["channel_scores"] = ChannelScores.clone() }));

    public static FfnStatistics FromTensors(IReadOnlyDictionary<string, Tensor> t, string source) => new()
    {
        Input = ChannelMomentStats.FromTensors(AttentionStatistics.Part(t, "input."), source),
        Activation = ChannelMomentStats.FromTensors(AttentionStatistics.Part(t, "act."), source),
        Output = OutputCovarianceStats.FromTensors(AttentionStatistics.Part(t, "out."), source),
        Fit = FfnRegressionMoments.FromTensors(AttentionStatistics.Part(t, "fit."), source),
        Held = t.Keys.Any(k => k.StartsWith("held.", StringComparison.Ordinal)) ? FfnRegressionMoments.FromTensors(AttentionStatistics.Part(t, "held."), source) : null,
        ChannelScores = t.TryGetValue("channel_scores", out var scores) ? scores.clone()
            : throw new Errors.SlimLLMException(source, "the cache entry has no channel_scores.", "It is recomputed."),
    };

    public void Dispose() { Input.Dispose(); Activation.Dispose(); Output.Dispose(); Fit.Dispose(); Held?.Dispose(); ChannelScores.Dispose(); }
}

/// <summary>Computes the statistics from calibration hidden states (this is where the calibration forward passes happen).</summary>
internal static class LayerStatisticsComputer
{
    public static AttentionStatistics Attention(DecoderLayerWeights w, DecoderLayerConfig layer, ModelConfig config, IReadOnlyList<Tensor> inputs,
        int fitBatches, RotaryEmbedding rope, Counter passes)
    {
        int d = config.HiddenSize, hd = config.HeadDim, heads = layer.NumHeads, groups = layer.NumKeyValueHeads;
        var stats = new AttentionStatistics
        {
            Fit = new UnitContributionStats(groups, d), Held = new UnitContributionStats(groups, d),
            Input = new ChannelMomentStats(d), HeadOutput = new ChannelMomentStats(heads * hd),
        };
        for (int b = 0; b < inputs.Count; b++)
        {
            using var scope = NewDisposeScope();
            var h = DecoderLayer.RmsNorm(inputs[b], w.InputNorm, config.RmsNormEps);
            var x = DecoderLayer.HeadOutputs(h, w, layer, config, rope);
            passes.Add();
            (b < fitBatches ? stats.Fit : stats.Held).AccumulateHeadOutputs(x.reshape(-1, heads, hd), w.O);
            stats.Input.Accumulate(h.reshape(-1, d));
            stats.HeadOutput.Accumulate(x.reshape(-1, heads * hd));
        }
        return stats;
    }

    /// <param name="attention">The attention block whose output feeds the FFN (pruned in sequential mode, dense in dense mode).</param>
    /// <param name="dense">The dense layer (its FFN weights and norms).</param>
    public static FfnStatistics Ffn(DecoderLayerWeights attention, DecoderLayerConfig attentionConfig, DecoderLayerWeights dense, ModelConfig config,
        IReadOnlyList<Tensor> inputs, int fitBatches, RotaryEmbedding rope, Counter passes)
    {
        int d = config.HiddenSize, m = (int)dense.Gate.shape[0];
        ChannelMomentStats input = new(d), activation = new(m);
        OutputCovarianceStats output = new(d);
        FfnRegressionMoments fit = new(m, d);
        FfnRegressionMoments? held = fitBatches < inputs.Count ? new FfnRegressionMoments(m, d) : null;
        for (int b = 0; b < inputs.Count; b++)
        {
            using var scope = NewDisposeScope();
            var hIn = inputs[b];
            var h = DecoderLayer.RmsNorm(hIn, attention.InputNorm, config.RmsNormEps);
            var heads = DecoderLayer.HeadOutputs(h, attention, attentionConfig, config, rope);
            var mid = hIn + DecoderLayer.AttentionProjection(heads, attention);
            var f = DecoderLayer.RmsNorm(mid, dense.PostAttentionNorm, config.RmsNormEps);
            var a = F.silu(F.linear(f, dense.Gate, dense.GateBias)) * F.linear(f, dense.Up, dense.UpBias);
            var y = F.linear(a, dense.Down);
            passes.Add();
            input.Accumulate(f.reshape(-1, d));
            activation.Accumulate(a.reshape(-1, m));
            output.Accumulate(y.reshape(-1, d));
            (b < fitBatches ? fit : held!).Accumulate(a.reshape(-1, m), y.reshape(-1, d));
        }
        using var scatter = output.CenteredScatter();
        using var scores = FfnChannelImportance.Score(input.Norms(), activation.Norms(), scatter, dense.Gate, dense.Up, dense.Down);
        return new FfnStatistics { Input = input, Activation = activation, Output = output, Fit = fit, Held = held, ChannelScores = scores.Total.clone() };
    }
}
