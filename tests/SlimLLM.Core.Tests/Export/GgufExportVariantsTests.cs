using SlimLLM.Errors;
using SlimLLM.Export;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Tests.Support;
using SlimLLM.Tests.Tokenization;
using SlimLLM.Tokenization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Export;

public class GgufExportVariantsTests(ITestOutputHelper output)
{
    [Fact]
    public void Uniformly_pruned_model_with_recovery_biases_is_written_as_llama_and_llama_cpp_adds_the_biases()
    {
        using var dir = TestData.NewTempDir("slimllm-gguf-uniform");
        var folder = Path.Combine(dir.Path, "uniform");
        PrunedTinyStories.Write(folder, [[0, 3], [1, 2]], [288, 288]);
        using var source = ModelLoader.Open(folder);
        Assert.All(source.Config.Layers, l => Assert.Equal(new ProjectionBiases(O: true, Down: true), l.Biases));
        var result = GgufExporter.Export(source, dir.File("uniform.gguf"), GgufOutputType.F32);
        Assert.Equal("llama", result.Architecture);
        using (var file = GgufFile.Open(result.Path))
        {
            Assert.Equal(4, file.Metadata.GetInt("llama.attention.head_count"));
            Assert.Equal(288, file.Metadata.GetInt("llama.feed_forward_length"));
            Assert.True(file.Contains("blk.1.attn_output.bias") && file.Contains("blk.1.ffn_down.bias"));
        }
        using var ours = LlamaModel.Load(source, CPU, ScalarType.Float32);
        using var cpp = new LlamaCppModel(result.Path);
        foreach (var prompt in ExportComparison.Prompts)
        {
            var ids = source.Tokenizer.Encode(prompt, addBos: true);
            var diff = ExportComparison.MaxAbsDiff(ExportComparison.OurLogits(ours, ids), cpp.Logits(ids));
            output.WriteLine($"{prompt}: max |logit difference| {diff:E3}");
            Assert.InRange(diff, 0, DenseGgufExportTests.F32LogitTolerance);
        }
    }

