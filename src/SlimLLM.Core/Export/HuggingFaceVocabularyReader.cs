using System.Text.Json;
using System.Text.RegularExpressions;
using SlimLLM.Errors;
using SlimLLM.Tokenization;

namespace SlimLLM.Export;

/// <summary>
/// The SentencePiece vocabulary of a Hugging Face model folder, for llama.cpp. Like convert_hf_to_gguf.py it takes
/// tokenizer.model when there is one. Otherwise it reads a SentencePiece-style BPE tokenizer.json (U+2581 for spaces,
/// byte fallback), where convert_hf_to_gguf.py's LlamaHfVocab would give every piece the score -1000 and so lose the merge
/// order; here each piece made by a merge scores minus that merge's rank, so that llama.cpp's greedy highest-score merging
/// applies the merges in the order Hugging Face's BPE does.
/// </summary>
internal static partial class HuggingFaceVocabularyReader
{
    public static SentencePieceVocabulary Read(string folder, bool addBos)
    {
        var json = Path.Combine(folder, "tokenizer.json");
        var files = File.Exists(json) ? HuggingFaceTokenizerFiles.Read(folder) : null;
        var model = Path.Combine(folder, "tokenizer.model");
        if (File.Exists(model)) return FromSentencePieceModel(model, files, addBos);
        if (files is not null) return FromTokenizerJson(json, files, addBos);
        throw new SlimLLMException(folder, "holds neither tokenizer.model nor tokenizer.json, so the GGUF file would have no vocabulary.",
            "Copy the tokenizer files from the model's Hugging Face repository into the model folder.");
    }

    private static SentencePieceVocabulary FromSentencePieceModel(string path, HuggingFaceTokenizerFiles? files, bool addBos)
    {
        var proto = SentencePieceModelProto.Parse(File.ReadAllBytes(path), path);
        if (proto.ModelType != SentencePieceModelProto.BpeModel)
            throw new SlimLLMException(path, "is a SentencePiece Unigram model; llama.cpp's \"llama\" vocabulary needs a BPE model.",
                "Export a LLaMA-style model (SentencePiece BPE).");
        static int? Id(int id) => id >= 0 ? id : null;
        return new SentencePieceVocabulary
        {
            Source = path,
            Tokens = proto.Pieces.Select(p => p.Text).ToArray(),
            Scores = proto.Pieces.Select(p => p.Score).ToArray(),
            Types = proto.Pieces.Select(p => (int)p.Type).ToArray(), // SentencePiece numbers piece types as llama.cpp does
            BosId = files is { Bos.Known: true } ? files.Bos.Id : Id(proto.BosId),
            EosId = files is { Eos.Known: true } ? files.Eos.Id : Id(proto.EosId),
            UnknownId = Id(proto.UnkId),
            PaddingId = Id(proto.PadId),
            AddBos = addBos,
            AddSpacePrefix = proto.AddDummyPrefix,
        };
    }

    private static SentencePieceVocabulary FromTokenizerJson(string path, HuggingFaceTokenizerFiles files, bool addBos)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw Unsupported(path, "it has no \"model\" object");
        var type = Text(model, "type");
        if (type != "BPE")
            throw Unsupported(path, $"its model is of type {type ?? "(none)"}, not BPE");
        if (IsByteLevel(root))
            throw Unsupported(path, "it is a byte-level BPE (GPT-2 style, as in LLaMA-3 and Qwen2), which needs llama.cpp's \"gpt2\" vocabulary; that export is not implemented yet");
        var addSpacePrefix = SpacePrefix(root, out var sentencePieceStyle);
        if (!sentencePieceStyle)
            throw Unsupported(path, "it does not replace spaces with U+2581 (neither a Replace normalizer nor a Metaspace pre-tokenizer), so it is not SentencePiece-style");

        var size = files.VocabSize;
        var tokens = new string?[size];
        var types = new int[size];
        foreach (var (token, id) in files.TokenIds)
        {
            tokens[id] = token;
            types[id] = ByteToken().IsMatch(token) ? SentencePieceVocabulary.Byte : SentencePieceVocabulary.Normal;
        }
        var unk = Text(model, "unk_token") is string unkText && files.TokenIds.TryGetValue(unkText, out var unkId) ? unkId : (int?)null;
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            foreach (var a in added.EnumerateArray())
            {
                var id = a.GetProperty("id").GetInt32();
                var special = a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                types[id] = special ? SentencePieceVocabulary.Control : SentencePieceVocabulary.UserDefined;
            }
        if (unk is int k) types[k] = SentencePieceVocabulary.Unknown;

