using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Export;

/// <summary>
/// llama.cpp's tensor names and layout for LLaMA-family models (the names convert_hf_to_gguf.py writes), and the
/// Hugging Face tensors they come from. Shapes are row-major, [out, in] for projections.
/// </summary>
internal static class LlamaCppTensors
{
    public const string TokenEmbedding = "token_embd.weight", OutputNorm = "output_norm.weight", Output = "output.weight";

    /// <summary>Every tensor of the file in write order. Matrices get the output type; norms and biases stay float32.</summary>
    public static List<GgufTensorDeclaration> Declare(ModelConfig c, GgufOutputType type)
    {
        var matrix = type switch
        {
            GgufOutputType.F32 => GgmlType.F32,
            GgufOutputType.F16 => GgmlType.F16,
            GgufOutputType.BF16 => GgmlType.BF16,
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        long d = c.HiddenSize, hd = c.HeadDim;
        var list = new List<GgufTensorDeclaration> { new(TokenEmbedding, matrix, [c.VocabSize, d]) };
        for (int i = 0; i < c.NumLayers; i++)
        {
            var l = c.Layers[i];
            var p = $"blk.{i}.";
            long q = l.NumHeads * hd, kv = l.NumKeyValueHeads * hd, m = l.IntermediateSize;
            void W(string name, params long[] shape) => list.Add(new(p + name, matrix, shape));
            void V(string name, long size) => list.Add(new(p + name, GgmlType.F32, [size]));
            V("attn_norm.weight", d);
            W("attn_q.weight", q, d);
            if (l.Biases.Q) V("attn_q.bias", q);
            W("attn_k.weight", kv, d);
            if (l.Biases.K) V("attn_k.bias", kv);
            W("attn_v.weight", kv, d);
            if (l.Biases.V) V("attn_v.bias", kv);
            W("attn_output.weight", d, q);
            if (l.Biases.O) V("attn_output.bias", d);
            V("ffn_norm.weight", d);
            W("ffn_gate.weight", m, d);
            if (l.Biases.Gate) V("ffn_gate.bias", m);
            W("ffn_up.weight", m, d);
            if (l.Biases.Up) V("ffn_up.bias", m);
            W("ffn_down.weight", d, m);
            if (l.Biases.Down) V("ffn_down.bias", d);
        }
        list.Add(new(OutputNorm, GgmlType.F32, [d]));
        if (!c.TieWordEmbeddings) list.Add(new(Output, matrix, [c.VocabSize, d]));
        return list;
    }

    /// <summary>
    /// The GGUF tensors of one layer, new tensors the caller disposes. q and k rows (and their biases) are permuted from
    /// Hugging Face's rotate-half RoPE order to llama.cpp's interleaved one, per head: query heads for q, KV heads for k.
    /// </summary>
    public static IEnumerable<(string Name, Tensor Tensor)> Layer(int index, DecoderLayerWeights w, DecoderLayerConfig l)
    {
        var p = $"blk.{index}.";
        yield return (p + "attn_norm.weight", w.InputNorm.alias());
        yield return (p + "attn_q.weight", GgufLlamaLayout.PermuteQK(w.Q, l.NumHeads));
        if (w.QBias is not null) yield return (p + "attn_q.bias", GgufLlamaLayout.PermuteQK(w.QBias, l.NumHeads));
        yield return (p + "attn_k.weight", GgufLlamaLayout.PermuteQK(w.K, l.NumKeyValueHeads));
        if (w.KBias is not null) yield return (p + "attn_k.bias", GgufLlamaLayout.PermuteQK(w.KBias, l.NumKeyValueHeads));
        yield return (p + "attn_v.weight", w.V.alias());
        if (w.VBias is not null) yield return (p + "attn_v.bias", w.VBias.alias());
        yield return (p + "attn_output.weight", w.O.alias());
        if (w.OBias is not null) yield return (p + "attn_output.bias", w.OBias.alias());
        yield return (p + "ffn_norm.weight", w.PostAttentionNorm.alias());
        yield return (p + "ffn_gate.weight", w.Gate.alias());
        if (w.GateBias is not null) yield return (p + "ffn_gate.bias", w.GateBias.alias());
        yield return (p + "ffn_up.weight", w.Up.alias());
        if (w.UpBias is not null) yield return (p + "ffn_up.bias", w.UpBias.alias());
        yield return (p + "ffn_down.weight", w.Down.alias());
        if (w.DownBias is not null) yield return (p + "ffn_down.bias", w.DownBias.alias());
    }
}
