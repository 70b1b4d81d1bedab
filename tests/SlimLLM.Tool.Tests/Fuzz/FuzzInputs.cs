using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.Support;

namespace SlimLLM.Tests.Fuzz;

/// <summary>
/// One fuzz input: <see cref="Prepare"/> writes the mutated files into an empty case folder and returns the tool's
/// arguments (paths inside that folder). <see cref="Mutation"/> says what was changed, for the report.
/// </summary>
internal sealed record FuzzCase(int Index, string Target, string Mutation, Func<string, string[]> Prepare);

/// <summary>
/// Mutated copies of the shared data, case by case from a fixed seed (case i depends only on the seed and i): safetensors
/// headers, GGUF headers, config.json, tokenizer.json and slimllm.yaml, each run through the command that reads it
/// (inspect, generate, prune).
/// </summary>
internal sealed class FuzzInputs(int seed)
{
    public static readonly string[] Targets = ["safetensors", "gguf", "config", "tokenizer", "yaml"];
    private const string Prompt = "Once upon a time, Zürich 😀\n\n<s> the end";

    private static readonly Lazy<byte[]> Safetensors = new(() => File.ReadAllBytes(Path.Combine(TestData.TinyStoriesLlama, "model.safetensors")));
    private static readonly Lazy<byte[]> Gguf = new(() => File.ReadAllBytes(TestData.Stories260KGguf));
    private static readonly Lazy<GgufLayout> GgufFields = new(GgufLayout.Read);

    public FuzzCase Case(int index)
    {
        var r = new Random(unchecked(seed * 1_000_003 + index)); // not HashCode.Combine: its seed changes per process
        var target = Targets[index % Targets.Length];
        return target switch
        {
            "safetensors" => SafetensorsCase(index, r),
            "gguf" => GgufCase(index, r),
            "config" => JsonFileCase(index, r, "config", "config.json"),
            "tokenizer" => JsonFileCase(index, r, "tokenizer", "tokenizer.json"),
            _ => YamlCase(index, r),
        };
    }

    // ---- commands -------------------------------------------------------------------------------------------------

    /// <summary>Mostly `inspect` (fast); sometimes `generate` or a tiny `prune`, which read the tokenizer and the weights.</summary>
    private static (string Name, Func<string, string[]> Args) ModelCommand(Random r, int generatePercent = 15, int prunePercent = 10)
    {
        var roll = r.Next(100);
        if (roll < prunePercent)
            return ("prune", m => ["prune", "--model", m, "--calibration", TestData.TinyStoriesValid, "--samples", "2", "--seq-len", "16",
                "--target", "0.2", "--no-cache", "--device", "cpu", "-o", Path.Combine(Path.GetDirectoryName(m)!, "out")]);
        if (roll < prunePercent + generatePercent)
            return ("generate", m => ["generate", "--model", m, "-p", Prompt, "-n", "2", "--device", "cpu"]);
        return ("inspect", m => ["inspect", m]);
    }

