using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Runs one layer's calibration passes on demand, each at most once, and keeps what the later steps of the layer reuse: the
/// head outputs of pass A feed pass B, whose FFN activations feed the recovery fit. A cache hit skips a pass entirely.
/// </summary>
internal sealed class LayerPasses(DecoderLayerWeights dense, DecoderLayerConfig layer, ModelConfig config, Func<IReadOnlyList<Tensor>> inputs,
    int fitBatches, RotaryEmbedding rope, ForwardPassCounter passes, PhaseTimings timings) : IDisposable
{
    private BatchTensors? _headOutputs;
    private FfnActivations? _activations;

    /// <summary>Pass A with statistics (the caller times it).</summary>
    public AttentionStatistics AttentionStatistics()
    {
        var (stats, heads) = LayerStatisticsComputer.Attention(dense, layer, config, inputs(), fitBatches, rope, passes, timings, statistics: true);
        _headOutputs?.Dispose();
        _headOutputs = heads;
        return stats!;
    }

    /// <summary>Pass B with statistics and channel scores (the caller times it); runs pass A first if needed.</summary>
    public FfnStatistics FfnStatistics(DecoderLayerWeights attention, Tensor? keptHeadColumns)
    {
        var (stats, acts) = LayerStatisticsComputer.Ffn(attention, keptHeadColumns, HeadOutputs(), dense, config, inputs(), passes, timings, statistics: true);
        ReleaseHeadOutputs();
        _activations?.Dispose();
        _activations = acts;
        return stats!;
    }

    /// <summary>The FFN activations for the recovery fit: those of pass B, or a pass B without statistics when it was a cache hit.</summary>
    public FfnActivations FfnActivations(DecoderLayerWeights attention, Tensor? keptHeadColumns) =>
        _activations ??= timings.Time("statistics", () =>
        {
            var acts = LayerStatisticsComputer.Ffn(attention, keptHeadColumns, HeadOutputs(), dense, config, inputs(), passes, timings, statistics: false).Activations;
            ReleaseHeadOutputs();
            return acts;
        });

    /// <summary>
    /// Frees the dense q/k/v/o once pass A's head outputs are held (sequential mode, after the attention was pruned): nothing
    /// of this layer needs them again, and at 7B scale they are 256 MB in float32.
    /// </summary>
    public void ReleaseDenseAttentionIfDone()
    {
        if (_headOutputs is null) return;
        foreach (var t in new[] { dense.Q, dense.K, dense.V, dense.O, dense.QBias, dense.KBias, dense.VBias, dense.OBias }) t?.Dispose();
    }

    /// <summary>Pass A's head outputs (a pass A without statistics when it was a cache hit); they stay until pass B.</summary>
    public BatchTensors HeadOutputs() =>
        _headOutputs ??= LayerStatisticsComputer.Attention(dense, layer, config, inputs(), fitBatches, rope, passes, timings, statistics: false).HeadOutputs;

    private void ReleaseHeadOutputs()
    {
        _headOutputs?.Dispose();
        _headOutputs = null;
    }

    public void Dispose()
    {
        ReleaseHeadOutputs();
        _activations?.Dispose();
    }
}
