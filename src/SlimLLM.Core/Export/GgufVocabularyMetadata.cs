using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Tokenization;

namespace SlimLLM.Export;

/// <summary>Puts a model's vocabulary into the tokenizer.* metadata that llama.cpp reads.</summary>
internal static class GgufVocabularyMetadata
{
    /// <summary>Writes the vocabulary of <paramref name="source"/> and returns its size (which equals the embedding's rows).</summary>
    public static int Write(GgufMetadataBuilder m, IModelSource source)
    {
        var rows = source.Config.VocabSize;
        if (source is GgufModelSource gguf) return CopyFrom(m, gguf.File.Metadata, rows);
        if (Directory.Exists(source.Path)) return WriteFromFolder(m, source.Path, source.Tokenizer, rows);
        throw new SlimLLMException(source.Path, "has no tokenizer files to take the vocabulary from (it is neither a GGUF file nor a model folder).",
            "Export from the model's folder or GGUF file.");
    }

    /// <summary>The vocabulary of the tokenizer files in a model folder (<paramref name="tokenizer"/> is the one they load as).</summary>
    public static int WriteFromFolder(GgufMetadataBuilder m, string folder, ITokenizer tokenizer, int rows)
    {
        var vocabulary = HuggingFaceVocabularyReader.Read(folder, AddsBos(tokenizer)).PaddedTo(rows);
        vocabulary.WriteTo(m);
        return vocabulary.Tokens.Length;
    }

    /// <summary>A GGUF vocabulary is carried over unchanged: every tokenizer.* key, in file order.</summary>
    private static int CopyFrom(GgufMetadataBuilder m, GgufMetadata source, int rows)
    {
        if (!source.Contains("tokenizer.ggml.tokens"))
            throw new SlimLLMException(source.Path, "has no vocabulary (tokenizer.ggml.tokens), so llama.cpp could not run the exported file.",
                "Export from a GGUF file that has its vocabulary, or from the Hugging Face folder.");
        var count = source.GetStringArray("tokenizer.ggml.tokens").Length;
        if (count != rows)
            throw new SlimLLMException(source.Path, $"its vocabulary has {count} tokens but token_embd has {rows} rows; llama.cpp needs them equal.",
                "Re-convert the model with llama.cpp.");
        foreach (var key in source.Keys.Where(k => k.StartsWith("tokenizer.", StringComparison.Ordinal)))
            m.Set(key, source[key]);
        return count;
    }

    private static bool AddsBos(ITokenizer tokenizer) => tokenizer switch
    {
        HuggingFaceTokenizer h => h.AddBosByDefault,
        SentencePieceBpeTokenizer s => s.AddBosByDefault,
        _ => tokenizer.BosId is not null,
    };
}
