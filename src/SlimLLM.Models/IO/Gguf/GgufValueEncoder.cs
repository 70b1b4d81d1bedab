using System.Text;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// Encodes GGUF metadata values as the GGUF v3 specification lays them out (little-endian; strings as u64 length + UTF-8
/// bytes; arrays as element type u32 + u64 count + elements). The CLR value must be the one <see cref="GgufValue"/>
/// documents for its type (uint for u32, string[] for an array of strings, ...).
/// </summary>
internal static class GgufValueEncoder
{
    private const int MaxNesting = 8;

    public static void Validate(string key, GgufValue value, int depth = 0)
    {
        if (depth >= MaxNesting) throw new ArgumentException($"metadata '{key}' nests arrays more than {MaxNesting} deep.", nameof(value));
        if (!value.IsArray)
        {
            if (!ScalarMatches(value.Type, value.Value))
                throw new ArgumentException($"metadata '{key}' is declared {value.Type.Describe()} but holds a {value.Value.GetType().Name}.", nameof(value));
            return;
        }
        var element = value.ElementType!.Value;
        var expected = ArrayClrType(element);
        if (value.Value.GetType() != expected)
            throw new ArgumentException($"metadata '{key}' is an array of {element.Describe()}, which must be held as {expected.Name}, not {value.Value.GetType().Name}.", nameof(value));
        if (value.Value is string[] strings && strings.Any(s => s is null))
            throw new ArgumentException($"metadata '{key}' holds a null string.", nameof(value));
        if (value.Value is GgufValue[] nested)
            foreach (var inner in nested)
            {
                if (inner is null || !inner.IsArray) throw new ArgumentException($"metadata '{key}' is an array of arrays but an element is not an array.", nameof(value));
                Validate(key, inner, depth + 1);
            }
    }

    public static void WriteEntry(BinaryWriter w, string key, GgufValue value)
    {
        WriteString(w, key);
        w.Write((uint)value.Type);
        WriteValue(w, value);
    }

    public static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValue value)
    {
        if (value.IsArray)
        {
            w.Write((uint)value.ElementType!.Value);
            WriteArray(w, value.ElementType.Value, (Array)value.Value);
            return;
        }
        WriteScalar(w, value.Value);
    }

    private static void WriteScalar(BinaryWriter w, object v)
    {
        switch (v)
        {
            case byte x: w.Write(x); break;
            case sbyte x: w.Write(x); break;
            case ushort x: w.Write(x); break;
            case short x: w.Write(x); break;
            case uint x: w.Write(x); break;
            case int x: w.Write(x); break;
            case ulong x: w.Write(x); break;
            case long x: w.Write(x); break;
            case float x: w.Write(x); break;
            case double x: w.Write(x); break;
            case bool x: w.Write((byte)(x ? 1 : 0)); break;
            case string x: WriteString(w, x); break;
            default: throw new ArgumentException($"{v.GetType().Name} is not a GGUF scalar.");
        }
    }

    private static void WriteArray(BinaryWriter w, GgufValueType element, Array values)
    {
        w.Write((ulong)values.Length);
        switch (values)
        {
            case GgufValue[] nested:
                foreach (var inner in nested)
                {
                    w.Write((uint)inner.ElementType!.Value);
                    WriteArray(w, inner.ElementType.Value, (Array)inner.Value);
                }
                break;
            case string[] strings:
                foreach (var s in strings) WriteString(w, s);
                break;
            case bool[] bools:
                foreach (var b in bools) w.Write((byte)(b ? 1 : 0));
                break;
            default:
                // Fixed-size numbers: the CLR array already holds them little-endian, element by element.
                var size = element.FixedSize()!.Value;
                var bytes = new byte[values.Length * size];
                Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
                w.Write(bytes);
                break;
        }
    }

    private static bool ScalarMatches(GgufValueType t, object v) => t switch
    {
        GgufValueType.UInt8 => v is byte,
        GgufValueType.Int8 => v is sbyte,
        GgufValueType.UInt16 => v is ushort,
        GgufValueType.Int16 => v is short,
        GgufValueType.UInt32 => v is uint,
        GgufValueType.Int32 => v is int,
        GgufValueType.UInt64 => v is ulong,
        GgufValueType.Int64 => v is long,
        GgufValueType.Float32 => v is float,
        GgufValueType.Float64 => v is double,
        GgufValueType.Bool => v is bool,
        GgufValueType.String => v is string,
        _ => false,
    };

    private static Type ArrayClrType(GgufValueType element) => element switch
    {
        GgufValueType.UInt8 => typeof(byte[]),
        GgufValueType.Int8 => typeof(sbyte[]),
        GgufValueType.UInt16 => typeof(ushort[]),
        GgufValueType.Int16 => typeof(short[]),
        GgufValueType.UInt32 => typeof(uint[]),
        GgufValueType.Int32 => typeof(int[]),
        GgufValueType.UInt64 => typeof(ulong[]),
        GgufValueType.Int64 => typeof(long[]),
        GgufValueType.Float32 => typeof(float[]),
        GgufValueType.Float64 => typeof(double[]),
        GgufValueType.Bool => typeof(bool[]),
        GgufValueType.String => typeof(string[]),
        GgufValueType.Array => typeof(GgufValue[]),
        _ => throw new ArgumentOutOfRangeException(nameof(element), element, "not a GGUF value type"),
    };
}
