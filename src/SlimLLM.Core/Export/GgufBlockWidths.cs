using SlimLLM.IO.Gguf;
using SlimLLM.Resources;

namespace SlimLLM.Export;

/// <summary>
/// Quantised GGUF blocks run along a matrix's rows (GGUF's ne[0], the input width), 32 values each, so every quantised
/// matrix needs an input width that is a multiple of 32. ffn_down's is the layer's FFN width, which pruning decides
/// (<c>pruning.channel_multiple</c> rounds it); the others are the hidden size and the kept heads times the head size.
/// </summary>
internal static class GgufBlockWidths
{
    public static void Check(IEnumerable<GgufTensorDeclaration> tensors, GgufOutputType type, string modelPath)
    {
        var bad = tensors.Where(t => GgufQuantizer.IsQuantized(t.Type) && t.Shape[^1] % GgufQuantizer.BlockSize != 0).ToList();
        if (bad.Count == 0) return;
        var ffn = bad.Where(t => t.Name.EndsWith(".ffn_down.weight", StringComparison.Ordinal)).ToList();
        var list = string.Join(", ", bad.Take(4).Select(t => $"{t.Name} ({t.Shape[^1]})")) + (bad.Count > 4 ? $" and {bad.Count - 4} more" : "");
        var cause = $"{type.Name()} stores matrices in blocks of {GgufQuantizer.BlockSize} values along each row, but these rows are not a multiple of {GgufQuantizer.BlockSize} long: {list}.";
        if (ffn.Count == bad.Count)
            throw new SettingException("pruning.channel_multiple", modelPath, cause,
                $"Set 'pruning.channel_multiple: {GgufQuantizer.BlockSize}' (--channel-multiple {GgufQuantizer.BlockSize}) so that every FFN width is a multiple of {GgufQuantizer.BlockSize}, or export as f16.");
        throw new SettingException("output.gguf_type", modelPath, cause,
            "This model's hidden size or attention width cannot be written in blocks of 32: export as f32, f16 or bf16.");
    }
}
