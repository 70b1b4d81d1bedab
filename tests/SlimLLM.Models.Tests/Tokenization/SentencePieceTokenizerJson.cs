using System.Text.Json;
using System.Text.Json.Nodes;
using SlimLLM.IO.Gguf;

namespace SlimLLM.Tests.Tokenization;

/// <summary>
/// Writes a Hugging Face tokenizer.json for a GGUF SentencePiece vocabulary the way transformers' LlamaConverter does:
/// BPE with byte fallback, merges (left, right) for every normal piece that splits into two pieces, ranked by the
/// piece's score; Prepend/Replace U+2581 normalizer; BOS added by a TemplateProcessing post-processor.
/// </summary>
internal static class SentencePieceTokenizerJson
{
    public static void Write(GgufMetadata m, string folder)
    {
        var tokens = m.GetStringArray("tokenizer.ggml.tokens");
        var scores = m.GetFloatArray("tokenizer.ggml.scores");
        var types = m.GetIntArray("tokenizer.ggml.token_type");
        var ids = tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);

        var merges = new List<(float Score, int Id, string Left, string Right)>();
        for (int i = 0; i < tokens.Length; i++)
        {
            if (types[i] != 1) continue;
            var runes = tokens[i].EnumerateRunes().Select(r => r.ToString()).ToArray();
            for (int k = 1; k < runes.Length; k++)
            {
                var left = string.Concat(runes[..k]);
                var right = string.Concat(runes[k..]);
                if (ids.ContainsKey(left) && ids.ContainsKey(right)) merges.Add((scores[i], i, left, right));
            }
        }
        var ranked = merges.OrderByDescending(x => x.Score).ThenBy(x => x.Id).Select(x => (JsonNode)JsonValue.Create($"{x.Left} {x.Right}")!);

        var vocab = new JsonObject();
        foreach (var (t, i) in ids) vocab[t] = i;
        var added = new JsonArray();
        for (int i = 0; i < tokens.Length; i++)
            if (types[i] is 2 or 3)
                added.Add(new JsonObject { ["id"] = i, ["content"] = tokens[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true });

        var bos = tokens[m.GetUInt("tokenizer.ggml.bos_token_id")];
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "\u2581" }),
            },
            ["pre_tokenizer"] = null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = bos, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = bos, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject
                {
                    [bos] = new JsonObject { ["id"] = bos, ["ids"] = new JsonArray((int)m.GetUInt("tokenizer.ggml.bos_token_id")), ["tokens"] = new JsonArray(bos) },
                },
            },
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "\u2581" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = tokens[m.GetUInt("tokenizer.ggml.unknown_token_id")],
                ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null, ["fuse_unk"] = true, ["byte_fallback"] = true,
                ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray(ranked.ToArray()),
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            $$"""{ "bos_token": "{{bos}}", "eos_token": "{{tokens[m.GetUInt("tokenizer.ggml.eos_token_id")]}}", "add_bos_token": true }""");
    }
}
