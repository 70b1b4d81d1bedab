using SlimLLM.Errors;
using SlimLLM.IO.Gguf;
using SlimLLM.Tests.IO;
using SlimLLM.Tests.Support;
using SlimLLM.Tokenization;

namespace SlimLLM.Tests.Tokenization;

public class TokenizerLoaderTests
{
    [Fact]
    public void Missing_and_empty_folders_are_user_errors()
    {
        var missing = Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromFolder("/nonexistent/model"));
        Assert.Equal("/nonexistent/model: tokenizer folder not found. Pass the folder that holds the model's tokenizer.json.", missing.Message);

        using var dir = TestData.NewTempDir();
        var empty = Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Equal(dir.Path, empty.File);
        Assert.Equal("holds neither tokenizer.json nor tokenizer.model.", empty.Cause);
    }

    [Fact]
    public void Tokenizer_json_is_preferred_over_tokenizer_model()
    {
        using var dir = TestData.NewTempDir();
        ByteLevelBpeFixture.WriteLlama3Style(dir.Path);
        File.WriteAllBytes(dir.File("tokenizer.model"), [0xFF]); // would fail to parse if it were read
        using var tok = TokenizerLoader.FromFolder(dir.Path);
        Assert.IsType<HuggingFaceTokenizer>(tok);
    }

    [Fact]
    public void Malformed_json_names_file_and_line()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("tokenizer.json"), "{\n  \"model\": {\n    \"vocab\": { \"a\": 0,, }\n  }\n}");
        var e = Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Equal(dir.File("tokenizer.json"), e.File);
        Assert.Equal(3, e.Line);
        Assert.StartsWith("is not valid JSON: ", e.Cause);
    }

    [Fact]
    public void Json_the_native_library_rejects_is_a_user_error()
    {
        using var dir = TestData.NewTempDir();
        File.WriteAllText(dir.File("tokenizer.json"), """{ "model": { "type": "NoSuchModel", "vocab": { "a": 0 } } }""");
        var e = Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Equal(dir.File("tokenizer.json"), e.File);
        Assert.StartsWith("Hugging Face tokenizers cannot load it: ", e.Cause);
    }

    [Fact]
    public void Bos_token_missing_from_the_vocabulary_names_tokenizer_config()
    {
        using var dir = TestData.NewTempDir();
        ByteLevelBpeFixture.WriteLlama3Style(dir.Path);
        File.WriteAllText(dir.File("tokenizer_config.json"), """{ "bos_token": { "content": "<s>" } }""");
        var e = Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromFolder(dir.Path));
        Assert.Equal(dir.File("tokenizer_config.json"), e.File);
        Assert.Equal("bos_token '<s>' is not in the vocabulary of tokenizer.json.", e.Cause);
    }

    [Fact]
    public void Without_tokenizer_config_bos_is_the_token_the_template_adds_and_eos_comes_from_config_json()
    {
        using var dir = TestData.NewTempDir();
        ByteLevelBpeFixture.WriteLlama3Style(dir.Path);
        File.Delete(dir.File("tokenizer_config.json"));
        File.WriteAllText(dir.File("config.json"), """{ "eos_token_id": [267, 266] }""");
        using var tok = TokenizerLoader.FromFolder(dir.Path);
        Assert.Equal((266, 267), (tok.BosId, tok.EosId));
    }

    [Fact]
    public void Native_library_load_failure_becomes_a_user_error_saying_so()
    {
        var cause = new TypeInitializationException("Tokenizers.DotNet.NativeMethods", new DllNotFoundException("libhf_tokenizers.so: cannot open shared object file"));
        Assert.True(HuggingFaceTokenizer.IsNativeLoadFailure(cause));
        Assert.False(HuggingFaceTokenizer.IsNativeLoadFailure(new InvalidOperationException()));
        var e = HuggingFaceTokenizer.NativeLibraryMissing("/m/tokenizer.json", new DllNotFoundException("libhf_tokenizers.so: cannot open shared object file"));
        Assert.Equal("/m/tokenizer.json: the native Hugging Face tokenizers library (libhf_tokenizers from the package Tokenizers.DotNet.runtime.linux-x64) could not be loaded: libhf_tokenizers.so: cannot open shared object file Reinstall the tool; it needs Tokenizers.DotNet.runtime.linux-x64 for this platform (only linux-x64 is bundled).", e.Message);
    }

    [Theory]
    [InlineData("gpt2", "byte-level BPE vocabularies in GGUF files (tokenizer.ggml.model = gpt2, as in LLaMA-3 and Qwen2) are not supported yet.")]
    [InlineData("bert", "the GGUF vocabulary type 'bert' (tokenizer.ggml.model) is not supported; only 'llama' (SentencePiece BPE) is.")]
    public void Unsupported_gguf_vocabularies_are_user_errors(string model, string cause)
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("v.gguf");
        new GgufTestWriter()
            .Add("tokenizer.ggml.model", GgufValueType.String, model)
            .AddArray("tokenizer.ggml.tokens", GgufValueType.String, new[] { "a", "b" })
            .WriteTo(path);
        using var file = GgufFile.Open(path);
        var e = Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromGguf(file));
        Assert.Equal(path, e.File);
        Assert.Equal(cause, e.Cause);
    }

    [Fact]
    public void Inconsistent_gguf_vocabulary_is_a_user_error()
    {
        using var dir = TestData.NewTempDir();
        var path = dir.File("v.gguf");
        new GgufTestWriter()
            .Add("tokenizer.ggml.model", GgufValueType.String, "llama")
            .AddArray("tokenizer.ggml.tokens", GgufValueType.String, new[] { "<unk>", "<s>", "</s>" })
            .AddArray("tokenizer.ggml.scores", GgufValueType.Float32, new[] { 0f, 0f })
            .WriteTo(path);
        using var file = GgufFile.Open(path);
        Assert.Equal("the vocabulary is inconsistent: 3 tokens, 2 scores and 3 token types.",
            Assert.Throws<SlimLLMException>(() => TokenizerLoader.FromGguf(file)).Cause);
    }
}
