using System.Text;
using LLama;
using LLama.Common;
using LLama.Sampling;
using SlimLLM.Evaluation;
using SlimLLM.Export;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Runtime;
using SlimLLM.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Export;

/// <summary>The shared dense TinyStories model (Hugging Face folder, tokenizer.json only) exported once to an F32 GGUF.</summary>
public sealed class DenseExportFixture : IDisposable
{
    private readonly TempDir _dir = TestData.NewTempDir("slimllm-gguf-dense");

    public DenseExportFixture()
    {
        Source = ModelLoader.Open(TestData.TinyStoriesLlama);
        Result = GgufExporter.Export(Source, _dir.File("tinystories-f32.gguf"), GgufOutputType.F32);
        Ours = LlamaModel.Load(Source, CPU, ScalarType.Float32);
        LlamaCpp = new LlamaCppModel(Result.Path);
        Tokens = Perplexity.Tokenize(Source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid));
    }

    public IModelSource Source { get; }
    public GgufExportResult Result { get; }
    public LlamaModel Ours { get; }
    public LlamaCppModel LlamaCpp { get; }
    public int[] Tokens { get; }
    public string Folder => _dir.Path;

    public void Dispose()
    {
        LlamaCpp.Dispose();
        Ours.Dispose();
        Source.Dispose();
        _dir.Dispose();
    }
}

public class DenseGgufExportTests(DenseExportFixture f, ITestOutputHelper output) : IClassFixture<DenseExportFixture>
{
    // F32 weights on both sides, K/V cached in F32, no flash attention: only the order of float32 sums differs (measured 1.05e-5).
    internal const double F32LogitTolerance = 1e-4;

    [Fact]
    public void Dense_model_is_written_as_llama_with_tied_output_and_the_vocabulary()
    {
        Assert.Equal("llama", f.Result.Architecture);
        using var file = GgufFile.Open(f.Result.Path);
        var m = file.Metadata;
        Assert.Equal(3u, file.Version);
        Assert.Equal(32u, file.Alignment);
        Assert.Equal("llama", m.GetString("general.architecture"));
        Assert.Equal(8, m.GetInt("llama.attention.head_count"));
        Assert.Equal(4, m.GetInt("llama.attention.head_count_kv"));
        Assert.Equal(384, m.GetInt("llama.feed_forward_length"));
        Assert.Equal(16, m.GetInt("llama.attention.key_length"));
        Assert.False(file.Contains("output.weight")); // tied: llama.cpp falls back to token_embd
        Assert.Equal(2 * 9 + 2, file.Tensors.Count);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.Offset % 32));
        var tokens = m.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(2048, tokens.Length);
        Assert.Equal("<|start_story|>", tokens[m.GetInt("tokenizer.ggml.bos_token_id")]);
        Assert.Equal("<|end_story|>", tokens[m.GetInt("tokenizer.ggml.eos_token_id")]);
        Assert.Equal([2, 3, 3, 1], m.GetIntArray("tokenizer.ggml.token_type")[..4]);
        // The first merge ("e" + "▁") makes piece 81 and scores 0; later merges score lower.
        Assert.Equal("e\u2581", tokens[81]);
        Assert.Equal(0f, m.GetFloatArray("tokenizer.ggml.scores")[81]);
        Assert.Equal(-1f, m.GetFloatArray("tokenizer.ggml.scores")[82]);
    }

    [Fact]
    public void Llama_cpp_tokenizes_prompts_and_the_validation_text_as_we_do()
    {
        foreach (var prompt in ExportComparison.Prompts)
            Assert.Equal(f.Source.Tokenizer.Encode(prompt, addBos: true), f.LlamaCpp.Tokenize(prompt, addBos: true));
        var text = TextCorpus.Read(TestData.TinyStoriesValid);
        Assert.Equal(f.Tokens, f.LlamaCpp.Tokenize(text, addBos: true));
        output.WriteLine($"validation text: {f.Tokens.Length} identical token ids");
    }

    [Fact]
    public void Llama_cpp_next_token_logits_match_our_forward()
    {
        foreach (var prompt in ExportComparison.Prompts)
        {
            var ids = f.Source.Tokenizer.Encode(prompt, addBos: true);
            var ours = ExportComparison.OurLogits(f.Ours, ids);
            var cpp = f.LlamaCpp.Logits(ids);
            var diff = ExportComparison.MaxAbsDiff(ours, cpp);
            output.WriteLine($"{prompt}: {ids.Length} tokens, max |logit difference| {diff:E3}");
            Assert.InRange(diff, 0, F32LogitTolerance);
            Assert.Equal(ExportComparison.ArgMax(ours[^1]), ExportComparison.ArgMax(cpp[^1]));
        }
    }

    [Fact]
    public void Llama_cpp_perplexity_is_within_one_percent_of_ours()
    {
        // llama.cpp as a user runs it: its default f16 KV cache and flash attention.
        using var defaults = new LlamaCppModel(f.Result.Path, exact: false);
        var ours = ExportComparison.OurPerplexity(f.Ours, f.Tokens);
        var cpp = ExportComparison.LlamaCppPerplexity(defaults, f.Tokens);
        output.WriteLine($"perplexity ours {ours.Perplexity:F5}, llama.cpp {cpp.Perplexity:F5} over {ours.Windows} windows");
        Assert.Equal(ours.Windows, cpp.Windows);
        Assert.InRange(ours.Perplexity, 44.5821 * 0.999, 44.5821 * 1.001); // the pinned value of PerplexityTests
        Assert.InRange(cpp.Perplexity / ours.Perplexity, 0.99, 1.01);
    }

    [Fact]
    public async Task The_exported_model_tells_the_Lily_story_through_LLamaSharps_executor()
    {
        const string prompt = "Once upon a time";
        var promptIds = f.Source.Tokenizer.Encode(prompt, addBos: true);
        using var ours = SlimModel.Load(f.Source.Path, "cpu");
        var ourStory = f.Source.Tokenizer.Decode([.. promptIds, .. ours.GenerateTokens(promptIds, GenerationOptions.Greedy with { MaxNewTokens = 16 })]);

        // The plain LLamaSharp way of running a GGUF file, with llama.cpp's defaults, greedy (temperature 0).
        var parameters = new ModelParams(f.Result.Path) { ContextSize = 256, Threads = 2, GpuLayerCount = 0 };
        using var weights = LlamaCppModel.LoadWeights(parameters);
        var executor = new StatelessExecutor(weights, parameters);
        var story = new StringBuilder(prompt);
        var inference = new InferenceParams { MaxTokens = 16, SamplingPipeline = new DefaultSamplingPipeline { Temperature = 0 } };
        await foreach (var piece in executor.InferAsync(prompt, inference))
            story.Append(piece);
        output.WriteLine(story.ToString());
        Assert.StartsWith("Once upon a time, a little girl named Lily lived in a small house", story.ToString());
        Assert.Equal(ourStory, story.ToString());
    }
}