    /// <summary>A folder with the tinystories-llama files linked in, except <paramref name="mutated"/>, written from <paramref name="bytes"/>.</summary>
    private static string ModelFolder(string dir, string mutated, byte[] bytes)
    {
        var model = Path.Combine(dir, "model");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(TestData.TinyStoriesLlama))
            if (Path.GetFileName(f) != mutated) File.CreateSymbolicLink(Path.Combine(model, Path.GetFileName(f)), f);
        File.WriteAllBytes(Path.Combine(model, mutated), bytes);
        return model;
    }

    // ---- safetensors ------------------------------------------------------------------------------------------------

    private static FuzzCase SafetensorsCase(int index, Random r)
    {
        var original = Safetensors.Value;
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var data = original.AsSpan(8 + headerLength).ToArray();
        byte[] bytes;
        string what;
        switch (r.Next(6))
        {
            case 0 or 1:
                var json = Json.Mutate(r, Encoding.UTF8.GetString(original, 8, headerLength), out what);
                bytes = WithHeader(Encoding.UTF8.GetBytes(json), data);
                break;
            case 5:
                bytes = WithHeader(Encoding.UTF8.GetBytes(PlausibleHeaderEdit(r, Encoding.UTF8.GetString(original, 8, headerLength), out what)), data);
                break;
            case 2:
                var length = Pick<ulong>(r, [0UL, 1, 7, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)original.Length, (ulong)original.Length - 8,
                    int.MaxValue, uint.MaxValue, long.MaxValue, ulong.MaxValue]);
                bytes = (byte[])original.Clone();
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
                what = $"header length field set to {length}";
                break;
            case 3:
                bytes = Raw.Flip(r, original, 0, 8 + headerLength, out what);
                break;
            default:
                bytes = Raw.Truncate(r, original, out what);
                break;
        }
        var (command, args) = ModelCommand(r);
        return new FuzzCase(index, "safetensors", $"model.safetensors: {what}; {command}", dir => args(ModelFolder(dir, "model.safetensors", bytes)));
    }

    /// <summary>Edits that keep the header well formed, so that the model code behind the parser sees them.</summary>
    private static string PlausibleHeaderEdit(Random r, string header, out string what)
    {
        var root = JsonNode.Parse(header)!.AsObject();
        var names = root.Select(p => p.Key).Where(k => k != "__metadata__").ToList();
        var (a, b) = (names[r.Next(names.Count)], names[r.Next(names.Count)]);
        var ta = root[a]!;
        switch (r.Next(4))
        {
            case 0:
                ta["data_offsets"] = root[b]!["data_offsets"]!.DeepClone();
                what = $"'{a}' data_offsets set to those of '{b}'";
                break;
            case 1:
                var dtype = Pick<string>(r, ["F16", "BF16", "F64", "I32", "U32", "I8", "BOOL", "F8_E4M3", "I64"]);
                ta["dtype"] = dtype;
                what = $"'{a}' dtype set to {dtype}";
                break;
            case 2:
                var shape = ta["shape"]!.AsArray().Select(n => n!.GetValue<long>()).Reverse().ToArray();
                ta["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray());
                what = $"'{a}' shape reversed to [{string.Join(", ", shape)}]";
                break;
            default:
                root.Remove(a);
                what = $"tensor '{a}' removed";
                break;
        }
        return root.ToJsonString();
    }

    private static byte[] WithHeader(byte[] header, byte[] data)
    {
        var padded = (header.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + padded);
        return bytes;
    }

    // ---- GGUF -------------------------------------------------------------------------------------------------------

    private sealed record GgufLayout(List<(string Key, GgufValueType Type)> Metadata, List<string> Tensors, long DataOffset)
    {
        public static GgufLayout Read()
        {
            using var f = GgufFile.Open(TestData.Stories260KGguf);
            return new GgufLayout(f.Metadata.Keys.Select(k => (k, f.Metadata[k].Type)).ToList(), f.Tensors.Select(t => t.Name).ToList(), f.DataOffset);
        }
    }

    private static FuzzCase GgufCase(int index, Random r)
    {
        var layout = GgufFields.Value;
        var bytes = (byte[])Gguf.Value.Clone();
        string what;
        bool tokenizer = false;
        switch (r.Next(6))
        {
            case 0:
                var (name, at) = r.Next(2) == 0 ? ("tensor count", GgufPatch.TensorCountAt) : ("metadata count", GgufPatch.MetadataCountAt);
                var count = Raw.U64(r);
                GgufPatch.WriteU64(bytes, at, count);
                what = $"{name} set to {count}";
                break;
            case 1 or 2:
                var (key, type) = layout.Metadata[r.Next(layout.Metadata.Count)];
                tokenizer = key.StartsWith("tokenizer.", StringComparison.Ordinal);
                what = PatchValue(r, bytes, GgufPatch.ValueAt(bytes, key), type, key);
                break;
            case 3:
                var tensor = layout.Tensors[r.Next(layout.Tensors.Count)];
                var info = GgufPatch.TensorInfoAt(bytes, tensor);
                var dims = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(info));
                switch (r.Next(4))
                {
                    case 0:
                        var n = Raw.U32(r);
                        GgufPatch.WriteU32(bytes, info, n);
                        what = $"tensor '{tensor}' dimension count set to {n}";
                        break;
                    case 1:
                        var d = r.Next(dims);
                        var ne = Raw.U64(r);
                        GgufPatch.WriteU64(bytes, info + 4 + 8 * d, ne);
                        what = $"tensor '{tensor}' dimension {d} set to {ne}";
                        break;
                    case 2:
                        var t = Pick<uint>(r, [0u, 1, 2, 8, 30, 31, 39, 1000, uint.MaxValue]);
                        GgufPatch.WriteU32(bytes, info + 4 + 8 * dims, t);
                        what = $"tensor '{tensor}' type set to {t}";
                        break;
                    default:
                        var other = layout.Tensors[r.Next(layout.Tensors.Count)];
                        var offset = r.Next(2) == 0 ? GgufPatch.ReadU64(bytes, GgufPatch.TensorOffsetAt(bytes, other)) : Raw.U64(r);
                        GgufPatch.WriteU64(bytes, GgufPatch.TensorOffsetAt(bytes, tensor), offset);
                        what = $"tensor '{tensor}' data offset set to {offset}";
                        break;
                }
                break;
            case 4:
                bytes = Raw.Flip(r, bytes, 0, (int)layout.DataOffset, out what);
                tokenizer = true;
                break;
            default:
                bytes = Raw.Truncate(r, bytes, out what);
                break;
        }
        var (command, args) = tokenizer ? ("generate", m => ["generate", "--model", m, "-p", Prompt, "-n", "2", "--device", "cpu"]) : ModelCommand(r);
        return new FuzzCase(index, "gguf", $"stories260K.gguf: {what}; {command}", dir =>
        {
            var path = Path.Combine(dir, "model.gguf");
            File.WriteAllBytes(path, bytes);
            return args(path);
        });
    }

    private static string PatchValue(Random r, byte[] bytes, int at, GgufValueType type, string key)
    {
        switch (type)
        {
            case GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool:
                bytes[at] = (byte)r.Next(256);
                return $"'{key}' set to byte {bytes[at]}";
            case GgufValueType.UInt16 or GgufValueType.Int16:
                var h = (ushort)Pick<int>(r, [0, 1, 0x7FFF, 0x8000, 0xFFFF]);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), h);
                return $"'{key}' set to u16 {h}";
            case GgufValueType.UInt32 or GgufValueType.Int32:
                var v = Raw.U32(r);
                GgufPatch.WriteU32(bytes, at, v);
                return $"'{key}' set to u32 {v}";
            case GgufValueType.Float32:
                var f = Pick<float>(r, [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -1f, 1e-45f, 1e30f]);
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), f);
                return $"'{key}' set to f32 {f}";
            case GgufValueType.String:
                var length = Raw.U64(r);
                GgufPatch.WriteU64(bytes, at, length);
                return $"'{key}' string length set to {length}";
            case GgufValueType.Array when r.Next(2) == 0:
                var element = Pick<uint>(r, [0u, 4, 6, 8, 9, 12, 13, 1000]);
                GgufPatch.WriteU32(bytes, at, element);
                return $"'{key}' array element type set to {element}";
            case GgufValueType.Array:
                var count = Raw.U64(r);
                GgufPatch.WriteU64(bytes, at + 4, count);
                return $"'{key}' array length set to {count}";
            default:
                var u = Raw.U64(r);
                GgufPatch.WriteU64(bytes, at, u);
                return $"'{key}' set to u64 {u}";
        }
    }

    // ---- config.json and tokenizer.json ---------------------------------------------------------------------------------

    private static FuzzCase JsonFileCase(int index, Random r, string target, string file)
    {
        var original = File.ReadAllBytes(Path.Combine(TestData.TinyStoriesLlama, file));
        byte[] bytes;
        string what;
        switch (r.Next(10))
        {
            case 0:
                bytes = Raw.Truncate(r, original, out what);
                break;
            case 1:
                bytes = Raw.Flip(r, original, 0, original.Length, out what);
                break;
            default:
                bytes = Encoding.UTF8.GetBytes(Json.Mutate(r, Encoding.UTF8.GetString(original), out what));
                break;
        }
        // The tokenizer is read by commands that encode text; config.json by every command.
        var (command, args) = target == "tokenizer" ? ModelCommand(r, generatePercent: 80, prunePercent: 20) : ModelCommand(r, 20, 15);
        return new FuzzCase(index, target, $"{file}: {what}; {command}", dir => args(ModelFolder(dir, file, bytes)));
    }

    // ---- slimllm.yaml -----------------------------------------------------------------------------------------------

    private static string BaseManifest(Random r) => $"""
        models:
          - name: fuzz
            source:
              path: {(r.Next(2) == 0 ? TestData.TinyStoriesLlama : TestData.Stories260KGguf)}
            calibration:
              files: ["{TestData.TinyStoriesValid}"]
              samples: 2
              seq_len: 16
              seed: 7
            pruning:
              method: slimllm
              target: 0.2
            output:
              dir: out
              formats: [safetensors]
            device: cpu

        """;

    private static readonly string[] YamlValues =
    [
        "0", "-1", "1", "1e9", "100000", "2147483648", "-0.5", "0.99", "1.5", "NaN", ".nan", ".inf", "abc", "", "~", "null", "[]", "{}", "[1, 2]",
        "true", "\"\"", "'", "\"unterminated", "*alias", "&anchor x", "!!binary AAAA", "!!int x", "|", ">", "- a", "{a: [b, {c: d}]}",
        "../../../../../../etc", "/", ".", "..", "out/../..", "gguf", "safetensors", "magnitude", "dense", "cuda", "auto", "\t", "a: b: c",
        new string('n', 300),
    ];

    private static FuzzCase YamlCase(int index, Random r)
    {
        var lines = BaseManifest(r).Split('\n').ToList();
        string what;
        int i = r.Next(lines.Count - 1);
        switch (r.Next(9))
        {
            case 0 or 1 or 2:
                var colon = lines[i].IndexOf(':');
                if (colon < 0) goto case 3;
                var value = Pick(r, YamlValues);
                what = $"line {i + 1} '{lines[i].Trim()}' -> value '{value}'";
                lines[i] = lines[i][..(colon + 1)] + " " + value;
                break;
            case 3:
                what = $"line {i + 1} '{lines[i].Trim()}' removed";
                lines.RemoveAt(i);
                break;
            case 4:
                what = $"line {i + 1} '{lines[i].Trim()}' duplicated";
                lines.Insert(i, lines[i]);
                break;
            case 5:
                var shift = r.Next(2) == 0 ? " " : lines[i].StartsWith(' ') ? "" : "\t";
                what = $"line {i + 1} '{lines[i].Trim()}' re-indented";
                lines[i] = shift.Length > 0 ? shift + lines[i] : lines[i][1..];
                break;
            case 6:
                var key = lines[i].TrimStart(' ', '-');
                var cut = key.IndexOf(':');
                if (cut <= 1) goto case 3;
                var drop = r.Next(cut);
                what = $"line {i + 1} key '{key[..cut]}' misspelt";
                lines[i] = lines[i].Replace(key[..cut], key[..cut].Remove(drop, 1));
                break;
            case 7:
                var text = string.Join('\n', lines);
                var raw = r.Next(2) == 0 ? Raw.Truncate(r, Encoding.UTF8.GetBytes(text), out what) : Raw.Flip(r, Encoding.UTF8.GetBytes(text), 0, text.Length, out what);
                return YamlFile(index, what, raw);
            default:
                var depth = Pick<int>(r, [64, 1000, 10000]);
                what = $"pruning.alpha nested {depth} deep";
                var p = lines.FindIndex(l => l.Contains("target:"));
                lines[p] = "      alpha: " + new string('[', depth) + new string(']', depth);
                break;
        }
        return YamlFile(index, what, Encoding.UTF8.GetBytes(string.Join('\n', lines)));
    }

    private static FuzzCase YamlFile(int index, string what, byte[] bytes) => new(index, "yaml", $"slimllm.yaml: {what}; prune", dir =>
    {
        var path = Path.Combine(dir, "slimllm.yaml");
        File.WriteAllBytes(path, bytes);
        return ["prune", path, "--no-cache"];
    });

    private static T Pick<T>(Random r, IReadOnlyList<T> values) => values[r.Next(values.Count)];

    /// <summary>Byte-level mutations and special integers.</summary>
    private static class Raw
    {
        public static byte[] Truncate(Random r, byte[] data, out string what)
        {
            var keep = r.Next(data.Length);
            what = $"truncated to {keep} of {data.Length} bytes";
            return data[..keep];
        }

        public static byte[] Flip(Random r, byte[] data, int start, int end, out string what)
        {
            var bytes = (byte[])data.Clone();
            var changes = new List<string>();
            for (int k = r.Next(1, 5); k > 0; k--)
            {
                var at = r.Next(start, end);
                var b = (byte)Pick<int>(r, [0, 0x0A, 0x22, 0x5C, 0x7B, 0x7D, 0x80, 0xC3, 0xFF, r.Next(256)]);
                changes.Add($"{at}:{bytes[at]:X2}->{b:X2}");
                bytes[at] = b;
            }
            what = "bytes changed " + string.Join(", ", changes);
            return bytes;
        }

        public static uint U32(Random r) => Pick<uint>(r, [0u, 1, 2, 3, 7, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, (uint)r.Next()]);

        public static ulong U64(Random r) => Pick<ulong>(r, [0UL, 1, 2, 0x7FFFFFFF, 0xFFFFFFFF, 1UL << 32, 1UL << 40, 1UL << 62, long.MaxValue, 1UL << 63,
            ulong.MaxValue, (ulong)r.NextInt64()]);
    }

    /// <summary>Mutations of one JSON value: replaced by a special value, removed, or a number pushed out of range.</summary>
    private static class Json
    {
        public static string Mutate(Random r, string text, out string what)
        {
            var root = JsonNode.Parse(text)!;
            var slots = new List<(JsonNode Parent, string? Key, int Index, string Path)>();
            Collect(root, "$", slots);
            var (parent, key, index, path) = slots[r.Next(slots.Count)];
            var roll = r.Next(10);
            if (roll < 2)
            {
                if (key is not null) ((JsonObject)parent).Remove(key);
                else ((JsonArray)parent).RemoveAt(index);
                what = $"{path} removed";
            }
            else
            {
                var current = key is not null ? parent[key] : parent[index];
                var replacement = roll < 4 && current is JsonValue v && v.TryGetValue<double>(out var d) ? Scaled(r, d) : Special(r);
                what = $"{path} = {replacement?.ToJsonString() ?? "null"}";
                if (what.Length > 120) what = what[..120] + "...";
                if (key is not null) parent[key] = replacement;
                else parent[index] = replacement;
            }
            return root.ToJsonString();
        }

        private static void Collect(JsonNode node, string path, List<(JsonNode, string?, int, string)> into)
        {
            if (node is JsonObject o)
                foreach (var (k, child) in o)
                {
                    into.Add((o, k, -1, $"{path}.{k}"));
                    if (child is not null) Collect(child, $"{path}.{k}", into);
                }
            else if (node is JsonArray a)
                for (int i = 0; i < a.Count; i++)
                {
                    into.Add((a, null, i, $"{path}[{i}]"));
                    if (a[i] is { } child) Collect(child, $"{path}[{i}]", into);
                }
        }

        private static JsonNode Scaled(Random r, double d) => Pick(r, new Func<JsonNode>[]
        {
            () => -d, () => d * 1000, () => d + 1, () => d - 1, () => d / 3, () => Math.Floor(d) + 0.5, () => d * 1e12,
        })();

        private static JsonNode? Special(Random r) => r.Next(22) switch
        {
            0 => 0, 1 => -1, 2 => 1, 3 => 2, 4 => int.MaxValue, 5 => int.MinValue, 6 => 4294967296L, 7 => 1e308, 8 => -1e-9, 9 => 0.5,
            10 => "", 11 => "x", 12 => "NaN", 13 => null, 14 => true, 15 => false, 16 => new JsonArray(), 17 => new JsonObject(),
            18 => new string('a', 300), 19 => new JsonArray(1, 2, 3), 20 => 1e-300, _ => "<unk>",
        };
    }
}
