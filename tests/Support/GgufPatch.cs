using System.Buffers.Binary;
using System.Text;

namespace SlimLLM.Tests.Support;

/// <summary>Finds fields in the header of a real GGUF file's bytes, to corrupt them in place.</summary>
internal static class GgufPatch
{
    public const int TensorCountAt = 8, MetadataCountAt = 16, FirstKeyLengthAt = 24;

    /// <summary>Where the value of metadata <paramref name="key"/> starts (after its length-prefixed key and u32 type).</summary>
    public static int ValueAt(byte[] gguf, string key) => After(gguf, key) + 4;

    /// <summary>Where the u32 dimension count of tensor <paramref name="name"/> lies (its u64 dims, u32 type and u64 offset follow).</summary>
    public static int TensorInfoAt(byte[] gguf, string name) => After(gguf, name);

    /// <summary>Where the u64 data offset of tensor <paramref name="name"/> lies in the tensor directory.</summary>
    public static int TensorOffsetAt(byte[] gguf, string name)
    {
        var at = TensorInfoAt(gguf, name);
        var dims = BinaryPrimitives.ReadUInt32LittleEndian(gguf.AsSpan(at));
        return at + 4 + 8 * (int)dims + 4;
    }

    public static void WriteU32(byte[] gguf, int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(gguf.AsSpan(at), value);
    public static void WriteU64(byte[] gguf, int at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(gguf.AsSpan(at), value);
    public static ulong ReadU64(byte[] gguf, int at) => BinaryPrimitives.ReadUInt64LittleEndian(gguf.AsSpan(at));

    /// <summary>The position just after the GGUF string (u64 length + UTF-8 bytes) <paramref name="text"/>.</summary>
    private static int After(byte[] gguf, string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var pattern = new byte[8 + utf8.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(pattern, (ulong)utf8.Length);
        utf8.CopyTo(pattern, 8);
        var at = gguf.AsSpan().IndexOf(pattern);
        if (at < 0) throw new ArgumentException($"'{text}' is not a string in the GGUF header.", nameof(text));
        return at + pattern.Length;
    }
}
