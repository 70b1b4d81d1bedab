using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;

namespace SlimLLM.Export;

/// <summary>
/// The llama.cpp architecture and hyperparameter metadata for a model. llama.cpp reads attention.head_count,
/// attention.head_count_kv and feed_forward_length as per-layer arrays for every architecture, but only <c>deci</c>
/// creates each layer's tensors with its own sizes (n_head(il), n_head_kv(il), n_ff(il)); <c>llama</c> uses layer 0's
/// everywhere. So models whose layers all have the same sizes are written as <c>llama</c> and all others as <c>deci</c>.
/// </summary>
internal static class LlamaCppHyperparameters
{
    public const string Llama = "llama", Deci = "deci";

    public static string ArchitectureFor(ModelConfig c)
    {
        var first = c.Layers[0];
        return c.Layers.All(l => l.NumHeads == first.NumHeads && l.NumKeyValueHeads == first.NumKeyValueHeads && l.IntermediateSize == first.IntermediateSize)
            ? Llama : Deci;
    }

    /// <summary>Fails, before anything is written, on what llama.cpp cannot represent.</summary>
    public static void Check(ModelConfig c, string path)
    {
        if (c.RopeScaling is not null)
            throw new SlimLLMException(path, $"the model uses {c.RopeScaling.Type} RoPE scaling, which the GGUF export does not write yet.",
                "Export a model without rope_scaling, or use the safetensors output.");
        if (c.HeadDim % 2 != 0)
            throw new SlimLLMException(path, $"the head dimension {c.HeadDim} is odd; RoPE needs an even one.");
        for (int i = 0; i < c.NumLayers; i++)
        {
            var l = c.Layers[i];
            if (l.NumHeads <= 0 || l.NumKeyValueHeads <= 0 || l.IntermediateSize <= 0)
                throw new SlimLLMException(path,
                    $"layer {i} has {l.NumHeads} heads, {l.NumKeyValueHeads} KV heads and {l.IntermediateSize} FFN channels; the GGUF export needs at least one of each.",
                    "Prune less from that layer.");
            // llama.cpp creates attn_q.bias with n_embd elements (llama and deci alike).
            if (l.Biases.Q && (long)l.NumHeads * c.HeadDim != c.HiddenSize)
                throw new SlimLLMException(path,
                    $"layer {i} has a q_proj bias of {l.NumHeads * c.HeadDim} elements, but llama.cpp only loads a q_proj bias as wide as the hidden size ({c.HiddenSize}).",
                    "Export this model as safetensors instead.");
        }
    }

    public static void Write(GgufMetadataBuilder m, ModelConfig c, string architecture, string name, GgufOutputType type)
    {
        var a = architecture;
        m.Set("general.architecture", a);
        m.Set("general.name", name);
        m.Set("general.file_type", FileType(type));
        m.Set($"{a}.context_length", (uint)c.MaxPositionEmbeddings);
        m.Set($"{a}.embedding_length", (uint)c.HiddenSize);
        m.Set($"{a}.block_count", (uint)c.NumLayers);
        if (a == Deci)
        {
            m.SetArray($"{a}.feed_forward_length", c.Layers.Select(l => l.IntermediateSize).ToArray());
            m.SetArray($"{a}.attention.head_count", c.Layers.Select(l => l.NumHeads).ToArray());
            m.SetArray($"{a}.attention.head_count_kv", c.Layers.Select(l => l.NumKeyValueHeads).ToArray());
        }
        else
        {
            m.Set($"{a}.feed_forward_length", (uint)c.Layers[0].IntermediateSize);
            m.Set($"{a}.attention.head_count", (uint)c.Layers[0].NumHeads);
            m.Set($"{a}.attention.head_count_kv", (uint)c.Layers[0].NumKeyValueHeads);
        }
        // Stated explicitly: llama.cpp's default, hidden / head_count of layer 0, is wrong once layer 0 lost heads.
        m.Set($"{a}.attention.key_length", (uint)c.HeadDim);
        m.Set($"{a}.attention.value_length", (uint)c.HeadDim);
        m.Set($"{a}.rope.dimension_count", (uint)c.HeadDim);
        m.Set($"{a}.rope.freq_base", (float)c.RopeTheta);
        m.Set($"{a}.attention.layer_norm_rms_epsilon", (float)c.RmsNormEps);
        m.Set($"{a}.vocab_size", (uint)c.VocabSize);
    }

    /// <summary>llama_ftype: ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_Q4_0 = 2, MOSTLY_Q8_0 = 7, MOSTLY_BF16 = 32.</summary>
    private static uint FileType(GgufOutputType t) => t switch
    {
        GgufOutputType.F32 => 0,
        GgufOutputType.F16 => 1,
        GgufOutputType.BF16 => 32,
        GgufOutputType.Q8_0 => 7,
        GgufOutputType.Q4_0 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
