using SlimLLM.Models;
using SlimLLM.Pruning.Methods;
using SlimLLM.Pruning.Selection;
using SlimLLM.Pruning.Recovery;
using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Pruning.Engine;

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
        IReadOnlyList<Tensor> inputs, int fitBatches, RotaryEmbedding rope, ForwardPassCounter passes, PhaseTimings timings, bool statistics)
    {
        int d = config.HiddenSize, hd = config.HeadDim, heads = layer.NumHeads, groups = layer.NumKeyValueHeads;
        var outputs = new List<Tensor>(inputs.Count);
        var device = inputs[0].device;     // the compute device: the statistics accumulate where the activations are
        using HeadOutputMoments? fit = statistics ? new(heads * hd, device) : null, held = statistics && fitBatches < inputs.Count ? new(heads * hd, device) : null;
        ChannelMomentStats? input = statistics ? new(d, device) : null, headOutput = statistics ? new(heads * hd, device) : null;
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
            Held = held is { Count: > 0 } ? UnitContributionStats.FromHeadOutputMoments(held, w.O, groups) : new UnitContributionStats(groups, d, device),
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
        DecoderLayerWeights dense, ModelConfig config, IReadOnlyList<Tensor> inputs, ForwardPassCounter passes, PhaseTimings timings, bool statistics)
    {
        int d = config.HiddenSize, m = (int)dense.Gate.shape[0];
        var device = inputs[0].device;
        ChannelMomentStats? input = statistics ? new(d, device) : null, activation = statistics ? new(m, device) : null;
        OutputCovarianceStats? output = statistics ? new(d, device) : null;
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
        using var inputNorms = input!.Norms();
        using var activationNorms = activation!.Norms();
        using var scores = FfnChannelImportance.Score(inputNorms, activationNorms, scatter, dense.Gate, dense.Up, dense.Down);
        return (new FfnStatistics { Input = input, Activation = activation, Output = output, ChannelScores = scores.Total.clone() }, kept);
    }

    /// <summary>
    /// Pass C: the recovery fit of down_proj for the kept channels, on x = a[:, kept] W_down[:, kept]^T (the pruned FFN's output)
    /// against the dense output y; the held-out batches (if any) choose the ridge strength.
    /// </summary>
    public static (ScaleBias Fit, double? RidgeStrength) FitFfnRecovery(FfnActivations acts, Tensor wDown, long[] kept, int fitBatches, PruningRecovery recovery)
    {
        int d = (int)wDown.shape[0];
        int batches = acts.Activations.Values.Count;
        using var fit = new PerDimRegressionStats(d, wDown.device);
        using var held = new PerDimRegressionStats(d, wDown.device);
        // The sums over all batches are only needed beside fit's when some are held out (otherwise they are fit's).
        using var all = fitBatches < batches ? new PerDimRegressionStats(d, wDown.device) : null;
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
        return recovery.Fit(all ?? fit, fit, held);
    }
}
