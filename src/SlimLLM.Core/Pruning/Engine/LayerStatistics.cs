using SlimLLM.Models;
using SlimLLM.Pruning.Selection;
using SlimLLM.Pruning.Recovery;
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
    /// <summary>
    /// SlimLLM's channel scores (I_gate + I_up + I_down, length m). They depend only on these statistics and the dense FFN
    /// weights, not on any ratio, so they are computed once with the statistics (the float64 eigh is the costly part) and cached.
    /// </summary>
    public required Tensor ChannelScores { get; init; }

    public Dictionary<string, Tensor> ToTensors() => AttentionStatistics.Prefixed(("input.", Input.ToTensors()), ("act.", Activation.ToTensors()),
        ("out.", Output.ToTensors()), ("", new Dictionary<string, Tensor> { ["channel_scores"] = ChannelScores.clone() }));

    public static FfnStatistics FromTensors(IReadOnlyDictionary<string, Tensor> t, string source) => new()
    {
        Input = ChannelMomentStats.FromTensors(AttentionStatistics.Part(t, "input."), source),
        Activation = ChannelMomentStats.FromTensors(AttentionStatistics.Part(t, "act."), source),
        Output = OutputCovarianceStats.FromTensors(AttentionStatistics.Part(t, "out."), source),
        ChannelScores = t.TryGetValue("channel_scores", out var scores) ? scores.clone()
            : throw new Errors.SlimLLMException(source, "the cache entry has no channel_scores.", "It is recomputed."),
    };

    public void Dispose() { Input.Dispose(); Activation.Dispose(); Output.Dispose(); ChannelScores.Dispose(); }
}

/// <summary>Per-batch tensors of one calibration pass that later steps of the same layer reuse; disposed together.</summary>
internal sealed class BatchTensors(List<Tensor> values) : IDisposable
{
    public IReadOnlyList<Tensor> Values => values;
    public Tensor this[int b] => values[b];
    public void Dispose() { foreach (var t in values) t.Dispose(); values.Clear(); }
}

/// <summary>The FFN activations a = silu(gate f) * up f and the dense FFN output y of every calibration batch.</summary>
internal sealed class FfnActivations(BatchTensors activations, BatchTensors outputs) : IDisposable
{
    public BatchTensors Activations => activations;
    public BatchTensors Outputs => outputs;
    public void Dispose() { activations.Dispose(); outputs.Dispose(); }
}

/// <summary>
/// The calibration passes of one layer (this is where the forward computation of the statistics happens). Pass A runs the
/// dense attention and keeps the per-head outputs X; pass B feeds h + o_proj'(X of the kept heads) through the dense FFN and
/// keeps a and y, from which the recovery of down_proj is fitted once the kept channels are known. Nothing is computed twice.
/// </summary>
internal static class LayerStatisticsComputer
{
    /// <summary>
    /// The phase the layer computations of passes A and B are timed under: a second forward of the layer on its sequential
    /// inputs (the statistics are taken from it), apart from the statistics accumulated on its results.
    /// </summary>
    public const string ForwardPhase = "statistics forward";

    /// <summary>Pass A: the head outputs of every batch, and (when <paramref name="statistics"/>) the attention statistics.</summary>
    public static (AttentionStatistics? Stats, BatchTensors HeadOutputs) Attention(DecoderLayerWeights w, DecoderLayerConfig layer, ModelConfig config,
        IReadOnlyList<Tensor> inputs, int fitBatches, RotaryEmbedding rope, Counter passes, PhaseTimings timings, bool statistics)
    {
        int d = config.HiddenSize, hd = config.HeadDim, heads = layer.NumHeads, groups = layer.NumKeyValueHeads;
        var outputs = new List<Tensor>(inputs.Count);
        using HeadOutputMoments? fit = statistics ? new(heads * hd) : null, held = statistics && fitBatches < inputs.Count ? new(heads * hd) : null;
        ChannelMomentStats? input = statistics ? new(d) : null, headOutput = statistics ? new(heads * hd) : null;
        for (int b = 0; b < inputs.Count; b++)
        {
            using var scope = NewDisposeScope();
            var (h, x) = timings.Time(ForwardPhase, () =>
            {
                var h = DecoderLayer.RmsNorm(inputs[b], w.InputNorm, config.RmsNormEps);
                return (h, DecoderLayer.HeadOutputs(h, w, layer, config, rope));
            });
            passes.Add();
            if (statistics)
            {
                (b < fitBatches ? fit : held)!.Accumulate(x);
                input!.Accumulate(h.reshape(-1, d));
                headOutput!.Accumulate(x.reshape(-1, heads * hd));
            }
            outputs.Add(x.MoveToOuterDisposeScope());
        }
        var kept = new BatchTensors(outputs);
        if (!statistics) return (null, kept);
        var stats = new AttentionStatistics
        {
            Fit = UnitContributionStats.FromHeadOutputMoments(fit!, w.O, groups),
            Held = held is { Count: > 0 } ? UnitContributionStats.FromHeadOutputMoments(held, w.O, groups) : new UnitContributionStats(groups, d),
            Input = input!, HeadOutput = headOutput!,
        };
        return (stats, kept);
    }

