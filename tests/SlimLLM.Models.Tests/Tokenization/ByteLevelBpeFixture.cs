using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlimLLM.Tests.Tokenization;

/// <summary>
/// A tiny byte-level BPE tokenizer in the layout of LLaMA-3 and Qwen2 tokenizer.json files: the 256 GPT-2 byte
/// characters as ids 0..255 (id = byte value), ten merges, two added special tokens at 266 and 267.
/// </summary>
internal static class ByteLevelBpeFixture
{
    // LLaMA-3's pre-tokenizer pattern.
    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Merges in rank order; merge i creates token 256 + i.</summary>
    public static readonly string[] Merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d", "Ã ©"];

    /// <summary>LLaMA-3 style: BOS &lt;|begin_of_text|&gt; (266) added by a TemplateProcessing post-processor, EOS &lt;|end_of_text|&gt; (267).</summary>
    public static void WriteLlama3Style(string folder)
    {
        var json = TokenizerJson(["<|begin_of_text|>", "<|end_of_text|>"], new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
                new JsonObject
                {
                    ["type"] = "TemplateProcessing",
                    ["single"] = new JsonArray(Special("<|begin_of_text|>", 0), Sequence("A", 0)),
                    ["pair"] = new JsonArray(Special("<|begin_of_text|>", 0), Sequence("A", 0), Special("<|begin_of_text|>", 1), Sequence("B", 1)),
                    ["special_tokens"] = new JsonObject
                    {
                        ["<|begin_of_text|>"] = new JsonObject { ["id"] = "<|begin_of_text|>", ["ids"] = new JsonArray(266), ["tokens"] = new JsonArray("<|begin_of_text|>") },
                    },
                }),
        });
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{ "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "tokenizer_class": "PreTrainedTokenizerFast" }""");
    }

    /// <summary>Qwen2 style: no BOS (tokenizer_config says "bos_token": null although config.json has a bos_token_id), EOS &lt;|endoftext|&gt; (266).</summary>
    public static void WriteQwen2Style(string folder)
    {
        var json = TokenizerJson(["<|endoftext|>", "<|im_end|>"], new JsonObject
        {
            ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false,
        });
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{ "bos_token": null, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>" }""");
        File.WriteAllText(Path.Combine(folder, "config.json"), """{ "bos_token_id": 266, "eos_token_id": 266, "vocab_size": 300 }""");
    }

    /// <summary>GPT-2's reversible map from bytes to printable characters.</summary>
    public static char[] ByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (int b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static string TokenizerJson(string[] addedTokens, JsonObject postProcessor)
    {
        var vocab = new JsonObject();
        var bytes = ByteToChar();
        for (int b = 0; b < 256; b++) vocab[bytes[b].ToString()] = b;
        for (int i = 0; i < Merges.Length; i++) vocab[Merges[i].Replace(" ", "")] = 256 + i;
        var added = new JsonArray();
        for (int i = 0; i < addedTokens.Length; i++)
        {
            vocab[addedTokens[i]] = 266 + i;
            added.Add(new JsonObject
            {
                ["id"] = 266 + i, ["content"] = addedTokens[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        }
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = postProcessor,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(Merges.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Special(string id, int typeId) => new() { ["SpecialToken"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
    private static JsonObject Sequence(string id, int typeId) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
}
