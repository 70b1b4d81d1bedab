using Microsoft.ML.Tokenizers;
using SlimLLM.Errors;

namespace SlimLLM.Tokenization;

/// <summary>
/// LLaMA-style SentencePiece BPE (score-ordered merges, U+2581 for spaces, a dummy prefix space, byte fallback to
/// &lt;0xNN&gt; pieces), from a tokenizer.model file or a GGUF vocabulary, encoded by Microsoft.ML.Tokenizers.
/// Control pieces written in the text (such as "&lt;s&gt;") are encoded as plain text, as SentencePiece and llama.cpp do.
/// Without byte fallback, each run of characters missing from the vocabulary becomes one &lt;unk&gt;, as in SentencePiece
/// (Microsoft.ML.Tokenizers gives one per character).
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITokenizer
{
    private readonly LlamaTokenizer _tokenizer;
    private readonly bool _mergeUnknownRuns;

    private SentencePieceBpeTokenizer(LlamaTokenizer tokenizer, SentencePieceModelProto model, bool addBosByDefault)
    {
        _tokenizer = tokenizer;
        VocabSize = model.Pieces.Count;
        BosId = ValidId(model.BosId);
        EosId = ValidId(model.EosId);
        UnknownId = ValidId(model.UnkId);
        _mergeUnknownRuns = !model.ByteFallback && UnknownId is not null;
        AddBosByDefault = addBosByDefault && BosId is not null;
    }

    public int VocabSize { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    public int? UnknownId { get; }
    /// <summary>Whether the model was trained with BOS in front of each text (GGUF tokenizer.ggml.add_bos_token; true for tokenizer.model).</summary>
    public bool AddBosByDefault { get; }

    /// <summary>Reads a SentencePiece tokenizer.model; only BPE models (LLaMA, Mistral, ...) are accepted.</summary>
    public static SentencePieceBpeTokenizer FromModelFile(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SlimLLMException(path, $"cannot be read: {e.Message}", "Check that the file exists and is readable.", inner: e);
        }
        var model = SentencePieceModelProto.Parse(bytes, path);
        if (model.ModelType != SentencePieceModelProto.BpeModel)
            throw new SlimLLMException(path,
                $"is a SentencePiece {(model.ModelType == SentencePieceModelProto.UnigramModel ? "Unigram" : $"type {model.ModelType}")} model; only BPE models (LLaMA-style) are supported.",
                "Use the model's tokenizer.json instead, if it has one.");
        return Create(bytes, model, addBosByDefault: true, path);
    }

    internal static SentencePieceBpeTokenizer Create(byte[] modelProto, SentencePieceModelProto model, bool addBosByDefault, string source)
    {
        try
        {
            using var stream = new MemoryStream(modelProto, writable: false);
            var tokenizer = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
            return new SentencePieceBpeTokenizer(tokenizer, model, addBosByDefault);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or FormatException)
        {
            throw new SlimLLMException(source, $"the SentencePiece vocabulary cannot be loaded: {e.Message}",
                "The vocabulary is malformed (duplicate or missing pieces); re-convert the model.", inner: e);
        }
    }

    public int[] Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        var result = new List<int>(ids.Count + 1);
        if (addBos && BosId is int bos) result.Add(bos);
        bool afterUnknown = false;
        foreach (var id in ids)
        {
            bool unknown = _mergeUnknownRuns && id == UnknownId;
            if (!(unknown && afterUnknown)) result.Add(id);
            afterUnknown = unknown;
        }
        return [.. result];
    }

    public string Decode(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var kept = new List<int>(ids.Count);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id outside the vocabulary of {VocabSize}.");
            if (id != BosId && id != EosId) kept.Add(id);
        }
        return _tokenizer.Decode(kept, considerSpecialTokens: false);
    }

    public void Dispose()
    {
    }

    private int? ValidId(int id) => id >= 0 && id < VocabSize ? id : null;
}
