using SlimLLM.Errors;
using SlimLLM.IO.Gguf;

namespace SlimLLM.Export;

/// <summary>
/// A SentencePiece-style vocabulary as llama.cpp's "llama" tokenizer (LLAMA_VOCAB_TYPE_SPM) reads it from GGUF: one
/// piece, score and token type per id. llama.cpp merges adjacent symbols greedily by the score of the merged piece.
/// </summary>
internal sealed class SentencePieceVocabulary
{
    // llama.cpp's token types (llama_token_type / gguf TokenType).
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    public required string Source { get; init; }
    public required string[] Tokens { get; init; }
    public required float[] Scores { get; init; }
    public required int[] Types { get; init; }
    public int? BosId { get; init; }
    public int? EosId { get; init; }
    public int? UnknownId { get; init; }
    public int? PaddingId { get; init; }
    public bool AddBos { get; init; } = true;
    public bool AddSpacePrefix { get; init; } = true;

    /// <summary>Pads the vocabulary to <paramref name="size"/> entries with unused "[PADn]" pieces, as convert_hf_to_gguf.py does.</summary>
    public SentencePieceVocabulary PaddedTo(int size)
    {
        if (size < Tokens.Length)
            throw new SlimLLMException(Source, $"the tokenizer has {Tokens.Length} tokens but the model's embedding has only {size} rows.",
                "Use the tokenizer files that belong to this model.");
        if (size == Tokens.Length) return this;
        var extra = size - Tokens.Length;
        return new SentencePieceVocabulary
        {
            Source = Source,
            Tokens = [.. Tokens, .. Enumerable.Range(Tokens.Length, extra).Select(i => $"[PAD{i}]")],
            Scores = [.. Scores, .. Enumerable.Repeat(-1000f, extra)],
            Types = [.. Types, .. Enumerable.Repeat(Unused, extra)],
            BosId = BosId, EosId = EosId, UnknownId = UnknownId, PaddingId = PaddingId,
            AddBos = AddBos, AddSpacePrefix = AddSpacePrefix,
        };
    }

    public void WriteTo(GgufMetadataBuilder m)
    {
        // llama.cpp's SPM vocabulary needs a newline token: <0x0A>, or else the plain "\n" piece (llama_vocab::byte_to_token).
        if (!Tokens.Contains("<0x0A>") && !Tokens.Contains("\n"))
            throw new SlimLLMException(Source, "the vocabulary has neither a <0x0A> byte piece nor a \"\\n\" piece, which llama.cpp needs to load it.",
                "Export a model whose SentencePiece vocabulary has byte fallback pieces.");
        m.Set("tokenizer.ggml.model", "llama");
        m.SetArray("tokenizer.ggml.tokens", Tokens);
        m.SetArray("tokenizer.ggml.scores", Scores);
        m.SetArray("tokenizer.ggml.token_type", Types);
        if (BosId is int bos) m.Set("tokenizer.ggml.bos_token_id", (uint)bos);
        if (EosId is int eos) m.Set("tokenizer.ggml.eos_token_id", (uint)eos);
        if (UnknownId is int unk) m.Set("tokenizer.ggml.unknown_token_id", (uint)unk);
        if (PaddingId is int pad) m.Set("tokenizer.ggml.padding_token_id", (uint)pad);
        m.Set("tokenizer.ggml.add_bos_token", AddBos);
        m.Set("tokenizer.ggml.add_eos_token", false);
        m.Set("tokenizer.ggml.add_space_prefix", AddSpacePrefix);
    }
}
