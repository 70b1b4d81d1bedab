namespace SlimLLM.IO.Gguf;

/// <summary>
/// Collects GGUF metadata in the order it is to be written, with typed setters for every GGUF value type.
/// Setting a key twice replaces its value in place (so copied metadata can be overridden without reordering).
/// </summary>
public sealed class GgufMetadataBuilder
{
    private readonly List<KeyValuePair<string, GgufValue>> _entries = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Entries => _entries;
    public int Count => _entries.Count;
    public bool Contains(string key) => _index.ContainsKey(key);
    public GgufValue this[string key] => _entries[_index[key]].Value;

    public GgufMetadataBuilder Set(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        GgufValueEncoder.Validate(key, value);
        if (_index.TryGetValue(key, out var at)) _entries[at] = new(key, value);
        else
        {
            _index[key] = _entries.Count;
            _entries.Add(new(key, value));
        }
        return this;
    }

    public bool Remove(string key)
    {
        if (!_index.Remove(key, out var at)) return false;
        _entries.RemoveAt(at);
        for (int i = at; i < _entries.Count; i++) _index[_entries[i].Key] = i;
        return true;
    }

    public GgufMetadataBuilder Set(string key, byte value) => Set(key, new GgufValue(GgufValueType.UInt8, value));
    public GgufMetadataBuilder Set(string key, sbyte value) => Set(key, new GgufValue(GgufValueType.Int8, value));
    public GgufMetadataBuilder Set(string key, ushort value) => Set(key, new GgufValue(GgufValueType.UInt16, value));
    public GgufMetadataBuilder Set(string key, short value) => Set(key, new GgufValue(GgufValueType.Int16, value));
    public GgufMetadataBuilder Set(string key, uint value) => Set(key, new GgufValue(GgufValueType.UInt32, value));
    public GgufMetadataBuilder Set(string key, int value) => Set(key, new GgufValue(GgufValueType.Int32, value));
    public GgufMetadataBuilder Set(string key, ulong value) => Set(key, new GgufValue(GgufValueType.UInt64, value));
    public GgufMetadataBuilder Set(string key, long value) => Set(key, new GgufValue(GgufValueType.Int64, value));
    public GgufMetadataBuilder Set(string key, float value) => Set(key, new GgufValue(GgufValueType.Float32, value));
    public GgufMetadataBuilder Set(string key, double value) => Set(key, new GgufValue(GgufValueType.Float64, value));
    public GgufMetadataBuilder Set(string key, bool value) => Set(key, new GgufValue(GgufValueType.Bool, value));
    public GgufMetadataBuilder Set(string key, string value) => Set(key, new GgufValue(GgufValueType.String, value));

    public GgufMetadataBuilder SetArray(string key, byte[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.UInt8));
    public GgufMetadataBuilder SetArray(string key, sbyte[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Int8));
    public GgufMetadataBuilder SetArray(string key, ushort[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.UInt16));
    public GgufMetadataBuilder SetArray(string key, short[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Int16));
    public GgufMetadataBuilder SetArray(string key, uint[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.UInt32));
    public GgufMetadataBuilder SetArray(string key, int[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Int32));
    public GgufMetadataBuilder SetArray(string key, ulong[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.UInt64));
    public GgufMetadataBuilder SetArray(string key, long[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Int64));
    public GgufMetadataBuilder SetArray(string key, float[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Float32));
    public GgufMetadataBuilder SetArray(string key, double[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Float64));
    public GgufMetadataBuilder SetArray(string key, bool[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Bool));
    public GgufMetadataBuilder SetArray(string key, string[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.String));
    /// <summary>An array of arrays: each element must itself be an array value.</summary>
    public GgufMetadataBuilder SetArray(string key, GgufValue[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Array));
}
