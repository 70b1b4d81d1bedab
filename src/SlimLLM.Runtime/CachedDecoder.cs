using SlimLLM.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Runtime;

/// <summary>
/// Runs a <see cref="LlamaModel"/> incrementally: each call feeds only the new tokens and attends to the keys and values
/// cached from earlier calls. Same math as <see cref="DecoderLayer.Forward"/> on the whole sequence.
/// </summary>
internal sealed class CachedDecoder : IDisposable
{
    private readonly LlamaModel _model;
    private readonly KvCache[] _caches;

    public CachedDecoder(LlamaModel model)
    {
        _model = model;
        _caches = Enumerable.Range(0, model.Config.NumLayers).Select(_ => new KvCache(model.MaxPositions)).ToArray();
    }

    /// <summary>Positions processed so far.</summary>
    public int Position { get; private set; }

    public void Reset()
    {
        foreach (var c in _caches) c.Clear();
        Position = 0;
    }

    /// <summary>Float32 logits [vocab] at the last of <paramref name="ids"/>, which continue the sequence fed so far.</summary>
    public Tensor NextLogits(IReadOnlyList<int> ids)
    {
        if (ids.Count == 0) throw new ArgumentException("At least one token is needed.", nameof(ids));
        if (Position + ids.Count > _model.MaxPositions)
            throw new InvalidOperationException($"The sequence would reach {Position + ids.Count} positions; the model holds {_model.MaxPositions}.");
        using var scope = NewDisposeScope();
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], dtype: ScalarType.Int64);
        var x = _model.Embed(input);
        var config = _model.Config;
        for (int i = 0; i < config.NumLayers; i++)
            x = LayerStep(x, _model.LayerWeights[i], config.Layers[i], _caches[i]);
        Position += ids.Count;
        var last = x.narrow(1, ids.Count - 1, 1);
        return _model.Head(last)[0, 0].MoveToOuterDisposeScope();
    }

    private Tensor LayerStep(Tensor x, DecoderLayerWeights w, DecoderLayerConfig layer, KvCache cache)
    {
        var config = _model.Config;
        var h = DecoderLayer.RmsNorm(x, w.InputNorm, config.RmsNormEps);
        var attn = layer.NumHeads == 0
            ? (w.OBias is null ? zeros_like(x) : w.OBias.expand_as(x))
            : Attention(h, w, layer, cache);
        var mid = x + attn;
        var f = DecoderLayer.RmsNorm(mid, w.PostAttentionNorm, config.RmsNormEps);
        return mid + F.linear(DecoderLayer.FeedForwardActivation(f, w), w.Down, w.DownBias);
    }

    private Tensor Attention(Tensor h, DecoderLayerWeights w, DecoderLayerConfig layer, KvCache cache)
    {
        long b = h.shape[0], t = h.shape[1];
        int hd = _model.Config.HeadDim, start = cache.Length;
        var q = F.linear(h, w.Q, w.QBias).view(b, t, layer.NumHeads, hd).transpose(1, 2);
        var k = F.linear(h, w.K, w.KBias).view(b, t, layer.NumKeyValueHeads, hd).transpose(1, 2);
        var v = F.linear(h, w.V, w.VBias).view(b, t, layer.NumKeyValueHeads, hd).transpose(1, 2);
        q = _model.Rope.Apply(q, start);
        k = _model.Rope.Apply(k, start);
        var (keys, values) = cache.Append(k, v);
        Tensor o;
        if (t == 1 || start == 0)
        {
            // One new token sees every cached position; a prefill from position 0 is plain causal attention.
            o = DecoderLayer.Attend(q, keys, values, layer.QueryHeadsPerKvHead, causal: t > 1);
        }
        else
        {
            // Several tokens after a cached prefix: query i (position start+i) sees keys 0..start+i.
            var mask = ones(t, start + t, dtype: ScalarType.Bool, device: h.device).tril(start);
            int r = layer.QueryHeadsPerKvHead;
            var kr = r > 1 ? keys.repeat_interleave(r, dim: 1) : keys;
            var vr = r > 1 ? values.repeat_interleave(r, dim: 1) : values;
            o = F.scaled_dot_product_attention(q, kr, vr, attn_mask: mask);
        }
        return DecoderLayer.AttentionProjection(o.transpose(1, 2).contiguous(), w);
    }

    public void Dispose()
    {
        foreach (var c in _caches) c.Dispose();
    }
}
