using SlimLLM.Models;
using SlimLLM.Pruning.Recovery;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// Cuts a decoder layer down to the kept KV groups and FFN channels, keeping q/k/v/o consistent. Tensors a cut leaves
/// unchanged are aliases of the input's (shared storage, no copy): a 7B-shaped layer is not held twice.
/// </summary>
public static class LayerSurgery
{
    /// <summary>
    /// Keeps whole KV groups: KV head g and its query heads g*r .. g*r+r-1 (r = heads per KV head).
    /// <paramref name="oFit"/> is the recovery of o_proj, folded in by <see cref="IProjectionFit.Fold"/> (null: o_proj's kept
    /// columns unchanged, no bias added).
    /// </summary>
    public static (DecoderLayerWeights Weights, DecoderLayerConfig Config) PruneAttention(
        DecoderLayerWeights w, DecoderLayerConfig layer, int headDim, IReadOnlyList<int> keptGroups, IProjectionFit? oFit)
    {
        using var scope = NewDisposeScope();
        int r = layer.QueryHeadsPerKvHead;
        var kvRows = RowsOf(keptGroups, headDim);
        var qRows = RowsOf(keptGroups.SelectMany(g => Enumerable.Range(g * r, r)).ToList(), headDim);
        using var qIdx = tensor(qRows, dtype: ScalarType.Int64, device: w.Q.device);
        using var kvIdx = tensor(kvRows, dtype: ScalarType.Int64, device: w.K.device);

        var (o, oBias) = Project(w.O, w.OBias, qIdx, oFit);

        var pruned = new DecoderLayerWeights
        {
            InputNorm = w.InputNorm.alias(),
            Q = w.Q.index_select(0, qIdx), QBias = w.QBias?.index_select(0, qIdx),
            K = w.K.index_select(0, kvIdx), KBias = w.KBias?.index_select(0, kvIdx),
            V = w.V.index_select(0, kvIdx), VBias = w.VBias?.index_select(0, kvIdx),
            O = o, OBias = oBias,
            PostAttentionNorm = w.PostAttentionNorm.alias(),
            Gate = w.Gate.alias(), GateBias = w.GateBias?.alias(),
            Up = w.Up.alias(), UpBias = w.UpBias?.alias(),
            Down = w.Down.alias(), DownBias = w.DownBias?.alias(),
        };
        var config = layer with
        {
            NumHeads = keptGroups.Count * r,
            NumKeyValueHeads = keptGroups.Count,
            Biases = pruned.Biases,
        };
        return (KeepOutside(pruned), config);
    }

    /// <summary>Keeps the given FFN channels; <paramref name="downFit"/> as for o_proj.</summary>
    public static (DecoderLayerWeights Weights, DecoderLayerConfig Config) PruneMlp(
        DecoderLayerWeights w, DecoderLayerConfig layer, IReadOnlyList<int> keptChannels, IProjectionFit? downFit)
    {
        using var scope = NewDisposeScope();
        using var idx = tensor(keptChannels.Select(c => (long)c).ToArray(), dtype: ScalarType.Int64, device: w.Gate.device);
        var (down, downBias) = Project(w.Down, w.DownBias, idx, downFit);
        var pruned = new DecoderLayerWeights
        {
            InputNorm = w.InputNorm.alias(),
            Q = w.Q.alias(), QBias = w.QBias?.alias(),
            K = w.K.alias(), KBias = w.KBias?.alias(),
            V = w.V.alias(), VBias = w.VBias?.alias(),
            O = w.O.alias(), OBias = w.OBias?.alias(),
            PostAttentionNorm = w.PostAttentionNorm.alias(),
            Gate = w.Gate.index_select(0, idx), GateBias = w.GateBias?.index_select(0, idx),
            Up = w.Up.index_select(0, idx), UpBias = w.UpBias?.index_select(0, idx),
            Down = down, DownBias = downBias,
        };
        return (KeepOutside(pruned), layer with { IntermediateSize = keptChannels.Count, Biases = pruned.Biases });
    }

    /// <summary>Moves the result's tensors out of the method's dispose scope, which frees every intermediate copy at once.</summary>
    private static DecoderLayerWeights KeepOutside(DecoderLayerWeights w)
    {
        foreach (var (_, t) in w.Named()) t.MoveToOuterDisposeScope();
        return w;
    }

    /// <summary>The output projection's kept input columns and bias, with the recovery folded in when there is one.</summary>
    private static (Tensor Weight, Tensor? Bias) Project(Tensor weight, Tensor? bias, Tensor keptColumns, IProjectionFit? fit)
    {
        if (fit is null) return (weight.index_select(1, keptColumns), bias?.alias());
        var folded = fit.Fold(weight, keptColumns, bias);
        return (folded.Weight, folded.Bias);
    }

    private static long[] RowsOf(IReadOnlyList<int> heads, int headDim) =>
        heads.SelectMany(h => Enumerable.Range(h * headDim, headDim).Select(i => (long)i)).ToArray();
}
