using System.Text;

namespace SlimLLM.IO.Gguf;

/// <summary>
/// Where everything goes in a GGUF v3 file: the header (magic, version, counts, metadata, tensor infos) padded to the
/// alignment, then each tensor's data at an aligned offset relative to the data section, each padded to the alignment.
/// </summary>
internal sealed class GgufLayout
{
    public const uint Version = 3;

    private GgufLayout(byte[] header, IReadOnlyList<(GgufTensorDeclaration Tensor, long Offset)> entries, uint alignment, long dataLength)
    {
        HeaderBytes = header;
        Entries = entries;
        Alignment = alignment;
        DataLength = dataLength;
    }

    /// <summary>The header including the zero padding up to the data section.</summary>
    public byte[] HeaderBytes { get; }
    /// <summary>Tensors in file order with their offsets relative to <see cref="DataStart"/>.</summary>
    public IReadOnlyList<(GgufTensorDeclaration Tensor, long Offset)> Entries { get; }
    public uint Alignment { get; }
    public long DataStart => HeaderBytes.Length;
    /// <summary>Bytes of the data section, the padding after the last tensor included.</summary>
    public long DataLength { get; }
    public long FileLength => DataStart + DataLength;

    /// <summary>
    /// Lays out <paramref name="tensors"/> in the given order. general.alignment is read from <paramref name="metadata"/>
    /// when present (it must be a u32 power of two) and added as u32 32 otherwise, so every reader sees it stated.
    /// </summary>
    public static GgufLayout Plan(GgufMetadataBuilder metadata, IEnumerable<GgufTensorDeclaration> tensors)
    {
        var alignment = Alignment32(metadata);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<(GgufTensorDeclaration, long)>(list.Count);
        long offset = 0;
        foreach (var t in list)
        {
            if (string.IsNullOrEmpty(t.Name)) throw new ArgumentException("A tensor needs a name.", nameof(tensors));
            if (Encoding.UTF8.GetByteCount(t.Name) > 64)
                throw new ArgumentException($"tensor name '{t.Name}' is longer than the 64 bytes GGUF allows.", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor '{t.Name}' is declared twice.", nameof(tensors));
            if (t.Shape.Length is 0 or > 4 || t.Shape.Any(d => d <= 0))
                throw new ArgumentException($"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}]; GGUF needs 1 to 4 positive dimensions.", nameof(tensors));
            entries.Add((t, offset));
            offset = Align(offset + t.ByteLength, alignment);
        }

        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(GgufHeader.Magic);
            w.Write(Version);
            w.Write((ulong)entries.Count);
            w.Write((ulong)metadata.Count);
            foreach (var (key, value) in metadata.Entries) GgufValueEncoder.WriteEntry(w, key, value);
            foreach (var (t, at) in entries)
            {
                GgufValueEncoder.WriteString(w, t.Name);
                w.Write((uint)t.Shape.Length);
                for (int d = t.Shape.Length - 1; d >= 0; d--) w.Write((ulong)t.Shape[d]);
                w.Write((uint)t.Type);
                w.Write((ulong)at);
            }
        }
        ms.SetLength(Align(ms.Length, alignment));
        return new GgufLayout(ms.ToArray(), entries, alignment, offset);
    }

    public static long Align(long n, uint alignment) => (n + alignment - 1) / alignment * alignment;

    private static uint Alignment32(GgufMetadataBuilder metadata)
    {
        const string key = "general.alignment";
        if (!metadata.Contains(key))
        {
            metadata.Set(key, GgufHeader.DefaultAlignment);
            return GgufHeader.DefaultAlignment;
        }
        var v = metadata[key];
        if (v.Value is not uint a || a == 0 || (a & (a - 1)) != 0)
            throw new ArgumentException($"general.alignment must be a u32 power of two, not {v.TypeDescription} {v}.", nameof(metadata));
        return a;
    }
}