    [Fact]
    public void A_folder_with_a_sentencepiece_tokenizer_model_exports_its_pieces_scores_and_types()
    {
        // stories260K as a Hugging Face folder whose only tokenizer file is tokenizer.model, built from the GGUF vocabulary.
        using var dir = TestData.NewTempDir("slimllm-gguf-spm");
        var folder = Path.Combine(dir.Path, "stories260k-hf");
        using (var gguf = new GgufModelSource(TestData.Stories260KGguf))
        {
            HuggingFaceFolder.Copy(gguf, folder);
            File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), GgufVocabulary.ToSentencePiece(gguf.File.Metadata).ToBytes());
        }
        using var source = ModelLoader.Open(folder);
        Assert.IsType<SentencePieceBpeTokenizer>(source.Tokenizer);
        var result = GgufExporter.Export(source, dir.File("from-spm.gguf"), GgufOutputType.F32);

        using (var original = GgufFile.Open(TestData.Stories260KGguf))
        using (var exported = GgufFile.Open(result.Path))
        {
            var a = original.Metadata;
            var b = exported.Metadata;
            Assert.Equal(a.GetStringArray("tokenizer.ggml.tokens"), b.GetStringArray("tokenizer.ggml.tokens"));
            Assert.Equal(a.GetFloatArray("tokenizer.ggml.scores"), b.GetFloatArray("tokenizer.ggml.scores"));
            Assert.Equal(a.GetIntArray("tokenizer.ggml.token_type"), b.GetIntArray("tokenizer.ggml.token_type"));
            foreach (var key in new[] { "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id" })
                Assert.Equal(a.GetInt(key), b.GetInt(key));
        }
        using var ours = LlamaModel.Load(source, CPU, ScalarType.Float32);
        using var cpp = new LlamaCppModel(result.Path);
        foreach (var prompt in ExportComparison.Prompts)
        {
            var ids = source.Tokenizer.Encode(prompt, addBos: true);
            Assert.Equal(ids, cpp.Tokenize(prompt, addBos: true));
            Assert.InRange(ExportComparison.MaxAbsDiff(ExportComparison.OurLogits(ours, ids), cpp.Logits(ids)), 0, DenseGgufExportTests.F32LogitTolerance);
        }
    }

    [Fact]
    public void Byte_level_vocabularies_are_refused_before_any_file_is_written()
    {
        using var dir = TestData.NewTempDir("slimllm-gguf-bytelevel");
        var folder = Path.Combine(dir.Path, "model");
        using (var tiny = ModelLoader.Open(TestData.TinyStoriesLlama)) HuggingFaceFolder.Copy(tiny, folder);
        ByteLevelBpeFixture.WriteLlama3Style(folder);
        using var source = ModelLoader.Open(folder);
        var e = Assert.Throws<SlimLLMException>(() => GgufExporter.Export(source, dir.File("x.gguf"), GgufOutputType.F32));
        Assert.Equal(Path.Combine(folder, "tokenizer.json") + ": cannot be exported as a llama.cpp SentencePiece vocabulary: it is a byte-level BPE " +
                     "(GPT-2 style, as in LLaMA-3 and Qwen2), which needs llama.cpp's \"gpt2\" vocabulary; that export is not implemented yet. " +
                     "Add the model's SentencePiece tokenizer.model to the folder, or export a LLaMA-2-style model.", e.Message);
        Assert.Equal(["model"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Weights_beyond_the_float16_range_fail_the_f16_export_and_leave_no_file()
    {
        using var dir = TestData.NewTempDir("slimllm-gguf-range");
        var folder = Path.Combine(dir.Path, "model");
        using (var tiny = ModelLoader.Open(TestData.TinyStoriesLlama))
        {
            var layers = Enumerable.Range(0, tiny.Config.NumLayers).Select(tiny.LoadLayer).ToList();
            layers[1].Up[3, 5] = 70000f;
            using var embedding = tiny.LoadEmbedding();
            using var norm = tiny.LoadFinalNorm();
            HuggingFaceFolder.Write(folder, tiny.Config, embedding, norm, null, layers);
            HuggingFaceFolder.CopyTokenizerFiles(TestData.TinyStoriesLlama, folder);
            foreach (var l in layers) l.Dispose();
        }
        using var source = ModelLoader.Open(folder);
        var target = dir.File("x.gguf");
        var e = Assert.Throws<SlimLLMException>(() => GgufExporter.Export(source, target, GgufOutputType.F16));
        Assert.Equal($"{target}: tensor blk.1.ffn_up.weight holds 70000, beyond the float16 range (65504). Export as f32 or bf16 instead.", e.Message);
        Assert.Equal(["model"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        Assert.Equal("bf16", GgufExporter.Export(source, target, GgufOutputType.BF16).Type.ToString().ToLowerInvariant());
    }

    [Theory]
    [InlineData("f32", GgufOutputType.F32)]
    [InlineData("F16", GgufOutputType.F16)]
    [InlineData(" bfloat16", GgufOutputType.BF16)]
    [InlineData("Q8_0", GgufOutputType.Q8_0)]
    [InlineData("q4_0", GgufOutputType.Q4_0)]
    public void Output_types_parse_as_spelled_on_a_command_line(string text, GgufOutputType expected) =>
        Assert.Equal(expected, GgufOutputTypes.Parse(text));

    [Fact]
    public void An_unknown_output_type_says_which_exist() =>
        Assert.Equal("manifest.yaml: 'q4_k' is not a GGUF output type. Use f32, f16, bf16, q8_0 or q4_0.",
            Assert.Throws<SlimLLMException>(() => GgufOutputTypes.Parse("q4_k", "manifest.yaml")).Message);

    [Fact]
    public void Rope_scaling_is_refused_with_the_reason()
    {
        using var dir = TestData.NewTempDir("slimllm-gguf-rope");
        using var tiny = ModelLoader.Open(TestData.TinyStoriesLlama);
        using var source = new ConfigOverride(tiny, tiny.Config with { RopeScaling = new RopeScaling("llama3", 8, 1, 4, 8192) });
        var e = Assert.Throws<SlimLLMException>(() => GgufExporter.Export(source, dir.File("x.gguf")));
        Assert.Equal($"{tiny.Path}: the model uses llama3 RoPE scaling, which the GGUF export does not write yet. " +
                     "Export a model without rope_scaling, or use the safetensors output.", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    /// <summary>A model source with another configuration (the weights are the inner source's).</summary>
    private sealed class ConfigOverride(IModelSource inner, ModelConfig config) : IModelSource
    {
        public string Path => inner.Path;
        public string Format => inner.Format;
        public ModelConfig Config => config;
        public ITokenizer Tokenizer => inner.Tokenizer;
        public Tensor LoadEmbedding() => inner.LoadEmbedding();
        public Tensor LoadFinalNorm() => inner.LoadFinalNorm();
        public Tensor LoadLmHead() => inner.LoadLmHead();
        public DecoderLayerWeights LoadLayer(int index) => inner.LoadLayer(index);
        public void Dispose() { }
    }
}
