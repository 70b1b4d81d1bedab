using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
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

/// <summary>The hand-pruned TinyStories model (<see cref="PrunedTinyStories"/>) as a Hugging Face folder and exported to GGUF F32, F16 and BF16.</summary>
public sealed class PrunedExportFixture : IDisposable
{
    private readonly TempDir _dir = TestData.NewTempDir("slimllm-gguf-pruned");

    public PrunedExportFixture()
    {
        Folder = Path.Combine(_dir.Path, "pruned");
        PrunedTinyStories.Write(Folder, PrunedTinyStories.PerLayerGroups, PrunedTinyStories.PerLayerChannels);
        Source = ModelLoader.Open(Folder);
        Ours = LlamaModel.Load(Source, CPU, ScalarType.Float32);
        Tokens = Perplexity.Tokenize(Source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid));
        F32 = GgufExporter.Export(Source, _dir.File("pruned-f32.gguf"), GgufOutputType.F32);
        F16 = GgufExporter.Export(Source, _dir.File("pruned-f16.gguf"), GgufOutputType.F16);
        BF16 = GgufExporter.Export(Source, _dir.File("pruned-bf16.gguf"), GgufOutputType.BF16);
    }

    public string Folder { get; }
    public IModelSource Source { get; }
    public LlamaModel Ours { get; }
    public int[] Tokens { get; }
    public GgufExportResult F32 { get; }
    public GgufExportResult F16 { get; }
    public GgufExportResult BF16 { get; }

    public GgufExportResult Result(GgufOutputType type) => type switch
    {
        GgufOutputType.F32 => F32,
        GgufOutputType.F16 => F16,
        _ => BF16,
    };

    public void Dispose()
    {
        Ours.Dispose();
        Source.Dispose();
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PrunedExportCollection : ICollectionFixture<PrunedExportFixture>
{
    public const string Name = "pruned TinyStories GGUF exports";
}

[Collection(PrunedExportCollection.Name)]
public class PrunedGgufExportTests(PrunedExportFixture f, ITestOutputHelper output)
{
    [Fact]
    public void Per_layer_sizes_are_written_as_deci_arrays_with_the_recovery_biases()
    {
        Assert.Equal("deci", f.F32.Architecture);
        using var file = GgufFile.Open(f.F32.Path);
        var m = file.Metadata;
        Assert.Equal([6, 4], m.GetIntArray("deci.attention.head_count"));
        Assert.Equal([3, 2], m.GetIntArray("deci.attention.head_count_kv"));
        Assert.Equal([300, 250], m.GetIntArray("deci.feed_forward_length"));
        Assert.Equal(16, m.GetInt("deci.attention.key_length"));
        Assert.Equal([96, 128], file.Info("blk.0.attn_q.weight").Shape);
        Assert.Equal([32, 128], file.Info("blk.1.attn_k.weight").Shape);
        Assert.Equal([128, 250], file.Info("blk.1.ffn_down.weight").Shape);
        foreach (var layer in new[] { 0, 1 })
        {
            Assert.Equal(GgmlType.F32, file.Entry($"blk.{layer}.attn_output.bias").Type);
            Assert.Equal(GgmlType.F32, file.Entry($"blk.{layer}.ffn_down.bias").Type);
            Assert.False(file.Contains($"blk.{layer}.attn_q.bias"));
        }
        using var f16 = GgufFile.Open(f.F16.Path);
        Assert.Equal(GgmlType.F16, f16.Entry("blk.0.ffn_gate.weight").Type);
        Assert.Equal(GgmlType.F32, f16.Entry("blk.0.ffn_down.bias").Type);
        Assert.Equal(GgmlType.F32, f16.Entry("blk.0.attn_norm.weight").Type);
        Assert.Equal(1u, f16.Metadata.GetUInt("general.file_type"));
    }

    [Fact]
    public void Llama_cpp_runs_the_deci_export_with_our_logits_biases_included()
    {
        using var cpp = new LlamaCppModel(f.F32.Path);
        using var withoutBiases = LoadWithoutRecoveryBiases();
        foreach (var prompt in ExportComparison.Prompts)
        {
            var ids = f.Source.Tokenizer.Encode(prompt, addBos: true);
            Assert.Equal(ids, cpp.Tokenize(prompt, addBos: true));
            var ours = ExportComparison.OurLogits(f.Ours, ids);
            var theirs = cpp.Logits(ids);
            var diff = ExportComparison.MaxAbsDiff(ours, theirs);
            var biasEffect = ExportComparison.MaxAbsDiff(ExportComparison.OurLogits(withoutBiases, ids), theirs);
            output.WriteLine($"{prompt}: max |logit difference| {diff:E3}; without the o/down biases it would be {biasEffect:F3}");
            Assert.InRange(diff, 0, DenseGgufExportTests.F32LogitTolerance);
            // llama.cpp really adds attn_output.bias and ffn_down.bias: dropping them moves the logits by far more than the tolerance.
            Assert.True(biasEffect > 100 * DenseGgufExportTests.F32LogitTolerance, $"bias effect {biasEffect}");
        }
    }

    [Theory]
    [InlineData(GgufOutputType.F32, 1e-4)] // measured 5.4e-6 (llama.cpp defaults: f16 KV cache, flash attention)
    [InlineData(GgufOutputType.F16, 1e-3)] // measured 1.3e-5
    [InlineData(GgufOutputType.BF16, 5e-3)] // measured 4.2e-4
    public void Llama_cpp_perplexity_of_the_pruned_export_is_within_one_percent_of_ours(GgufOutputType type, double maxRelative)
    {
        var ours = ExportComparison.OurPerplexity(f.Ours, f.Tokens);
        using var cpp = new LlamaCppModel(f.Result(type).Path, exact: false);
        var theirs = ExportComparison.LlamaCppPerplexity(cpp, f.Tokens);
        var relative = Math.Abs(theirs.Perplexity / ours.Perplexity - 1);
        output.WriteLine($"{type}: perplexity ours {ours.Perplexity:F5}, llama.cpp {theirs.Perplexity:F5} (relative {relative:E2})");
        Assert.InRange(relative, 0, maxRelative); // every bound is within the 1% the issue asks for
    }

    [Theory]
    [InlineData(GgufOutputType.F16, 0.03)] // measured 9.1e-3 against our float32 forward
    [InlineData(GgufOutputType.BF16, 0.3)] // measured 0.12
    public void Llama_cpp_logits_of_half_precision_exports_stay_close_to_ours(GgufOutputType type, double tolerance)
    {
        using var cpp = new LlamaCppModel(f.Result(type).Path);
        foreach (var prompt in ExportComparison.Prompts)
        {
            var ids = f.Source.Tokenizer.Encode(prompt, addBos: true);
            var ours = ExportComparison.OurLogits(f.Ours, ids);
            var theirs = cpp.Logits(ids);
            var diff = ExportComparison.MaxAbsDiff(ours, theirs);
            output.WriteLine($"{type} {prompt}: max |logit difference| {diff:E3}");
            Assert.InRange(diff, 0, tolerance);
            Assert.Equal(ExportComparison.ArgMax(ours[^1]), ExportComparison.ArgMax(theirs[^1]));
        }
    }

    [Fact]
    public async Task The_pruned_model_tells_the_same_story_through_LLamaSharps_executor_as_through_our_forward()
    {
        const string prompt = "Once upon a time";
        var promptIds = f.Source.Tokenizer.Encode(prompt, addBos: true);
        using var ours = SlimModel.Load(f.Folder, "cpu");
        var ourIds = ours.GenerateTokens(promptIds, GenerationOptions.Greedy with { MaxNewTokens = 24 });
        var ourText = f.Source.Tokenizer.Decode([.. promptIds, .. ourIds]);

        // The plain LLamaSharp way of running a GGUF file, greedy (temperature 0); K/V in float32 so near-ties cannot flip.
        var parameters = new ModelParams(f.F16.Path)
        {
            ContextSize = 256, Threads = 2, GpuLayerCount = 0,
            TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32, FlashAttention = false,
        };
        using var weights = LlamaCppModel.LoadWeights(parameters);
        var executor = new StatelessExecutor(weights, parameters);
        var generated = new StringBuilder(prompt);
        var inference = new InferenceParams { MaxTokens = ourIds.Length, SamplingPipeline = new DefaultSamplingPipeline { Temperature = 0 } };
        await foreach (var piece in executor.InferAsync(prompt, inference))
            generated.Append(piece);
        output.WriteLine($"ours:      {ourText}\nllama.cpp: {generated}");
        Assert.Equal(ourText, generated.ToString());
    }

    /// <summary>Our forward of the pruned model with the o_proj and down_proj biases left out, as a runtime that ignored them would run it.</summary>
    private LlamaModel LoadWithoutRecoveryBiases()
    {
        var c = f.Source.Config;
        var layers = new List<DecoderLayerWeights>();
        for (int i = 0; i < c.NumLayers; i++)
        {
            using var w = f.Source.LoadLayer(i);
            using var copy = w.To(CPU, ScalarType.Float32);
            layers.Add(new DecoderLayerWeights
            {
                InputNorm = copy.InputNorm.clone(), Q = copy.Q.clone(), K = copy.K.clone(), V = copy.V.clone(), O = copy.O.clone(),
                PostAttentionNorm = copy.PostAttentionNorm.clone(), Gate = copy.Gate.clone(), Up = copy.Up.clone(), Down = copy.Down.clone(),
            });
        }
        var config = c with { Layers = c.Layers.Select(l => l with { Biases = SlimLLM.Models.ProjectionBiases.None }).ToList() };
        var embedding = f.Source.LoadEmbedding();
        return new LlamaModel(config, embedding, layers, f.Source.LoadFinalNorm(), embedding.alias(), CPU, ScalarType.Float32, 512);
    }
}
