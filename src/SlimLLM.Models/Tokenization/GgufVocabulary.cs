using SlimLLM.Errors;
using SlimLLM.IO.Gguf;

namespace SlimLLM.Tokenization;

/// <summary>
/// Turns the tokenizer.ggml.* metadata of a GGUF file into a SentencePiece model. Only tokenizer.ggml.model "llama"
/// (SentencePiece BPE) is supported; defaults follow llama.cpp (unk 0, bos 1, eos 2, add_space_prefix and add_bos_token on).
/// </summary>
internal static class GgufVocabulary
{
    private const uint NoToken = uint.MaxValue; // llama.cpp writes -1 as u32

    public static SentencePieceBpeTokenizer LoadTokenizer(GgufFile file)
    {
        var model = ToSentencePiece(file.Metadata);
        var addBos = file.Metadata.GetBool("tokenizer.ggml.add_bos_token", true);
        return SentencePieceBpeTokenizer.Create(model.ToBytes(), model, addBos, file.Path);
    }

    public static SentencePieceModelProto ToSentencePiece(GgufMetadata m)
    {
        var kind = m.GetString("tokenizer.ggml.model");
        switch (kind)
        {
            case "llama":
                break;
            case "gpt2":
                throw new SlimLLMException(m.Path,
                    "byte-level BPE vocabularies in GGUF files (tokenizer.ggml.model = gpt2, as in LLaMA-3 and Qwen2) are not supported yet.",
                    "Pass the model's Hugging Face folder (with tokenizer.json) as the tokenizer instead.");
            default:
                throw new SlimLLMException(m.Path,
                    $"the GGUF vocabulary type '{kind}' (tokenizer.ggml.model) is not supported; only 'llama' (SentencePiece BPE) is.",
                    "Pass the model's Hugging Face folder (with tokenizer.json) as the tokenizer instead.");
        }

        var tokens = m.GetStringArray("tokenizer.ggml.tokens");
        var scores = m.Contains("tokenizer.ggml.scores") ? m.GetFloatArray("tokenizer.ggml.scores") : new float[tokens.Length];
        var types = m.Contains("tokenizer.ggml.token_type") ? m.GetIntArray("tokenizer.ggml.token_type") : null;
        if (scores.Length != tokens.Length || (types is not null && types.Length != tokens.Length))
            throw new SlimLLMException(m.Path,
                $"the vocabulary is inconsistent: {tokens.Length} tokens, {scores.Length} scores and {types?.Length ?? tokens.Length} token types.",
                "Re-convert the model with llama.cpp.");

        var model = new SentencePieceModelProto
        {
            ModelType = SentencePieceModelProto.BpeModel,
            NormalizerName = "identity",
            AddDummyPrefix = m.GetBool("tokenizer.ggml.add_space_prefix", true),
            RemoveExtraWhitespaces = m.GetBool("tokenizer.ggml.remove_extra_whitespaces", false),
            EscapeWhitespaces = true,
            UnkId = TokenId(m, "tokenizer.ggml.unknown_token_id", 0, tokens.Length),
            BosId = TokenId(m, "tokenizer.ggml.bos_token_id", 1, tokens.Length),
            EosId = TokenId(m, "tokenizer.ggml.eos_token_id", 2, tokens.Length),
            PadId = -1,
        };
        for (int i = 0; i < tokens.Length; i++)
        {
            var type = PieceType(types?[i] ?? 1, i, m.Path);
            model.Pieces.Add(new(tokens[i], scores[i], type));
            if (type == SentencePieceModelProto.PieceType.Byte) model.ByteFallback = true;
        }
        return model;
    }

    private static int TokenId(GgufMetadata m, string key, int fallback, int vocabSize)
    {
        if (!m.Contains(key)) return fallback;
        var id = m.GetUInt(key);
        if (id == NoToken) return -1;
        if (id >= vocabSize)
            throw new SlimLLMException(m.Path, $"GGUF metadata key '{key}' is {id}, outside the vocabulary of {vocabSize} tokens.",
                "Re-convert the model with llama.cpp.");
        return (int)id;
    }

    private static SentencePieceModelProto.PieceType PieceType(int raw, int index, string path) => raw switch
    {
        0 => SentencePieceModelProto.PieceType.Normal, // llama.cpp's "undefined"
        >= 1 and <= 6 => (SentencePieceModelProto.PieceType)raw,
        _ => throw new SlimLLMException(path, $"token {index} has type {raw} in tokenizer.ggml.token_type (expected 0 to 6).",
            "Re-convert the model with llama.cpp."),
    };
}
