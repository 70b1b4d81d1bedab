namespace SlimLLM.IO.Gguf;

/// <summary>The type tag of a GGUF metadata value, as numbered by the GGUF specification.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

public static class GgufValueTypes
{
    public static bool IsDefined(uint raw) => raw <= (uint)GgufValueType.Float64;

    public static bool IsInteger(this GgufValueType t) => t is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16
        or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Encoded size of one value of a fixed-size type; null for strings and arrays.</summary>
    public static int? FixedSize(this GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => null,
    };

    /// <summary>Name used in error messages ("u32", "string", "array of f32").</summary>
    public static string Describe(this GgufValueType t) => t switch
    {
        GgufValueType.UInt8 => "u8",
        GgufValueType.Int8 => "i8",
        GgufValueType.UInt16 => "u16",
        GgufValueType.Int16 => "i16",
        GgufValueType.UInt32 => "u32",
        GgufValueType.Int32 => "i32",
        GgufValueType.UInt64 => "u64",
        GgufValueType.Int64 => "i64",
        GgufValueType.Float32 => "f32",
        GgufValueType.Float64 => "f64",
        GgufValueType.Bool => "bool",
        GgufValueType.String => "string",
        GgufValueType.Array => "array",
        _ => $"type {(uint)t}",
    };
}
