namespace SlimLLM.IO.Gguf;

/// <summary>ggml tensor element types as numbered in GGUF files (ggml.h, enum ggml_type). Gaps are ids llama.cpp retired.</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
}

public static class GgmlTypes
{
    /// <summary>The plain (unquantized) element type this reader can load, or null for quantized and unknown types.</summary>
    public static TensorDType? ToDType(this GgmlType t) => t switch
    {
        GgmlType.F32 => TensorDType.F32,
        GgmlType.F16 => TensorDType.F16,
        GgmlType.BF16 => TensorDType.BF16,
        GgmlType.F64 => TensorDType.F64,
        GgmlType.I8 => TensorDType.I8,
        GgmlType.I16 => TensorDType.I16,
        GgmlType.I32 => TensorDType.I32,
        GgmlType.I64 => TensorDType.I64,
        _ => null,
    };

    /// <summary>llama.cpp's name for the type ("Q4_K"), or "type N" for an id this reader does not know.</summary>
    public static string Describe(this GgmlType t) => Enum.IsDefined(t) ? t.ToString() : $"type {(uint)t}";
}
