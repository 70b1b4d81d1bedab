namespace SlimLLM.IO.Safetensors;

/// <summary>The dtype names of the safetensors header and the order the Hugging Face writer lays dtypes out in.</summary>
public static class SafetensorsDTypes
{
    private static readonly (TensorDType DType, string Name)[] Table =
    [
        (TensorDType.F64, "F64"), (TensorDType.F32, "F32"), (TensorDType.F16, "F16"), (TensorDType.BF16, "BF16"),
        (TensorDType.I64, "I64"), (TensorDType.I32, "I32"), (TensorDType.I16, "I16"), (TensorDType.I8, "I8"),
        (TensorDType.U8, "U8"), (TensorDType.Bool, "BOOL"),
    ];

    /// <summary>"F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL": for error messages.</summary>
    public static string SupportedList { get; } = string.Join(", ", Table.Select(t => t.Name));

    public static string Name(TensorDType dtype) => Table.First(t => t.DType == dtype).Name;

    public static bool TryParse(string name, out TensorDType dtype)
    {
        foreach (var (d, n) in Table)
        {
            if (string.Equals(n, name, StringComparison.Ordinal)) { dtype = d; return true; }
        }
        dtype = default;
        return false;
    }

    /// <summary>
    /// Position of the dtype in the Rust crate's <c>Dtype</c> enum (BOOL &lt; U8 &lt; I8 &lt; I16 &lt; F16 &lt; BF16 &lt; I32 &lt; F32 &lt; F64 &lt; I64).
    /// The Hugging Face writer sorts tensors by this, descending, then by name, so larger alignments come first.
    /// </summary>
    public static int RustEnumRank(TensorDType dtype) => dtype switch
    {
        TensorDType.Bool => 0,
        TensorDType.U8 => 1,
        TensorDType.I8 => 2,
        TensorDType.I16 => 3,
        TensorDType.F16 => 4,
        TensorDType.BF16 => 5,
        TensorDType.I32 => 6,
        TensorDType.F32 => 7,
        TensorDType.F64 => 8,
        TensorDType.I64 => 9,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
