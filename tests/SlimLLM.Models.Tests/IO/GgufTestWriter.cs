using System.Text;
using SlimLLM.IO.Gguf;

namespace SlimLLM.Tests.IO;

/// <summary>Writes small GGUF files for tests, byte by byte as the GGUF specification lays them out.</summary>
internal sealed class GgufTestWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value, GgufValueType? ElementType)> _metadata = [];
    private readonly List<(string Name, uint Type, long[] Shape, byte[] Data)> _tensors = [];
    private readonly Dictionary<string, long> _offsetOverrides = [];

    public uint Version { get; set; } = 3;
    public uint Magic { get; set; } = 0x46554747;
    public uint Alignment { get; set; } = 32;

    public GgufTestWriter Add(string key, GgufValueType type, object value)
    {
        _metadata.Add((key, type, value, null));
        return this;
    }

    public GgufTestWriter AddArray(string key, GgufValueType elementType, Array values)
    {
        _metadata.Add((key, GgufValueType.Array, values, elementType));
        return this;
    }

    /// <summary>Adds a tensor; <paramref name="shape"/> is row-major (it is written reversed, as GGUF's ne[]).</summary>
    public GgufTestWriter AddTensor(string name, GgmlType type, long[] shape, byte[] data)
    {
        _tensors.Add((name, (uint)type, shape, data));
        return this;
    }

    /// <summary>Declares <paramref name="name"/> at data offset <paramref name="offset"/> instead of the next free aligned one.</summary>
    public GgufTestWriter AtOffset(string name, long offset)
    {
        _offsetOverrides[name] = offset;
        return this;
    }

    public GgufTestWriter AddF32(string name, long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return AddTensor(name, GgmlType.F32, shape, bytes);
    }

    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(Magic);
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, type, value, elementType) in _metadata)
        {
            WriteString(w, key);
            w.Write((uint)type);
            if (type == GgufValueType.Array) WriteArray(w, elementType!.Value, (Array)value);
            else WriteScalar(w, type, value);
        }
        var offsets = new List<long>();
        long offset = 0;
        foreach (var t in _tensors)
        {
            offsets.Add(offset);
            offset = Align(offset + t.Data.Length);
        }
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            WriteString(w, t.Name);
            w.Write((uint)t.Shape.Length);
            foreach (var ne in t.Shape.Reverse()) w.Write((ulong)ne);
            w.Write(t.Type);
            w.Write((ulong)_offsetOverrides.GetValueOrDefault(t.Name, offsets[i]));
        }
        w.Flush();
        Pad(ms);
        foreach (var t in _tensors)
        {
            ms.Write(t.Data);
            Pad(ms);
        }
        return ms.ToArray();
    }

    public void WriteTo(string path) => File.WriteAllBytes(path, ToBytes());

    private long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private void Pad(MemoryStream ms)
    {
        while (ms.Length % Alignment != 0) ms.WriteByte(0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteArray(BinaryWriter w, GgufValueType elementType, Array values)
    {
        w.Write((uint)elementType);
        w.Write((ulong)values.Length);
        foreach (var v in values)
        {
            if (elementType == GgufValueType.Array)
            {
                var (innerType, inner) = ((GgufValueType, Array))v!;
                WriteArray(w, innerType, inner);
            }
            else WriteScalar(w, elementType, v!);
        }
    }

    private static void WriteScalar(BinaryWriter w, GgufValueType type, object v)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write((byte)v); break;
            case GgufValueType.Int8: w.Write((sbyte)v); break;
            case GgufValueType.UInt16: w.Write((ushort)v); break;
            case GgufValueType.Int16: w.Write((short)v); break;
            case GgufValueType.UInt32: w.Write((uint)v); break;
            case GgufValueType.Int32: w.Write((int)v); break;
            case GgufValueType.UInt64: w.Write((ulong)v); break;
            case GgufValueType.Int64: w.Write((long)v); break;
            case GgufValueType.Float32: w.Write((float)v); break;
            case GgufValueType.Float64: w.Write((double)v); break;
            case GgufValueType.Bool: w.Write((bool)v ? (byte)1 : (byte)0); break;
            case GgufValueType.String: WriteString(w, (string)v); break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    }
}