        var merges = ReadMerges(model, path);
        var scores = new float[size];
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < merges.Count; r++) ranks.TryAdd(merges[r].Left + merges[r].Right, r);
        for (int i = 0; i < size; i++)
        {
            if (tokens[i] is null)
            {
                tokens[i] = $"[PAD{i}]";
                types[i] = SentencePieceVocabulary.Unused;
                scores[i] = -1000f;
            }
            else if (types[i] == SentencePieceVocabulary.Normal)
            {
                // Pieces no merge makes (single characters) rank below every merge; llama.cpp never merges into them.
                scores[i] = ranks.TryGetValue(tokens[i]!, out var rank) ? -rank : -merges.Count;
            }
        }
        return new SentencePieceVocabulary
        {
            Source = path,
            Tokens = tokens!,
            Scores = scores,
            Types = types,
            BosId = files.Bos.Id,
            EosId = files.Eos.Id,
            UnknownId = unk,
            AddBos = addBos,
            AddSpacePrefix = addSpacePrefix,
        };
    }

    private static List<(string Left, string Right)> ReadMerges(JsonElement model, string path)
    {
        var result = new List<(string, string)>();
        if (!model.TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array)
            throw Unsupported(path, "its BPE model has no merges list");
        foreach (var m in merges.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String)
            {
                var text = m.GetString()!;
                var space = text.IndexOf(' ', 1);
                if (space < 0) throw Unsupported(path, $"merge \"{text}\" is not two pieces separated by a space");
                result.Add((text[..space], text[(space + 1)..]));
            }
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                result.Add((m[0].GetString()!, m[1].GetString()!));
            else
                throw Unsupported(path, $"a merge is {m.ValueKind}, neither \"left right\" nor [left, right]");
        }
        return result;
    }

    private static bool IsByteLevel(JsonElement root) =>
        root.TryGetProperty("pre_tokenizer", out var p) && p.ValueKind == JsonValueKind.Object && Types(p).Contains("ByteLevel");

    /// <summary>Whether a U+2581 is put in front of the text, and whether spaces become U+2581 at all.</summary>
    private static bool SpacePrefix(JsonElement root, out bool sentencePieceStyle)
    {
        bool prepend = false, replace = false;
        if (root.TryGetProperty("normalizer", out var n) && n.ValueKind == JsonValueKind.Object)
            foreach (var step in Steps(n, "normalizers"))
            {
                var kind = Text(step, "type");
                if (kind == "Prepend" && Text(step, "prepend") == "\u2581") prepend = true;
                if (kind == "Replace" && Text(step, "content") == "\u2581") replace = true;
            }
        if (root.TryGetProperty("pre_tokenizer", out var p) && p.ValueKind == JsonValueKind.Object)
            foreach (var step in Steps(p, "pretokenizers"))
            {
                if (Text(step, "type") != "Metaspace") continue;
                replace = true;
                var scheme = Text(step, "prepend_scheme");
                var addPrefix = step.TryGetProperty("add_prefix_space", out var a) && a.ValueKind == JsonValueKind.True;
                if (scheme is "always" or "first" || (scheme is null && addPrefix)) prepend = true;
            }
        sentencePieceStyle = replace;
        return prepend;
    }

    private static IEnumerable<JsonElement> Steps(JsonElement e, string listName) =>
        e.TryGetProperty(listName, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [e];

    private static IEnumerable<string?> Types(JsonElement e) => Steps(e, "pretokenizers").Select(s => Text(s, "type"));

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static SlimLLMException Unsupported(string path, string cause) => new(path,
        $"cannot be exported as a llama.cpp SentencePiece vocabulary: {cause}.",
        "Add the model's SentencePiece tokenizer.model to the folder, or export a LLaMA-2-style model.");

    [GeneratedRegex("^<0x[0-9A-Fa-f]{2}>$")]
    private static partial Regex ByteToken();
}
