using TorchSharp;

namespace SlimLLM.IO;

/// <summary>Element types that checkpoints in this project may hold.</summary>
public enum TensorDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool }

public static class TensorDTypes
{
    public static int ElementSize(this TensorDType t) => t switch
    {
        TensorDType.F64 or TensorDType.I64 => 8,
        TensorDType.F32 or TensorDType.I32 => 4,
        TensorDType.F16 or TensorDType.BF16 or TensorDType.I16 => 2,
        _ => 1,
    };

    public static torch.ScalarType ToScalarType(this TensorDType t) => t switch
    {
        TensorDType.F64 => torch.ScalarType.Float64,
        TensorDType.F32 => torch.ScalarType.Float32,
        TensorDType.F16 => torch.ScalarType.Float16,
        TensorDType.BF16 => torch.ScalarType.BFloat16,
        TensorDType.I64 => torch.ScalarType.Int64,
        TensorDType.I32 => torch.ScalarType.Int32,
        TensorDType.I16 => torch.ScalarType.Int16,
        TensorDType.I8 => torch.ScalarType.Int8,
        TensorDType.U8 => torch.ScalarType.Byte,
        TensorDType.Bool => torch.ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static TensorDType FromScalarType(torch.ScalarType s) => s switch
    {
        torch.ScalarType.Float64 => TensorDType.F64,
        torch.ScalarType.Float32 => TensorDType.F32,
        torch.ScalarType.Float16 => TensorDType.F16,
        torch.ScalarType.BFloat16 => TensorDType.BF16,
        torch.ScalarType.Int64 => TensorDType.I64,
        torch.ScalarType.Int32 => TensorDType.I32,
        torch.ScalarType.Int16 => TensorDType.I16,
        torch.ScalarType.Int8 => TensorDType.I8,
        torch.ScalarType.Byte => TensorDType.U8,
        torch.ScalarType.Bool => TensorDType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "no checkpoint dtype for this scalar type"),
    };
}
