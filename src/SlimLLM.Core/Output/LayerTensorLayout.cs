using SlimLLM.IO;
using SlimLLM.Models;

namespace SlimLLM.Output;

/// <summary>The tensors (Hugging Face names, shapes) a decoder layer of a given configuration has, in <see cref="DecoderLayerWeights.Named"/> order.</summary>
public static class LayerTensorLayout
{
    public static IEnumerable<TensorInfo> Layer(int index, DecoderLayerConfig c, int hidden, int headDim, TensorDType dtype)
    {
        var p = $"model.layers.{index}.";
        long q = (long)c.NumHeads * headDim, kv = (long)c.NumKeyValueHeads * headDim, m = c.IntermediateSize, d = hidden;
        var b = c.Biases;
        TensorInfo T(string suffix, params long[] shape) => new(p + suffix, dtype, shape);
        yield return T("input_layernorm.weight", d);
        yield return T("self_attn.q_proj.weight", q, d);
        if (b.Q) yield return T("self_attn.q_proj.bias", q);
        yield return T("self_attn.k_proj.weight", kv, d);
        if (b.K) yield return T("self_attn.k_proj.bias", kv);
        yield return T("self_attn.v_proj.weight", kv, d);
        if (b.V) yield return T("self_attn.v_proj.bias", kv);
        yield return T("self_attn.o_proj.weight", d, q);
        if (b.O) yield return T("self_attn.o_proj.bias", d);
        yield return T("post_attention_layernorm.weight", d);
        yield return T("mlp.gate_proj.weight", m, d);
        if (b.Gate) yield return T("mlp.gate_proj.bias", m);
        yield return T("mlp.up_proj.weight", m, d);
        if (b.Up) yield return T("mlp.up_proj.bias", m);
        yield return T("mlp.down_proj.weight", d, m);
        if (b.Down) yield return T("mlp.down_proj.bias", d);
    }
}
