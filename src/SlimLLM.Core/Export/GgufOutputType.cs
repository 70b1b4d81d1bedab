namespace SlimLLM.Export;

/// <summary>
/// Element type of the exported weight matrices (embedding, projections, output head). Norm weights and biases are
/// always float32, as llama.cpp's own converter writes them. Q8_0 and Q4_0 are llama.cpp's blocks of 32 values
/// (<see cref="IO.Gguf.GgufQuantizer"/>); with Q4_0 the output head (or the embedding it is tied to) is Q8_0, where
/// llama-quantize would use Q6_K, which this writer does not make.
/// </summary>
public enum GgufOutputType
{
    F32,
    F16,
    BF16,
    Q8_0,
    Q4_0,
}

public static class GgufOutputTypes
{
    /// <summary>The names a command line or manifest spells: f32, f16, bf16, q8_0, q4_0.</summary>
    public static IReadOnlyList<string> Names { get; } = ["f16", "f32", "bf16", "q8_0", "q4_0"];

    /// <summary>"f32", "f16", "bf16", "q8_0" or "q4_0" (any case), as a command line or manifest spells it.</summary>
    public static GgufOutputType Parse(string text, string? source = null) => text.Trim().ToLowerInvariant() switch
    {
        "f32" or "float32" => GgufOutputType.F32,
        "f16" or "float16" => GgufOutputType.F16,
        "bf16" or "bfloat16" => GgufOutputType.BF16,
        "q8_0" => GgufOutputType.Q8_0,
        "q4_0" => GgufOutputType.Q4_0,
        _ => throw new Errors.SlimLLMException(source, $"'{text}' is not a GGUF output type.", "Use f32, f16, bf16, q8_0 or q4_0."),
    };

    public static string Name(this GgufOutputType type) => type.ToString().ToLowerInvariant();

    /// <summary>Whether the matrices are written in blocks of 32 (every row a multiple of 32 long).</summary>
    public static bool IsQuantized(this GgufOutputType type) => IO.Gguf.GgufQuantizer.IsQuantized(GgufTensorEncoding.MatrixType(type));
}
