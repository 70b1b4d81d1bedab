using System.Text;

namespace SlimLLM.IO.Safetensors;

/// <summary>
/// Where each tensor goes in a file written by <see cref="SafetensorsWriter"/>, and the header bytes, laid out exactly as the
/// Hugging Face <c>safetensors</c> crate does (safetensors/src/tensor.rs, <c>prepare</c> and <c>Serialize for Metadata</c>):
/// tensors sorted by dtype (Rust enum order, descending) then by name (byte order), packed back to back from offset 0;
/// header JSON compact with <c>__metadata__</c> first, then tensors in file order, each as <c>{"dtype","shape","data_offsets"}</c>,
/// strings escaped as serde_json does, padded with spaces to a multiple of 8 bytes.
/// </summary>
public sealed class SafetensorsLayout
{
    private SafetensorsLayout(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyList<KeyValuePair<string, string>> metadata, byte[] header)
    {
        Entries = entries;
        Metadata = metadata;
        HeaderBytes = header;
    }

    /// <summary>The tensors in file order, with offsets relative to the data region.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }
    /// <summary>The <c>__metadata__</c> entries as written, "format":"pt" included.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; }
    /// <summary>The padded header JSON, without the 8-byte length prefix.</summary>
    public byte[] HeaderBytes { get; }
    public long DataStart => 8 + HeaderBytes.Length;
    public long DataLength => Entries.Count == 0 ? 0 : Entries[^1].End;
    public long FileLength => DataStart + DataLength;

    /// <param name="metadata">Caller's entries in the order wanted; "format" is forced to "pt" (added first when absent).</param>
    public static SafetensorsLayout Plan(IEnumerable<TensorInfo> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (t.Name == "__metadata__") throw new ArgumentException("\"__metadata__\" cannot be a tensor name.", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor '{t.Name}' is declared twice.", nameof(tensors));
            if (t.Shape.Any(d => d < 0)) throw new ArgumentException($"tensor '{t.Name}' has a negative dimension.", nameof(tensors));
        }

        list.Sort(static (a, b) =>
        {
            var byDType = SafetensorsDTypes.RustEnumRank(b.DType).CompareTo(SafetensorsDTypes.RustEnumRank(a.DType));
            return byDType != 0 ? byDType : Utf8Order.Compare(a.Name, b.Name);
        });

        var entries = new List<SafetensorsEntry>(list.Count);
        long offset = 0;
        foreach (var t in list)
        {
            var length = checked(t.ElementCount * t.DType.ElementSize());
            entries.Add(new SafetensorsEntry(t with { Shape = (long[])t.Shape.Clone() }, offset, offset + length));
            offset += length;
        }

        var meta = WithFormat(metadata);
        return new SafetensorsLayout(entries, meta, BuildHeader(entries, meta));
    }

    private static List<KeyValuePair<string, string>> WithFormat(IEnumerable<KeyValuePair<string, string>>? metadata)
    {
        var result = new List<KeyValuePair<string, string>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in metadata ?? [])
        {
            if (!keys.Add(k)) throw new ArgumentException($"metadata key '{k}' appears twice.", nameof(metadata));
            // Transformers refuses files whose format is not a known framework; our bytes are PyTorch layout.
            result.Add(new(k, k == "format" ? "pt" : v));
        }
        if (!keys.Contains("format")) result.Insert(0, new("format", "pt"));
        return result;
    }

    private static byte[] BuildHeader(List<SafetensorsEntry> entries, List<KeyValuePair<string, string>> metadata)
    {
        var sb = new StringBuilder(64 + entries.Count * 96);
        sb.Append("{\"__metadata__\":{");
        for (var i = 0; i < metadata.Count; i++)
        {
            if (i > 0) sb.Append(',');
            AppendString(sb, metadata[i].Key);
            sb.Append(':');
            AppendString(sb, metadata[i].Value);
        }
        sb.Append('}');
        foreach (var e in entries)
        {
            sb.Append(',');
            AppendString(sb, e.Name);
            sb.Append(":{\"dtype\":\"").Append(SafetensorsDTypes.Name(e.Info.DType)).Append("\",\"shape\":[");
            sb.AppendJoin(',', e.Info.Shape);
            sb.Append("],\"data_offsets\":[").Append(e.Begin).Append(',').Append(e.End).Append("]}");
        }
        sb.Append('}');

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var json = utf8.GetBytes(sb.ToString());
        var padded = new byte[(json.Length + 7) / 8 * 8];
        json.CopyTo(padded, 0);
        padded.AsSpan(json.Length).Fill((byte)' ');
        return padded;
    }

    /// <summary>serde_json's escaping: quote, backslash and control characters only; everything else raw UTF-8.</summary>
    private static void AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ': sb.Append("\\u00").Append(((int)c).ToString("x2")); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Rust compares <c>String</c>s byte by byte in UTF-8, which differs from UTF-16 ordinal order above U+FFFF.</summary>
    private static class Utf8Order
    {
        public static int Compare(string a, string b) =>
            Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
    }
}
