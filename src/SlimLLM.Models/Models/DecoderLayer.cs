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
        var norm = xf * (xf.pow(2).mean([-1L], keepdim: true) + eps).rsqrt();
        return weight * norm.to(dtype);
    }

    /// <summary>Runs one layer on hidden states [B, T, d] for positions start..start+T-1 (no KV cache).</summary>
    public static Tensor Forward(Tensor x, DecoderLayerWeights w, DecoderLayerConfig layer, ModelConfig config, RotaryEmbedding rope, LayerTrace? trace = null)
    {
        using var scope = NewDisposeScope();
        var h = RmsNorm(x, w.InputNorm, config.RmsNormEps);
        var heads = HeadOutputs(h, w, layer, config, rope);
        var attn = AttentionProjection(heads, w);
        var mid = x + attn;
        var f = RmsNorm(mid, w.PostAttentionNorm, config.RmsNormEps);
        var a = FeedForwardActivation(f, w);
        var ffn = F.linear(a, w.Down, w.DownBias);
        var y = mid + ffn;
        if (trace is not null)
        {
            trace.AttentionInput = h.MoveToOuterDisposeScope();
            trace.HeadOutputs = heads.MoveToOuterDisposeScope();
            trace.AttentionOutput = attn.MoveToOuterDisposeScope();
            trace.FfnInput = f.MoveToOuterDisposeScope();
            trace.FfnActivation = a.MoveToOuterDisposeScope();
            trace.FfnOutput = ffn.MoveToOuterDisposeScope();
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The SwiGLU MLP's activation silu(gate(f)) * up(f), the input of down_proj.</summary>
    public static Tensor FeedForwardActivation(Tensor f, DecoderLayerWeights w) =>
        F.silu(F.linear(f, w.Gate, w.GateBias)) * F.linear(f, w.Up, w.UpBias);

    /// <summary>Per-head attention outputs [B, T, H, headDim] (before o_proj) for normalised input <paramref name="h"/>.</summary>
    public static Tensor HeadOutputs(Tensor h, DecoderLayerWeights w, DecoderLayerConfig layer, ModelConfig config, RotaryEmbedding rope, int start = 0)
    {
        using var scope = NewDisposeScope();
        long b = h.shape[0], t = h.shape[1];
        int hd = config.HeadDim, nh = layer.NumHeads, nkv = layer.NumKeyValueHeads;
        var q = F.linear(h, w.Q, w.QBias).view(b, t, nh, hd).transpose(1, 2);
        var k = F.linear(h, w.K, w.KBias).view(b, t, nkv, hd).transpose(1, 2);
        var v = F.linear(h, w.V, w.VBias).view(b, t, nkv, hd).transpose(1, 2);
        q = rope.Apply(q, start);
        k = rope.Apply(k, start);
        var o = Attend(q, k, v, layer.QueryHeadsPerKvHead, causal: true);
        return o.transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Scaled dot-product attention with K/V repeated for grouped-query attention. q [B,H,Tq,hd], k/v [B,Hkv,Tk,hd].</summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, int repeats, bool causal)
    {
        if (repeats > 1)
        {
            k = k.repeat_interleave(repeats, dim: 1);
            v = v.repeat_interleave(repeats, dim: 1);
        }
        return F.scaled_dot_product_attention(q, k, v, is_casual: causal);
    }

    /// <summary>o_proj applied to per-head outputs [B, T, H, hd] → [B, T, d].</summary>
    public static Tensor AttentionProjection(Tensor heads, DecoderLayerWeights w)
    {
        var flat = heads.flatten(2);
        return F.linear(flat, w.O, w.OBias);
    }
}
