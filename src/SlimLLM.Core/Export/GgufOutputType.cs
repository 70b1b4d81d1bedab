namespace SlimLLM.Export;

/// <summary>
/// Element type of the exported weight matrices (embedding, projections, output head). Norm weights and biases are
/// always float32, as llama.cpp's own converter writes them.
/// </summary>
public enum GgufOutputType
{
    F32,
    F16,
    BF16,
}

public static class GgufOutputTypes
{
    /// <summary>"f32", "f16" or "bf16" (any case), as a command line or manifest spells it.</summary>
    public static GgufOutputType Parse(string text, string? source = null) => text.Trim().ToLowerInvariant() switch
    {
        "f32" or "float32" => GgufOutputType.F32,
        "f16" or "float16" => GgufOutputType.F16,
        "bf16" or "bfloat16" => GgufOutputType.BF16,
        _ => throw new Errors.SlimLLMException(source, $"'{text}' is not a GGUF output type.", "Use f32, f16 or bf16."),
    };

    /// <summary>The name a manifest and the command line use: "f32", "f16" or "bf16".</summary>
    public static string Name(GgufOutputType type) => type.ToString().ToLowerInvariant();
}
