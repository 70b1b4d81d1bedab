using SlimLLM.Models;
using TorchSharp;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// Row order of the query/key projections in LLaMA GGUF files. llama.cpp applies RoPE to interleaved pairs (0,1),(2,3)...
/// of each head, Hugging Face to the split halves (i, i + d/2); convert_hf_to_gguf.py (LlamaModel.permute) therefore
/// reorders the rows of q_proj and k_proj. <see cref="PermuteQK"/> is that reordering (Hugging Face to GGUF) and
/// <see cref="UnpermuteQK"/> its inverse (GGUF to Hugging Face). Pass the query head count for attn_q and the KV head
/// count for attn_k (the converter does the same). Works for weights [rows, ...] and for 1-D biases.
/// </summary>
public static class GgufLlamaLayout
{
    /// <summary>Hugging Face order to GGUF order: w.reshape(n_head, 2, d/2, *rest).swapaxes(1, 2).reshape(w.shape).</summary>
    public static torch.Tensor PermuteQK(torch.Tensor w, int nHead) => Reorder(w, nHead, fromHuggingFace: true);

    /// <summary>GGUF order to Hugging Face order: w.reshape(n_head, d/2, 2, *rest).swapaxes(1, 2).reshape(w.shape).</summary>
    public static torch.Tensor UnpermuteQK(torch.Tensor w, int nHead) => Reorder(w, nHead, fromHuggingFace: false);

    /// <summary>A layer tensor as GGUF stores it, a new tensor: q/k rows permuted (<see cref="LayerTensorRole.RopeHeads"/>), others an alias.</summary>
    public static torch.Tensor ToGguf(LayerTensorRole role, torch.Tensor huggingFace, DecoderLayerConfig layer) =>
        role.RopeHeads(layer) is int heads ? PermuteQK(huggingFace, heads) : huggingFace.alias();

    /// <summary>A layer tensor read from GGUF in Hugging Face order; takes ownership of <paramref name="gguf"/>.</summary>
    public static torch.Tensor FromGguf(LayerTensorRole role, torch.Tensor gguf, DecoderLayerConfig layer)
    {
        if (role.RopeHeads(layer) is not int heads) return gguf;
        using (gguf) return UnpermuteQK(gguf, heads);
    }

    private static torch.Tensor Reorder(torch.Tensor w, int nHead, bool fromHuggingFace)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (w.dim() < 1) throw new ArgumentException("Expected a tensor with at least one dimension.", nameof(w));
        if (nHead <= 0) throw new ArgumentOutOfRangeException(nameof(nHead), nHead, "The head count must be positive.");
        var rows = w.shape[0];
        if (rows % (2L * nHead) != 0)
            throw new ArgumentException($"{rows} rows cannot be split into {nHead} heads of an even size.", nameof(w));
        var half = rows / nHead / 2;
        var rest = w.shape.Skip(1).ToArray();
        long[] split = fromHuggingFace ? [nHead, 2, half, .. rest] : [nHead, half, 2, .. rest];
        using var scope = torch.NewDisposeScope();
        return w.reshape(split).transpose(1, 2).reshape(w.shape).contiguous().MoveToOuterDisposeScope();
    }
}
