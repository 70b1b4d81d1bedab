using SlimLLM.Errors;
using SlimLLM.IO.Gguf;

namespace SlimLLM.Tokenization;

/// <summary>Finds and opens a model's tokenizer.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// The tokenizer of a Hugging Face model folder: tokenizer.json when present (with tokenizer_config.json and friends
    /// for BOS/EOS), else a SentencePiece tokenizer.model.
    /// </summary>
    public static ITokenizer FromFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
            throw new SlimLLMException(folder, "tokenizer folder not found.", "Pass the folder that holds the model's tokenizer.json.");
        if (File.Exists(Path.Combine(folder, "tokenizer.json")))
            return HuggingFaceTokenizer.FromFolder(folder);
        var model = Path.Combine(folder, "tokenizer.model");
        if (File.Exists(model))
            return SentencePieceBpeTokenizer.FromModelFile(model);
        throw new SlimLLMException(folder, "holds neither tokenizer.json nor tokenizer.model.",
            "Copy the tokenizer files (tokenizer.json, tokenizer_config.json) from the model's Hugging Face repository into this folder.");
    }

    /// <summary>
    /// <paramref name="tokenizer"/> when every id it can produce (and its BOS and EOS) has a row in the model's embedding table
    /// of <paramref name="modelVocabSize"/> rows; otherwise it is disposed and the mismatch is an error now, not an index
    /// error in the first embedding lookup.
    /// </summary>
    public static ITokenizer ForModel(ITokenizer tokenizer, int modelVocabSize, string source)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var largest = new[] { tokenizer.VocabSize - 1, tokenizer.BosId ?? -1, tokenizer.EosId ?? -1 }.Max();
        if (largest < modelVocabSize) return tokenizer;
        var file = tokenizer is HuggingFaceTokenizer hf ? hf.Path : source;
        tokenizer.Dispose();
        throw new SlimLLMException(file,
            $"the tokenizer has token ids up to {largest}, but the model's embedding table has only {modelVocabSize} rows (vocab_size): those tokens have no embedding.",
            "Use the tokenizer files that belong to this model (from the same repository as its weights).");
    }

    /// <summary>The vocabulary stored in a GGUF file (tokenizer.ggml.model "llama" only, for now).</summary>
    public static ITokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return GgufVocabulary.LoadTokenizer(file);
    }
}
