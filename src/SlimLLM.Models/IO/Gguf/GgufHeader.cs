using System.Buffers.Binary;
using SlimLLM.Errors;

namespace SlimLLM.IO.Gguf;

/// <summary>The parsed header of a GGUF file: version, metadata, tensor directory and where the tensor data starts.</summary>
internal sealed class GgufHeader
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian u32
    public const uint DefaultAlignment = 32;
    private const int MaxDims = 4; // GGML_MAX_DIMS
    private const int MaxArrayNesting = 8;

    public required uint Version { get; init; }
    public required GgufMetadata Metadata { get; init; }
    public required List<GgufTensorEntry> Tensors { get; init; }
    public required uint Alignment { get; init; }
    public required long DataOffset { get; init; }

    public static GgufHeader Parse(GgufHeaderReader r, string path)
    {
        if (r.Length < 4)
            throw new SlimLLMException(path, $"not a GGUF file: it is only {r.Length} bytes long.", "Pass a .gguf model file.");
        var magic = r.ReadU32("the magic number");
        if (magic != Magic)
            throw new SlimLLMException(path,
                $"not a GGUF file: it starts with bytes {Hex(magic)} instead of 47 47 55 46 (\"GGUF\").",
                "Pass a .gguf model file written by llama.cpp.");
        var version = r.ReadU32("the GGUF version");
        if (version is not (2 or 3))
        {
            var swapped = BinaryPrimitives.ReverseEndianness(version);
            var cause = swapped is 2 or 3
                ? $"big-endian GGUF files (version {swapped}) are not supported."
                : $"GGUF version {version} is not supported (versions 2 and 3 are).";
            throw new SlimLLMException(path, cause, "Re-convert the model with a current llama.cpp (convert_hf_to_gguf.py).");
        }

        var tensorCount = r.ReadCount("the tensor count");
        var kvCount = r.ReadCount("the metadata count");
        // Each key/value needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8 + 4 + 4 + 8.
        if (kvCount > r.Remaining / 13 || tensorCount > r.Remaining / 24)
            throw r.Corrupt($"it declares {kvCount} metadata entries and {tensorCount} tensors, more than its {r.Length} bytes can hold");

        var entries = new List<KeyValuePair<string, GgufValue>>((int)kvCount);
        var seenKeys = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            var key = r.ReadString($"the key of metadata entry {i}");
            if (!seenKeys.Add(key)) throw r.Corrupt($"metadata key '{key}' appears twice");
            var type = ReadType(r, $"the type of metadata '{key}'");
            entries.Add(new(key, ReadValue(r, type, key, 0)));
        }
        var metadata = new GgufMetadata(path, entries);

        var alignment = metadata.GetUInt("general.alignment", DefaultAlignment);
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw r.Corrupt($"general.alignment is {alignment}, which is not a power of two");

        var tensors = new List<GgufTensorEntry>((int)tensorCount);
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
        {
            var entry = ReadTensorInfo(r, i);
            if (!seenNames.Add(entry.Name)) throw r.Corrupt($"tensor '{entry.Name}' is listed twice");
            if (entry.Offset % alignment != 0)
                throw r.Corrupt($"tensor '{entry.Name}' starts at data offset {entry.Offset}, which is not a multiple of the alignment {alignment}");
            tensors.Add(entry);
        }

        var dataOffset = (r.Position + alignment - 1) / alignment * alignment;
        foreach (var t in tensors)
        {
            if (t.ByteLength is not long bytes) continue;
            if (t.Offset > r.Length - dataOffset - bytes)
                throw new SlimLLMException(path,
                    $"tensor '{t.Name}' ({t.Type.Describe()}, {t.ShapeText}, {bytes} bytes at byte {dataOffset + t.Offset}) extends past the end of the file ({r.Length} bytes): the file is truncated.",
                    "Download or convert the file again.");
        }
        CheckOverlaps(r, tensors);

        return new GgufHeader { Version = version, Metadata = metadata, Tensors = tensors, Alignment = alignment, DataOffset = dataOffset };
    }

    /// <summary>Tensors must not share data bytes (as safetensors requires); empty tensors and those of unknown size are left out.</summary>
    private static void CheckOverlaps(GgufHeaderReader r, List<GgufTensorEntry> tensors)
    {
        var sorted = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.Offset).ToList();
        for (var k = 1; k < sorted.Count; k++)
        {
            var (a, b) = (sorted[k - 1], sorted[k]);
            long aEnd = a.Offset + a.ByteLength!.Value;
            if (b.Offset < aEnd)
                throw r.Corrupt($"tensors '{a.Name}' [{a.Offset}, {aEnd}] and '{b.Name}' [{b.Offset}, {b.Offset + b.ByteLength!.Value}] overlap (data offsets)");
        }
    }

    private static GgufTensorEntry ReadTensorInfo(GgufHeaderReader r, long index)
    {
        var name = r.ReadString($"the name of tensor {index}");
        var dims = r.ReadU32($"the dimension count of tensor '{name}'");
        if (dims > MaxDims) throw r.Corrupt($"tensor '{name}' has {dims} dimensions (at most {MaxDims} are allowed)");
        var shape = new long[dims];
        long elements = 1;
        for (int d = 0; d < dims; d++)
        {
            var ne = r.ReadCount($"dimension {d} of tensor '{name}'");
            shape[dims - 1 - d] = ne; // GGUF lists ne[] innermost first; row-major lists it outermost first
            try { elements = checked(elements * ne); }
            catch (OverflowException) { throw r.Corrupt($"tensor '{name}' has more elements than fit in 64 bits"); }
        }
        var type = (GgmlType)r.ReadU32($"the type of tensor '{name}'");
        var offset = r.ReadCount($"the data offset of tensor '{name}'");
        long? bytes = null;
        if (type.ToDType() is TensorDType dtype)
        {
            try { bytes = checked(elements * dtype.ElementSize()); }
            catch (OverflowException) { throw r.Corrupt($"tensor '{name}' is larger than 2^63 bytes"); }
        }
        return new GgufTensorEntry(name, type, shape, offset, bytes);
    }

    private static GgufValueType ReadType(GgufHeaderReader r, string what)
    {
        var start = r.Position;
        var raw = r.ReadU32(what);
        if (!GgufValueTypes.IsDefined(raw)) throw r.Corrupt($"{what} at byte {start} is {raw}, which is not a GGUF value type");
        return (GgufValueType)raw;
    }

    private static GgufValue ReadValue(GgufHeaderReader r, GgufValueType type, string key, int depth)
    {
        var what = $"the value of metadata '{key}'";
        return type switch
        {
            GgufValueType.UInt8 => new(type, r.ReadU8(what)),
            GgufValueType.Int8 => new(type, (sbyte)r.ReadU8(what)),
            GgufValueType.UInt16 => new(type, r.ReadArray<ushort>(1, what)[0]),
            GgufValueType.Int16 => new(type, r.ReadArray<short>(1, what)[0]),
            GgufValueType.UInt32 => new(type, r.ReadU32(what)),
            GgufValueType.Int32 => new(type, (int)r.ReadU32(what)),
            GgufValueType.UInt64 => new(type, r.ReadU64(what)),
            GgufValueType.Int64 => new(type, (long)r.ReadU64(what)),
            GgufValueType.Float32 => new(type, BitConverter.UInt32BitsToSingle(r.ReadU32(what))),
            GgufValueType.Float64 => new(type, BitConverter.UInt64BitsToDouble(r.ReadU64(what))),
            GgufValueType.Bool => new(type, r.ReadU8(what) != 0),
            GgufValueType.String => new(type, r.ReadString(what)),
            GgufValueType.Array => ReadArray(r, key, depth),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    private static GgufValue ReadArray(GgufHeaderReader r, string key, int depth)
    {
        if (depth >= MaxArrayNesting) throw r.Corrupt($"metadata '{key}' nests arrays more than {MaxArrayNesting} deep");
        var elementType = ReadType(r, $"the element type of metadata '{key}'");
        var start = r.Position;
        var count = r.ReadCount($"the length of metadata array '{key}'");
        var minElementSize = elementType.FixedSize() ?? (elementType == GgufValueType.String ? 8 : 12);
        if (count > r.Remaining / minElementSize)
            throw r.Truncated(start, count > long.MaxValue / minElementSize ? long.MaxValue : count * minElementSize, $"metadata array '{key}' ({count} x {elementType.Describe()})");
        var what = $"the elements of metadata array '{key}'";
        Array values = elementType switch
        {
            GgufValueType.UInt8 => r.ReadArray<byte>(count, what),
            GgufValueType.Int8 => r.ReadArray<sbyte>(count, what),
            GgufValueType.UInt16 => r.ReadArray<ushort>(count, what),
            GgufValueType.Int16 => r.ReadArray<short>(count, what),
            GgufValueType.UInt32 => r.ReadArray<uint>(count, what),
            GgufValueType.Int32 => r.ReadArray<int>(count, what),
            GgufValueType.UInt64 => r.ReadArray<ulong>(count, what),
            GgufValueType.Int64 => r.ReadArray<long>(count, what),
            GgufValueType.Float32 => r.ReadArray<float>(count, what),
            GgufValueType.Float64 => r.ReadArray<double>(count, what),
            GgufValueType.Bool => Array.ConvertAll(r.ReadArray<byte>(count, what), b => b != 0),
            GgufValueType.String => ReadStrings(r, count, key),
            GgufValueType.Array => ReadNested(r, count, key, depth),
            _ => throw new ArgumentOutOfRangeException(nameof(elementType)),
        };
        return new GgufValue(GgufValueType.Array, values, elementType);
    }

    private static string[] ReadStrings(GgufHeaderReader r, long count, string key)
    {
        var result = new string[count];
        for (long i = 0; i < count; i++) result[i] = r.ReadString($"element {i} of metadata array '{key}'");
        return result;
    }

    private static GgufValue[] ReadNested(GgufHeaderReader r, long count, string key, int depth)
    {
        var result = new GgufValue[count];
        for (long i = 0; i < count; i++) result[i] = ReadArray(r, key, depth + 1);
        return result;
    }

    private static string Hex(uint v) => string.Join(" ", BitConverter.GetBytes(v).Select(b => b.ToString("X2")));
}
