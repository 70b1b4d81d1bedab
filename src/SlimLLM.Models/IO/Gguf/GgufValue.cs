using System.Globalization;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// One GGUF metadata value. <see cref="Value"/> holds the CLR value: byte, sbyte, ushort, short, uint, int, ulong, long,
/// float, double, bool or string for scalars; for arrays a typed CLR array (uint[], float[], string[], ...; bool[] for bool,
/// <see cref="GgufValue"/>[] for arrays of arrays) and <see cref="ElementType"/> says which.
/// </summary>
public sealed class GgufValue
{
    public GgufValue(GgufValueType type, object value, GgufValueType? elementType = null)
    {
        if (type == GgufValueType.Array && elementType is null)
            throw new ArgumentException("An array value needs its element type.", nameof(elementType));
        Type = type;
        Value = value;
        ElementType = type == GgufValueType.Array ? elementType : null;
    }

    public GgufValueType Type { get; }
    public object Value { get; }
    /// <summary>The element type when <see cref="Type"/> is <see cref="GgufValueType.Array"/>; null otherwise.</summary>
    public GgufValueType? ElementType { get; }

    public bool IsArray => Type == GgufValueType.Array;
    public int ArrayLength => IsArray ? ((Array)Value).Length : throw new InvalidOperationException("Not an array value.");

    /// <summary>"u32", "string", "array of 512 string".</summary>
    public string TypeDescription => IsArray ? $"array of {ArrayLength} {ElementType!.Value.Describe()}" : Type.Describe();

    public override string ToString() => IsArray
        ? $"[{TypeDescription}]"
        : Value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : Value.ToString() ?? "";
}
