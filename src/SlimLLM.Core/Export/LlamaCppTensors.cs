using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using static TorchSharp.torch;

namespace SlimLLM.Export;

/// <summary>
/// The tensors of a llama.cpp GGUF file for LLaMA-family models (the names convert_hf_to_gguf.py writes, from
/// <see cref="LayerTensorRole"/> and <see cref="ModelTensorRole"/>). Shapes are row-major, [out, in] for projections.
/// </summary>
internal static class LlamaCppTensors
{
    /// <summary>
    /// Every tensor of the file in write order. Matrices get the output type; norms and biases stay float32. Under Q4_0 the
    /// output head (token_embd when the embeddings are tied) is Q8_0: llama-quantize keeps it above 4 bits too (Q6_K).
    /// </summary>
    public static List<GgufTensorDeclaration> Declare(ModelConfig c, GgufOutputType type)
    {
        var matrix = GgufTensorEncoding.MatrixType(type);
        var head = matrix == GgmlType.Q4_0 ? GgmlType.Q8_0 : matrix;
        var list = new List<GgufTensorDeclaration>();
        void Add(string name, long[] shape, GgmlType? typeOverride = null) => list.Add(new(name, shape.Length == 2 ? typeOverride ?? matrix : GgmlType.F32, shape));
        Add(ModelTensorRole.Embedding.GgufName, ModelTensorRole.Embedding.Shape(c), c.TieWordEmbeddings ? head : matrix);
        for (int i = 0; i < c.NumLayers; i++)
            foreach (var role in LayerTensorRole.Present(c.Layers[i]))
                Add(role.GgufName(i), role.Shape(c.Layers[i], c.HiddenSize, c.HeadDim));
        Add(ModelTensorRole.FinalNorm.GgufName, ModelTensorRole.FinalNorm.Shape(c));
        if (!c.TieWordEmbeddings) Add(ModelTensorRole.OutputHead.GgufName, ModelTensorRole.OutputHead.Shape(c), head);
        return list;
    }

    /// <summary>The GGUF tensors of one layer, new tensors the caller disposes (q/k rows in llama.cpp's RoPE order).</summary>
    public static IEnumerable<(string Name, Tensor Tensor)> Layer(int index, DecoderLayerWeights w, DecoderLayerConfig l) =>
        w.Tensors().Select(t => (t.Role.GgufName(index), GgufLlamaLayout.ToGguf(t.Role, t.Tensor, l)));
}
