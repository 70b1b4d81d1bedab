using SlimLLM.Errors;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// The key/value metadata of a GGUF file with typed accessors. Integer accessors accept any integer encoding whose value
/// fits (converters differ: one writes u32, another i32 or u64); float accessors accept f32 and f64.
/// A missing key or a value of the wrong type is a <see cref="SlimLLMException"/> naming the file and the key.
/// </summary>
public sealed class GgufMetadata
{
    private readonly Dictionary<string, GgufValue> _values;
    private readonly List<string> _keys;

    internal GgufMetadata(string path, List<KeyValuePair<string, GgufValue>> entries)
    {
        Path = path;
        _values = new Dictionary<string, GgufValue>(entries.Count, StringComparer.Ordinal);
        _keys = new List<string>(entries.Count);
        foreach (var (key, value) in entries)
        {
            _values.Add(key, value);
            _keys.Add(key);
        }
    }

    /// <summary>The file the metadata comes from, for error messages.</summary>
    public string Path { get; }
    /// <summary>Keys in file order.</summary>
    public IReadOnlyList<string> Keys => _keys;
    public int Count => _keys.Count;
    public bool Contains(string key) => _values.ContainsKey(key);
    public bool TryGetValue(string key, out GgufValue value) => _values.TryGetValue(key, out value!);

    public GgufValue this[string key] => _values.TryGetValue(key, out var v)
        ? v
        : throw new SlimLLMException(Path, $"GGUF metadata key '{key}' is missing.",
            "The file may come from a converter for another architecture; re-convert it with llama.cpp's convert_hf_to_gguf.py.");

    public string GetString(string key) => Scalar(key, GgufValueType.String, "a string") is string s ? s : throw WrongType(key, "a string");
    public string? GetString(string key, string? defaultValue) => Contains(key) ? GetString(key) : defaultValue;

    public bool GetBool(string key) => Scalar(key, GgufValueType.Bool, "a bool") is bool b ? b : throw WrongType(key, "a bool");
    public bool GetBool(string key, bool defaultValue) => Contains(key) ? GetBool(key) : defaultValue;

    public uint GetUInt(string key) => (uint)IntegerInRange(key, 0, uint.MaxValue, "an unsigned 32-bit integer");
    public uint GetUInt(string key, uint defaultValue) => Contains(key) ? GetUInt(key) : defaultValue;
    public int GetInt(string key) => (int)IntegerInRange(key, int.MinValue, int.MaxValue, "a 32-bit integer");
    public int GetInt(string key, int defaultValue) => Contains(key) ? GetInt(key) : defaultValue;
    public long GetLong(string key) => (long)IntegerInRange(key, long.MinValue, long.MaxValue, "a 64-bit integer");
    public ulong GetULong(string key)
    {
        var v = this[key];
        return v.Value switch
        {
            ulong u => u,
            _ => (ulong)IntegerInRange(key, 0, long.MaxValue, "an unsigned 64-bit integer"),
        };
    }

    public float GetFloat(string key) => (float)GetDouble(key);
    public float GetFloat(string key, float defaultValue) => Contains(key) ? GetFloat(key) : defaultValue;
    public double GetDouble(string key) => this[key].Value switch
    {
        float f => f,
        double d => d,
        _ => throw WrongType(key, "a float"),
    };

    /// <summary>The array stored under the key (any element type).</summary>
    public GgufValue GetArray(string key)
    {
        var v = this[key];
        return v.IsArray ? v : throw WrongType(key, "an array");
    }

    public string[] GetStringArray(string key) => GetArray(key).Value as string[] ?? throw WrongType(key, "an array of strings");

    /// <summary>An array of f32 (or f64, narrowed) as float[].</summary>
    public float[] GetFloatArray(string key) => GetArray(key).Value switch
    {
        float[] f => f,
        double[] d => Array.ConvertAll(d, x => (float)x),
        _ => throw WrongType(key, "an array of floats"),
    };

    /// <summary>An array of any integer type whose values all fit in int, as int[].</summary>
    public int[] GetIntArray(string key)
    {
        var array = GetArray(key);
        if (!array.ElementType!.Value.IsInteger()) throw WrongType(key, "an array of integers");
        var source = (Array)array.Value;
        var result = new int[source.Length];
        for (int i = 0; i < result.Length; i++)
        {
            var element = source.GetValue(i)!;
            if (!TryToInt128(element, out var wide) || wide < int.MinValue || wide > int.MaxValue)
                throw new SlimLLMException(Path, $"GGUF metadata key '{key}' holds {element} at index {i}, which does not fit in a 32-bit integer.",
                    "The file is corrupt or not a model this tool supports.");
            result[i] = (int)wide;
        }
        return result;
    }

    private object Scalar(string key, GgufValueType type, string expected)
    {
        var v = this[key];
        return v.Type == type ? v.Value : throw WrongType(key, expected);
    }

    private Int128 IntegerInRange(string key, Int128 min, Int128 max, string expected)
    {
        var v = this[key];
        if (!TryToInt128(v.Value, out var wide)) throw WrongType(key, expected);
        if (wide < min || wide > max)
            throw new SlimLLMException(Path, $"GGUF metadata key '{key}' is {wide}, which is out of range for {expected}.",
                "The file is corrupt or was written by a converter this tool does not support.");
        return wide;
    }

    private static bool TryToInt128(object value, out Int128 wide)
    {
        switch (value)
        {
            case byte x: wide = x; return true;
            case sbyte x: wide = x; return true;
            case ushort x: wide = x; return true;
            case short x: wide = x; return true;
            case uint x: wide = x; return true;
            case int x: wide = x; return true;
            case ulong x: wide = x; return true;
            case long x: wide = x; return true;
            default: wide = 0; return false;
        }
    }

    private SlimLLMException WrongType(string key, string expected) =>
        new(Path, $"GGUF metadata key '{key}' is of type {this[key].TypeDescription}, expected {expected}.",
            "The file was written by a converter this tool does not support; re-convert it with llama.cpp's convert_hf_to_gguf.py.");
}
