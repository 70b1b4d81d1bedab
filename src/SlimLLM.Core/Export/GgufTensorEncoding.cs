using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.IO.Gguf;
using static TorchSharp.torch;

namespace SlimLLM.Export;

/// <summary>
/// Everything that depends on the GGUF output type, in one place: the ggml type of the weight matrices, the file's
/// general.file_type, and how a tensor's values become the declared type's data. Both writers of GGUF files (the export of
/// a finished model and the GGUF written layer by layer during a prune) encode through <see cref="Encode"/>.
/// </summary>
public static class GgufTensorEncoding
{
    /// <summary>The ggml type of the weight matrices (embedding, projections, output head); norms and biases stay float32.</summary>
    public static GgmlType MatrixType(GgufOutputType type) => type switch
    {
        GgufOutputType.F32 => GgmlType.F32,
        GgufOutputType.F16 => GgmlType.F16,
        GgufOutputType.BF16 => GgmlType.BF16,
        GgufOutputType.Q8_0 => GgmlType.Q8_0,
        GgufOutputType.Q4_0 => GgmlType.Q4_0,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Bytes a weight takes in the file (for the disk estimate).</summary>
    public static double BytesPerWeight(GgufOutputType type) => type switch
    {
        GgufOutputType.F32 => 4,
        GgufOutputType.F16 or GgufOutputType.BF16 => 2,
        GgufOutputType.Q8_0 => (double)GgufQuantizer.BlockBytes(GgmlType.Q8_0) / GgufQuantizer.BlockSize,
        GgufOutputType.Q4_0 => (double)GgufQuantizer.BlockBytes(GgmlType.Q4_0) / GgufQuantizer.BlockSize,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>llama_ftype: ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_Q4_0 = 2, MOSTLY_Q8_0 = 7, MOSTLY_BF16 = 32.</summary>
    public static uint FileType(GgufOutputType type) => type switch
    {
        GgufOutputType.F32 => 0,
        GgufOutputType.F16 => 1,
        GgufOutputType.BF16 => 32,
        GgufOutputType.Q8_0 => 7,
        GgufOutputType.Q4_0 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Writes <paramref name="value"/> as <paramref name="target"/> declares it: quantised blocks, or <see cref="Encode"/>.</summary>
    public static void Write(GgufWriter writer, Tensor value, GgufTensorDeclaration target)
    {
        using var scope = NewDisposeScope();
        if (GgufQuantizer.IsQuantized(target.Type))
            writer.WriteRaw(target.Name, GgufQuantizer.Quantize(target.Type, value.to(ScalarType.Float32).contiguous().data<float>().ToArray()));
        else
            writer.Write(target.Name, Encode(value, target, writer.Path));
    }

    /// <summary>
    /// <paramref name="value"/> (any dtype) as the data of <paramref name="target"/>: through float32 to the declared type,
    /// contiguous. Values beyond float16's range are an error naming the tensor, not infinities in the file.
    /// </summary>
    public static Tensor Encode(Tensor value, GgufTensorDeclaration target, string outPath)
    {
        var dtype = target.Type.ToDType()!.Value.ToScalarType();
        var f32 = value.to(ScalarType.Float32);
        if (dtype == ScalarType.Float16)
        {
            var largest = f32.abs().max().item<float>();
            if (largest > 65504f)
                throw new SlimLLMException(outPath, $"tensor {target.Name} holds {largest:G6}, beyond the float16 range (65504).",
                    "Export as f32 or bf16 instead.");
        }
        return f32.to(dtype).contiguous();
    }
}
