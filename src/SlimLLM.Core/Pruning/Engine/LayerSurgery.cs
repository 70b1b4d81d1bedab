using SlimLLM.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>Cuts a decoder layer down to the kept KV groups and FFN channels, keeping q/k/v/o consistent.</summary>
public static class LayerSurgery
{
    /// <summary>
    /// Keeps whole KV groups: KV head g and its query heads g*r .. g*r+r-1 (r = heads per KV head).
    /// <paramref name="oScale"/>/<paramref name="oBias"/> (length d) are the recovery's per-dimension scale and added bias
    /// for o_proj (null: unchanged, no bias added). An existing o_proj bias is kept and added to.
    /// </summary>
    public static (DecoderLayerWeights Weights, DecoderLayerConfig Config) PruneAttention(
        DecoderLayerWeights w, DecoderLayerConfig layer, int headDim, IReadOnlyList<int> keptGroups, Tensor? oScale, Tensor? oBias)
    {
        int r = layer.QueryHeadsPerKvHead;
        var kvRows = RowsOf(keptGroups, headDim);
        var qRows = RowsOf(keptGroups.SelectMany(g => Enumerable.Range(g * r, r)).ToList(), headDim);
        using var qIdx = tensor(qRows, dtype: ScalarType.Int64);
        using var kvIdx = tensor(kvRows, dtype: ScalarType.Int64);

        var o = w.O.index_select(1, qIdx);
        if (oScale is not null) o = (o.to(ScalarType.Float64) * oScale.to(ScalarType.Float64).unsqueeze(1)).to(w.O.dtype);
        var newOBias = CombineBias(w.OBias, oBias, w.O.dtype);

        var pruned = new DecoderLayerWeights
        {
            InputNorm = w.InputNorm.clone(),
            Q = w.Q.index_select(0, qIdx), QBias = w.QBias?.index_select(0, qIdx),
            K = w.K.index_select(0, kvIdx), KBias = w.KBias?.index_select(0, kvIdx),
            V = w.V.index_select(0, kvIdx), VBias = w.VBias?.index_select(0, kvIdx),
            O = o, OBias = newOBias,
            PostAttentionNorm = w.PostAttentionNorm.clone(),
            Gate = w.Gate.clone(), GateBias = w.GateBias?.clone(),
            Up = w.Up.clone(), UpBias = w.UpBias?.clone(),
            Down = w.Down.clone(), DownBias = w.DownBias?.clone(),
        };
        var config = layer with
        {
            NumHeads = keptGroups.Count * r,
            NumKeyValueHeads = keptGroups.Count,
            Biases = pruned.Biases,
        };
        return (pruned, config);
    }

    /// <summary>Keeps the given FFN channels; <paramref name="downScale"/>/<paramref name="downBias"/> as for o_proj.</summary>
    public static (DecoderLayerWeights Weights, DecoderLayerConfig Config) PruneMlp(
        DecoderLayerWeights w, DecoderLayerConfig layer, IReadOnlyList<int> keptChannels, Tensor? downScale, Tensor? downBias)
    {
        using var idx = tensor(keptChannels.Select(c => (long)c).ToArray(), dtype: ScalarType.Int64);
        var down = w.Down.index_select(1, idx);
        if (downScale is not null) down = (down.to(ScalarType.Float64) * downScale.to(ScalarType.Float64).unsqueeze(1)).to(w.Down.dtype);
        var pruned = new DecoderLayerWeights
        {
            InputNorm = w.InputNorm.clone(),
            Q = w.Q.clone(), QBias = w.QBias?.clone(),
            K = w.K.clone(), KBias = w.KBias?.clone(),
            V = w.V.clone(), VBias = w.VBias?.clone(),
            O = w.O.clone(), OBias = w.OBias?.clone(),
            PostAttentionNorm = w.PostAttentionNorm.clone(),
            Gate = w.Gate.index_select(0, idx), GateBias = w.GateBias?.index_select(0, idx),
            Up = w.Up.index_select(0, idx), UpBias = w.UpBias?.index_select(0, idx),
            Down = down, DownBias = CombineBias(w.DownBias, downBias, w.Down.dtype),
        };
        return (pruned, layer with { IntermediateSize = keptChannels.Count, Biases = pruned.Biases });
    }

    private static Tensor? CombineBias(Tensor? existing, Tensor? added, ScalarType dtype)
    {
        if (added is null) return existing?.clone();
        var b = added.to(ScalarType.Float64);
        if (existing is not null) b = b + existing.to(ScalarType.Float64);
        return b.to(dtype);
    }

    private static long[] RowsOf(IReadOnlyList<int> heads, int headDim) =>
        heads.SelectMany(h => Enumerable.Range(h * headDim, headDim).Select(i => (long)i)).ToArray();
}
