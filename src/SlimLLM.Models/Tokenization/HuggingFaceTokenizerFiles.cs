using System.Text.Json;
using SlimLLM.Errors;

namespace SlimLLM.Tokenization;

/// <summary>
/// What the Hugging Face tokenizer files say beyond what the native library exposes: the token-to-id map of
/// tokenizer.json (model vocabulary plus added tokens) and the BOS/EOS tokens. BOS and EOS come from tokenizer_config.json,
/// else special_tokens_map.json, else config.json (bos_token_id / eos_token_id), else generation_config.json.
/// An explicit null in tokenizer_config.json (Qwen2's "bos_token": null) means the model has no such token.
/// </summary>
internal sealed class HuggingFaceTokenizerFiles
{
    public required string TokenizerJson { get; init; }
    public required IReadOnlyDictionary<string, int> TokenIds { get; init; }
    public required int VocabSize { get; init; }
    public required SpecialToken Bos { get; init; }
    public required SpecialToken Eos { get; init; }

    /// <summary>A special token as configured: Known says whether any file mentioned it; Id is null for "none".</summary>
    public readonly record struct SpecialToken(bool Known, int? Id);

    public static HuggingFaceTokenizerFiles Read(string folder)
    {
        var tokenizerJson = Path.Combine(folder, "tokenizer.json");
        var (ids, vocabSize) = ReadVocabulary(tokenizerJson);
        var configs = new[] { "tokenizer_config.json", "special_tokens_map.json" }
            .Select(name => Path.Combine(folder, name)).Where(File.Exists).Select(p => (Path: p, Json: ParseJson(p))).ToList();
        var modelConfigs = new[] { "config.json", "generation_config.json" }
            .Select(name => Path.Combine(folder, name)).Where(File.Exists).Select(p => (Path: p, Json: ParseJson(p))).ToList();
        return new HuggingFaceTokenizerFiles
        {
            TokenizerJson = tokenizerJson,
            TokenIds = ids,
            VocabSize = vocabSize,
            Bos = Resolve("bos", configs, modelConfigs, ids, vocabSize),
            Eos = Resolve("eos", configs, modelConfigs, ids, vocabSize),
        };
    }

    private static SpecialToken Resolve(string which, List<(string Path, JsonElement Json)> tokenizerConfigs,
        List<(string Path, JsonElement Json)> modelConfigs, IReadOnlyDictionary<string, int> ids, int vocabSize)
    {
        foreach (var (path, json) in tokenizerConfigs)
        {
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(which + "_token", out var token)) continue;
            var text = token.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => token.GetString(),
                JsonValueKind.Object when token.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                _ => throw new SlimLLMException(path, $"'{which}_token' is neither a string, an object with 'content', nor null.",
                    "Fix the file or copy it again from the model's repository."),
            };
            if (text is null) return new SpecialToken(true, null);
            return ids.TryGetValue(text, out var id)
                ? new SpecialToken(true, id)
                : throw new SlimLLMException(path, $"{which}_token '{text}' is not in the vocabulary of tokenizer.json.",
                    "Use the tokenizer files of one model together.");
        }
        foreach (var (path, json) in modelConfigs)
        {
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(which + "_token_id", out var value)) continue;
            if (value.ValueKind == JsonValueKind.Array) value = value.EnumerateArray().FirstOrDefault();
            if (value.ValueKind == JsonValueKind.Null || value.ValueKind == JsonValueKind.Undefined) return new SpecialToken(true, null);
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var id) || id < 0 || id >= vocabSize)
                throw new SlimLLMException(path, $"'{which}_token_id' is {value.GetRawText()}, not a token id below the vocabulary size {vocabSize}.",
                    "Use the config.json of the same model as tokenizer.json.");
            return new SpecialToken(true, id);
        }
        return new SpecialToken(false, null);
    }

    private static (Dictionary<string, int> Ids, int VocabSize) ReadVocabulary(string path)
    {
        var root = ParseJson(path);
        try
        {
            return ReadVocabulary(root, path);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
        {
            throw new SlimLLMException(path, $"has an unexpected layout in model.vocab or added_tokens: {e.Message}",
                "Use the tokenizer.json from the model's repository.", inner: e);
        }
    }

    private static (Dictionary<string, int> Ids, int VocabSize) ReadVocabulary(JsonElement root, string path)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var maxId = -1;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("model", out var model) && model.TryGetProperty("vocab", out var vocab))
        {
            if (vocab.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in vocab.EnumerateObject())
                    Add(p.Name, p.Value.GetInt32());
            }
            else if (vocab.ValueKind == JsonValueKind.Array)
            {
                // Unigram: [[piece, score], ...] with the index as id.
                var i = 0;
                foreach (var entry in vocab.EnumerateArray())
                    Add(entry[0].GetString()!, i++);
            }
        }
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in added.EnumerateArray())
                Add(t.GetProperty("content").GetString()!, t.GetProperty("id").GetInt32());
        }
        if (maxId < 0)
            throw new SlimLLMException(path, "holds no vocabulary (no model.vocab and no added_tokens).", "Use the tokenizer.json from the model's repository.");
        return (ids, maxId + 1);

        void Add(string token, int id)
        {
            ids[token] = id;
            maxId = Math.Max(maxId, id);
        }
    }

    private static JsonElement ParseJson(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new SlimLLMException(path, $"is not valid JSON: {e.Message}", "Copy the file again from the model's repository.",
                line: e.LineNumber is long l ? (int)l + 1 : null, column: e.BytePositionInLine is long c ? (int)c + 1 : null, inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlimLLMException(path, $"cannot be read: {e.Message}", "Check that the file exists and is readable.", inner: e);
        }
    }
}
