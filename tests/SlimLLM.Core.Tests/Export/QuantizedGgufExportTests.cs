using SlimLLM.Evaluation;
using SlimLLM.Export;
using SlimLLM.IO.Gguf;
using SlimLLM.Models;
using SlimLLM.Pipeline;
using SlimLLM.Pruning.Engine;
using SlimLLM.Resources;
using SlimLLM.Tests.Support;
using Xunit.Abstractions;

namespace SlimLLM.Tests.Export;

/// <summary>
/// The shared TinyStories model pruned by 20% with <c>channel_multiple: 32</c>, written as Q8_0 and Q4_0 GGUF by our
/// quantisers and run by llama.cpp through LLamaSharp: Q8_0's perplexity within 1% of our float32 perplexity of the same model.
/// </summary>
[Trait("Category", "Slow")]
public class QuantizedGgufExportTests(ITestOutputHelper output)
{
    [Fact]
    public void Q8_0_of_the_pruned_model_runs_in_llama_cpp_within_one_percent_of_our_float_perplexity_and_Q4_0_is_measured()
    {
        using var dir = TestData.NewTempDir();
        var folder = dir.File("slim");
        var report = new PrunePipeline().Run(new PruneJob
        {
            Name = "slim", ModelPath = TestData.TinyStoriesLlama, CalibrationFiles = [TestData.TinyStoriesValid], Samples = 8, SeqLen = 64,
            Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.2), ChannelMultiple = 32 },
            Evaluate = [new EvaluationSpec(TestData.TinyStoriesValid)], OutputDir = folder, Device = "cpu",
            ExportGguf = true, GgufType = GgufOutputType.Q8_0,
        });
        double ours = report.Evaluation[0].PrunedPerplexity;
        Assert.Equal("q8_0", report.Evaluation[0].GgufType);
        double oursQ8 = report.Evaluation[0].QuantizedPerplexity!.Value; // our forward on the Q8_0 weights, reported by the prune
        using (var source = ModelLoader.Open(folder))
        {
            Assert.All(source.Config.Layers, l => Assert.Equal(0, l.IntermediateSize % 32));
            Assert.Contains(source.Config.Layers, l => l.IntermediateSize < 384);
        }
        using (var file = GgufFile.Open(Path.Combine(folder, "model.gguf")))
        {
            Assert.Equal(GgmlType.Q8_0, file.Entry("blk.0.ffn_down.weight").Type);
            Assert.Equal(GgmlType.Q8_0, file.Entry("token_embd.weight").Type);
            Assert.Equal(GgmlType.F32, file.Entry("blk.0.attn_norm.weight").Type);
            Assert.Equal(7, file.Metadata.GetInt("general.file_type"));
        }

        var q4 = GgufExporter.Export(folder, dir.File("q4_0.gguf"), GgufOutputType.Q4_0);
        var f16 = GgufExporter.Export(folder, dir.File("f16.gguf"), GgufOutputType.F16);
        int[] tokens;
        using (var source = ModelLoader.Open(folder)) tokens = Perplexity.Tokenize(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid));
        double Cpp(string path)
        {
            using var cpp = new LlamaCppModel(path, exact: false); // llama.cpp's defaults, as a user runs it
            return ExportComparison.LlamaCppPerplexity(cpp, tokens).Perplexity;
        }
        double q8 = Cpp(Path.Combine(folder, "model.gguf")), q4ppl = Cpp(q4.Path), f16ppl = Cpp(f16.Path);
        using var q4source = new QuantizedWeightsSource(ModelLoader.Open(folder), GgufOutputType.Q4_0);
        using var q4model = LlamaModel.Load(q4source, TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float32);
        double oursQ4 = ExportComparison.OurPerplexity(q4model, tokens).Perplexity;
        output.WriteLine($"ours on quantised weights: q8_0 {oursQ8:F4}, q4_0 {oursQ4:F4}");
        output.WriteLine($"perplexity on tinystories-valid: ours float32 {ours:F4}; llama.cpp f16 {f16ppl:F4}, q8_0 {q8:F4} ({q8 / ours - 1:+0.00%;-0.00%}), " +
                         $"q4_0 {q4ppl:F4} ({q4ppl / ours - 1:+0.00%;-0.00%}); bytes f16 {f16.FileBytes:N0}, q8_0 {new FileInfo(Path.Combine(folder, "model.gguf")).Length:N0}, q4_0 {q4.FileBytes:N0}");
        Assert.InRange(q8 / ours, 0.99, 1.01);
        // What the prune reports for the quantised model is what llama.cpp measures on the file (it also rounds activations to 8 bits).
        Assert.InRange(oursQ8 / q8, 0.99, 1.01);
        Assert.InRange(oursQ4 / q4ppl, 0.97, 1.03);
        Assert.True(q4ppl > 0 && q4.FileBytes < f16.FileBytes);
    }

    [Fact]
    public void Without_channel_multiple_the_q8_0_export_fails_naming_channel_multiple()
    {
        using var dir = TestData.NewTempDir();
        var folder = dir.File("slim");
        new PrunePipeline().Run(new PruneJob
        {
            Name = "slim", ModelPath = TestData.TinyStoriesLlama, CalibrationFiles = [TestData.TinyStoriesValid], Samples = 4, SeqLen = 32,
            Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.2) }, OutputDir = folder, Device = "cpu",
        });
        var e = Assert.Throws<SettingException>(() => GgufExporter.Export(folder, dir.File("q8.gguf"), GgufOutputType.Q8_0));
        Assert.Equal("pruning.channel_multiple", e.Setting);
        Assert.Contains("blk.", e.Cause);
        Assert.Contains("ffn_down.weight", e.Cause);
        Assert.Contains("channel_multiple: 32", e.Fix);
        Assert.False(File.Exists(dir.File("q8.gguf")));
    }
}
