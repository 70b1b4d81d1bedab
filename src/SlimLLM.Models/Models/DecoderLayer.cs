using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SlimLLM.Models;

/// <summary>The LLaMA decoder layer: RMSNorm, grouped-query attention with RoPE, SwiGLU MLP, residuals.</summary>
public static class DecoderLayer
{
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps)
    {
        // Normalise in float32 at least, as Hugging Face does, then return in the input dtype.
        var dtype = x.dtype;
        var xf = x.dtype == ScalarType.Float64 ? x : x.to(ScalarType.Float32);
        // The Scalar is held by a using: an implicit one can be finalized while the native call still reads it, which
        // libtorch reports as "INTERNAL ASSERT FAILED at Scalar.h". square() is pow(x, 2) without a Scalar.
        using var epsilon = eps.ToScalar();
        var norm = xf * xf.square().mean([-1L], keepdim: true).add(epsilon).rsqrt();
        return weight * norm.to(dtype);
    }

    /// <summary>
    /// Runs one layer on hidden states [B, T, d]: positions 0..T-1 without <paramref name="cache"/>; with it, the T tokens
    /// continue the positions it holds (see <see cref="HeadOutputs"/>).
    /// </summary>
    public static Tensor Forward(Tensor x, DecoderLayerWeights w, DecoderLayerConfig layer, ModelConfig config, RotaryEmbedding rope,
        KvCache? cache = null, IProjectionAdapters? adapters = null)
    {
        using var scope = NewDisposeScope();
        var h = RmsNorm(x, w.InputNorm, config.RmsNormEps);
        var heads = HeadOutputs(h, w, layer, config, rope, cache, adapters);
        var attn = AttentionProjection(heads, w, adapters);
        var mid = x + attn;
        var f = RmsNorm(mid, w.PostAttentionNorm, config.RmsNormEps);
        var a = FeedForwardActivation(f, w, adapters);
        var ffn = Project(a, w.Down, w.DownBias, LayerTensorRole.Down, adapters);
        var y = mid + ffn;
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The SwiGLU MLP's activation silu(gate(f)) * up(f), the input of down_proj.</summary>
    public static Tensor FeedForwardActivation(Tensor f, DecoderLayerWeights w, IProjectionAdapters? adapters = null) =>
        F.silu(Project(f, w.Gate, w.GateBias, LayerTensorRole.Gate, adapters)) * Project(f, w.Up, w.UpBias, LayerTensorRole.Up, adapters);

    /// <summary>linear(x, W, b), plus what <paramref name="adapters"/> add to the projection <paramref name="role"/>.</summary>
    private static Tensor Project(Tensor x, Tensor weight, Tensor? bias, LayerTensorRole role, IProjectionAdapters? adapters)
    {
        var y = F.linear(x, weight, bias);
        return adapters?.Delta(role, x) is { } delta ? y + delta : y;
    }

    /// <summary>
    /// Per-head attention outputs [B, T, H, headDim] (before o_proj) for normalised input <paramref name="h"/>. Without a
    /// cache the T tokens are positions 0..T-1; with one they are the positions after those it holds, their keys and values
    /// are appended to it, and each attends to every position up to its own.
    /// </summary>
    public static Tensor HeadOutputs(Tensor h, DecoderLayerWeights w, DecoderLayerConfig layer, ModelConfig config, RotaryEmbedding rope, KvCache? cache = null,
        IProjectionAdapters? adapters = null)
    {
        using var scope = NewDisposeScope();
        long b = h.shape[0], t = h.shape[1];
        int hd = config.HeadDim, nh = layer.NumHeads, nkv = layer.NumKeyValueHeads, start = cache?.Length ?? 0;
        var q = Project(h, w.Q, w.QBias, LayerTensorRole.Q, adapters).view(b, t, nh, hd).transpose(1, 2);
        var k = Project(h, w.K, w.KBias, LayerTensorRole.K, adapters).view(b, t, nkv, hd).transpose(1, 2);
        var v = Project(h, w.V, w.VBias, LayerTensorRole.V, adapters).view(b, t, nkv, hd).transpose(1, 2);
        q = rope.Apply(q, start);
        k = rope.Apply(k, start);
        if (cache is not null) (k, v) = cache.Append(k, v);
        var o = Attend(q, k, v, layer.QueryHeadsPerKvHead, start);
        return o.transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Causal scaled dot-product attention with K/V repeated for grouped-query attention: q [B,H,Tq,hd] holds positions
    /// start..start+Tq-1, k/v [B,Hkv,start+Tq,hd] every position up to the last of them; query i sees keys 0..start+i.
    /// </summary>
    private static Tensor Attend(Tensor q, Tensor k, Tensor v, int repeats, int start)
    {
        if (repeats > 1)
        {
            k = k.repeat_interleave(repeats, dim: 1);
            v = v.repeat_interleave(repeats, dim: 1);
        }
        long t = q.shape[2];
        if (start == 0) return F.scaled_dot_product_attention(q, k, v, is_casual: true);
        // After cached positions: one new token sees them all; several need the causal mask shifted by start.
        if (t == 1) return F.scaled_dot_product_attention(q, k, v);
        var mask = ones(t, start + t, dtype: ScalarType.Bool, device: q.device).tril(start);
        return F.scaled_dot_product_attention(q, k, v, attn_mask: mask);
    }

    /// <summary>o_proj applied to per-head outputs [B, T, H, hd] → [B, T, d].</summary>
    public static Tensor AttentionProjection(Tensor heads, DecoderLayerWeights w, IProjectionAdapters? adapters = null)
    {
        var flat = heads.flatten(2);
        return Project(flat, w.O, w.OBias, LayerTensorRole.O, adapters);
    }
}