    /// <summary>
    /// Pass B: mid = h + o_proj'(X[:, kept heads]) with the chosen attention block (pruned in sequential mode, dense in dense
    /// mode), then the dense FFN on it. Keeps a and y for the recovery fit; statistics and channel scores when asked.
    /// </summary>
    /// <param name="attention">The attention block whose output feeds the FFN: its o_proj weight and bias are used.</param>
    /// <param name="keptHeadColumns">The columns of X that <paramref name="attention"/>'s o_proj reads (null: all).</param>
    /// <param name="dense">The dense layer (its FFN weights and norms).</param>
    public static (FfnStatistics? Stats, FfnActivations Activations) Ffn(DecoderLayerWeights attention, Tensor? keptHeadColumns, BatchTensors headOutputs,
        DecoderLayerWeights dense, ModelConfig config, IReadOnlyList<Tensor> inputs, Counter passes, PhaseTimings timings, bool statistics)
    {
        int d = config.HiddenSize, m = (int)dense.Gate.shape[0];
        ChannelMomentStats? input = statistics ? new(d) : null, activation = statistics ? new(m) : null;
        OutputCovarianceStats? output = statistics ? new(d) : null;
        List<Tensor> activations = new(inputs.Count), outputs = new(inputs.Count);
        for (int b = 0; b < inputs.Count; b++)
        {
            using var scope = NewDisposeScope();
            var (f, a, y) = timings.Time(ForwardPhase, () =>
            {
                var x = headOutputs[b].flatten(2);
                if (keptHeadColumns is not null) x = x.index_select(2, keptHeadColumns);
                var mid = inputs[b] + F.linear(x, attention.O, attention.OBias);
                var f = DecoderLayer.RmsNorm(mid, dense.PostAttentionNorm, config.RmsNormEps);
                var a = DecoderLayer.FeedForwardActivation(f, dense);
                return (f, a, F.linear(a, dense.Down));
            });
            passes.Add();
            if (statistics)
            {
                input!.Accumulate(f.reshape(-1, d));
                activation!.Accumulate(a.reshape(-1, m));
                output!.Accumulate(y.reshape(-1, d));
            }
            activations.Add(a.MoveToOuterDisposeScope());
            outputs.Add(y.MoveToOuterDisposeScope());
        }
        var kept = new FfnActivations(new BatchTensors(activations), new BatchTensors(outputs));
        if (!statistics) return (null, kept);
        using var scatter = output!.CenteredScatter();
        using var scores = FfnChannelImportance.Score(input!.Norms(), activation!.Norms(), scatter, dense.Gate, dense.Up, dense.Down);
        return (new FfnStatistics { Input = input, Activation = activation, Output = output, ChannelScores = scores.Total.clone() }, kept);
    }

    /// <summary>
    /// Pass C: the recovery fit of down_proj for the kept channels, on x = a[:, kept] W_down[:, kept]^T (the pruned FFN's output)
    /// against the dense output y; the held-out batches (if any) choose the ridge strength.
    /// </summary>
    public static (ScaleBias Fit, double? RidgeStrength) FitFfnRecovery(FfnActivations acts, Tensor wDown, long[] kept, int fitBatches, RecoveryMethod method)
    {
        int d = (int)wDown.shape[0];
        int batches = acts.Activations.Values.Count;
        using var fit = new PerDimRegressionStats(d);
        using var held = new PerDimRegressionStats(d);
        // The sums over all batches are only needed beside fit's when some are held out (otherwise they are fit's).
        using var all = fitBatches < batches ? new PerDimRegressionStats(d) : null;
        using var idx = tensor(kept, ScalarType.Int64, wDown.device);
        using var wKept = wDown.index_select(1, idx);
        for (int b = 0; b < batches; b++)
        {
            using var scope = NewDisposeScope();
            var x = F.linear(acts.Activations[b].index_select(-1, idx), wKept);
            var y = acts.Outputs[b];
            (b < fitBatches ? fit : held).Accumulate(x, y);
            all?.Accumulate(x, y);
        }
        if (held.Count == 0) return (LinearRecovery.Fit(fit, method == RecoveryMethod.Ridge ? RecoveryMethod.Regression : method), null);
        if (method != RecoveryMethod.Ridge) return (LinearRecovery.Fit(all!, method), null);
        var choice = LinearRecovery.ChooseRidgeStrength(fit, held);
        return (LinearRecovery.Fit(all!, RecoveryMethod.Ridge, choice.Strength), choice.Strength);
    }
}
