using System.Text.Json;
using System.Text.Unicode;
using SlimLLM.Errors;

namespace SlimLLM.IO.Safetensors;

/// <summary>Parses and validates the JSON header of a safetensors file; every problem becomes a <see cref="SlimLLMException"/> naming the file.</summary>
internal static class SafetensorsHeaderParser
{
    /// <summary>The Hugging Face reader's limit; a larger length means the file is not a safetensors file.</summary>
    public const long MaxHeaderLength = 100_000_000;

    public const string RedownloadFix = "The file is damaged or is not a safetensors file: download or export it again.";

    public sealed record Header(IReadOnlyList<SafetensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>Checks the 8-byte length prefix against the file size and returns the header length.</summary>
    public static long ValidateLength(string file, long fileLength, ulong declaredLength)
    {
        if (declaredLength > MaxHeaderLength)
            throw Fail(file, $"header length {declaredLength} bytes is absurd (more than {MaxHeaderLength} bytes): the first 8 bytes are not a safetensors header length.");
        if ((long)declaredLength > fileLength - 8)
            throw Fail(file, $"header length {declaredLength} bytes runs past the end of the file ({fileLength} bytes, so at most {fileLength - 8} bytes of header).");
        if (declaredLength < 2)
            throw Fail(file, $"header length {declaredLength} bytes is too small for a JSON object.");
        return (long)declaredLength;
    }

    public static Header Parse(string file, ReadOnlyMemory<byte> json, long dataRegionLength)
    {
        if (!Utf8.IsValid(json.Span))
            throw Fail(file, $"header is not valid UTF-8 (first bad byte at header offset {FirstInvalidUtf8(json.Span)}).");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Fail(file, $"header is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail(file, $"header is a JSON {Describe(root.ValueKind)}, not a JSON object.");

            var entries = new List<SafetensorsEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
            var metadataSeen = false;
            foreach (var prop in root.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (metadataSeen) throw Fail(file, "header has two \"__metadata__\" entries.");
                    metadataSeen = true;
                    ReadMetadata(file, prop.Value, metadata);
                    continue;
                }
                if (!seen.Add(prop.Name))
                    throw Fail(file, $"tensor '{prop.Name}' appears twice in the header.");
                entries.Add(ReadEntry(file, prop.Name, prop.Value, dataRegionLength));
            }
            CheckOverlaps(file, entries);
            return new Header(entries, metadata);
        }
    }

    private static void ReadMetadata(string file, JsonElement value, OrderedDictionary<string, string> into)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(file, $"\"__metadata__\" is a JSON {Describe(value.ValueKind)}, not an object of strings.");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Fail(file, $"\"__metadata__\" entry '{p.Name}' is a JSON {Describe(p.Value.ValueKind)}; safetensors metadata values must be strings.");
            if (!into.TryAdd(p.Name, p.Value.GetString()!))
                throw Fail(file, $"\"__metadata__\" has the key '{p.Name}' twice.");
        }
    }

    private static SafetensorsEntry ReadEntry(string file, string name, JsonElement value, long dataRegionLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(file, $"tensor '{name}' is a JSON {Describe(value.ValueKind)}, not an object with dtype, shape and data_offsets.");

        var dtypeName = Required(file, name, value, "dtype", JsonValueKind.String).GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw Fail(file, $"tensor '{name}' has unsupported dtype \"{dtypeName}\"; supported dtypes: {SafetensorsDTypes.SupportedList}.",
                "Convert the checkpoint to one of the supported dtypes.");

        var shapeJson = Required(file, name, value, "shape", JsonValueKind.Array);
        var shape = new long[shapeJson.GetArrayLength()];
        var i = 0;
        foreach (var d in shapeJson.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                throw Fail(file, $"tensor '{name}' has shape element {d.GetRawText()}, which is not a non-negative integer.");
            shape[i++] = dim;
        }

        var offsetsJson = Required(file, name, value, "data_offsets", JsonValueKind.Array);
        if (offsetsJson.GetArrayLength() != 2)
            throw Fail(file, $"tensor '{name}' has data_offsets {offsetsJson.GetRawText()}; it must be [begin, end].");
        var begin = Offset(file, name, offsetsJson[0]);
        var end = Offset(file, name, offsetsJson[1]);
        if (end < begin)
            throw Fail(file, $"tensor '{name}' has data_offsets [{begin}, {end}] that end before they begin.");

        var info = new TensorInfo(name, dtype, shape);
        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw Fail(file, $"tensor '{name}' has shape [{string.Join(", ", shape)}], whose byte size overflows 64 bits.");
        }
        if (expected != end - begin)
            throw Fail(file, $"tensor '{name}' has shape [{string.Join(", ", shape)}] of {dtypeName}, which is {expected} bytes, " +
                             $"but its data_offsets [{begin}, {end}] span {end - begin} bytes.");
        if (end > dataRegionLength)
            throw Fail(file, $"file is truncated: tensor {name} needs bytes up to {end} but the data region has {dataRegionLength}.",
                "The download or copy was cut short: fetch the file again.");
        return new SafetensorsEntry(info, begin, end);
    }

    private static void CheckOverlaps(string file, List<SafetensorsEntry> entries)
    {
        // Empty tensors occupy no bytes, so they may share an offset with anything.
        var sorted = entries.Where(e => e.ByteLength > 0).OrderBy(e => e.Begin).ToList();
        for (var k = 1; k < sorted.Count; k++)
        {
            var (a, b) = (sorted[k - 1], sorted[k]);
            if (b.Begin < a.End)
                throw Fail(file, $"tensors '{a.Name}' [{a.Begin}, {a.End}] and '{b.Name}' [{b.Begin}, {b.End}] overlap.");
        }
    }

    private static JsonElement Required(string file, string name, JsonElement entry, string key, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(key, out var v))
            throw Fail(file, $"tensor '{name}' has no \"{key}\".");
        if (v.ValueKind != kind)
            throw Fail(file, $"tensor '{name}' has \"{key}\" as a JSON {Describe(v.ValueKind)}; expected a {Describe(kind)}.");
        return v;
    }

    private static long Offset(string file, string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var v) || v < 0)
            throw Fail(file, $"tensor '{name}' has data offset {e.GetRawText()}, which is not a non-negative 64-bit integer.");
        return v;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        // Utf8.IsValid found a problem; walk the text once more to report where.
        var pos = 0;
        while (pos < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[pos..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
                return pos;
            pos += consumed;
        }
        return pos;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    internal static SlimLLMException Fail(string file, string cause, string? fix = null) => new(file, cause, fix ?? RedownloadFix);
}
