using SlimLLM.Models;
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
    /// <paramref name="oScale"/>/<paramref name="oBias"/> (length d) are the recovery's per-dimension scale and added bias
    /// for o_proj (null: unchanged, no bias added). An existing o_proj bias is kept and added to.
    /// </summary>
    public static (DecoderLayerWeights Weights, DecoderLayerConfig Config) PruneAttention(
        DecoderLayerWeights w, DecoderLayerConfig layer, int headDim, IReadOnlyList<int> keptGroups, Tensor? oScale, Tensor? oBias)
    {
        using var scope = NewDisposeScope();
        int r = layer.QueryHeadsPerKvHead;
        var kvRows = RowsOf(keptGroups, headDim);
        var qRows = RowsOf(keptGroups.SelectMany(g => Enumerable.Range(g * r, r)).ToList(), headDim);
        using var qIdx = tensor(qRows, dtype: ScalarType.Int64);
        using var kvIdx = tensor(kvRows, dtype: ScalarType.Int64);

        var o = w.O.index_select(1, qIdx);
        if (oScale is not null) o = ScaleRows(o, oScale);
        var newOBias = CombineBias(w.OBias, oBias, w.O.dtype);

        var pruned = new DecoderLayerWeights
        {
            InputNorm = w.InputNorm.alias(),
            Q = w.Q.index_select(0, qIdx), QBias = w.QBias?.index_select(0, qIdx),
            K = w.K.index_select(0, kvIdx), KBias = w.KBias?.index_select(0, kvIdx),
            V = w.V.index_select(0, kvIdx), VBias = w.VBias?.index_select(0, kvIdx),
            O = o, OBias = newOBias,
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

    /// <summary>Keeps the given FFN channels; <paramref name="downScale"/>/<paramref name="downBias"/> as for o_proj.</summary>
    public static (DecoderLayerWeights Weights, DecoderLayerConfig Config) PruneMlp(
        DecoderLayerWeights w, DecoderLayerConfig layer, IReadOnlyList<int> keptChannels, Tensor? downScale, Tensor? downBias)
    {
        using var scope = NewDisposeScope();
        using var idx = tensor(keptChannels.Select(c => (long)c).ToArray(), dtype: ScalarType.Int64);
        var down = w.Down.index_select(1, idx);
        if (downScale is not null) down = ScaleRows(down, downScale);
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
            Down = down, DownBias = CombineBias(w.DownBias, downBias, w.Down.dtype),
        };
        return (KeepOutside(pruned), layer with { IntermediateSize = keptChannels.Count, Biases = pruned.Biases });
    }

    /// <summary>diag(scale) W in float64, returned in W's dtype; a block of rows at a time (a float64 copy of a 7B down_proj is 288 MB).</summary>
    private static Tensor ScaleRows(Tensor w, Tensor scale)
    {
        const long rowsPerBlock = 512;
        var blocks = new List<Tensor>();
        for (long r = 0; r < w.shape[0]; r += rowsPerBlock)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(rowsPerBlock, w.shape[0] - r);
            var block = w.narrow(0, r, n).to(ScalarType.Float64) * scale.narrow(0, r, n).to(ScalarType.Float64).unsqueeze(1);
            blocks.Add(block.to(w.dtype).MoveToOuterDisposeScope());
        }
        return cat(blocks, 0);
    }

    /// <summary>Moves the result's tensors out of the method's dispose scope, which frees every intermediate copy at once.</summary>
    private static DecoderLayerWeights KeepOutside(DecoderLayerWeights w)
    {
        foreach (var (_, t) in w.Named()) t.MoveToOuterDisposeScope();
        return w;
    }

    private static Tensor? CombineBias(Tensor? existing, Tensor? added, ScalarType dtype)
    {
        if (added is null) return existing?.alias();
        var b = added.to(ScalarType.Float64);
        if (existing is not null) b = b + existing.to(ScalarType.Float64);
        return b.to(dtype);
    }

    private static long[] RowsOf(IReadOnlyList<int> heads, int headDim) =>
        heads.SelectMany(h => Enumerable.Range(h * headDim, headDim).Select(i => (long)i)).ToArray();
}
