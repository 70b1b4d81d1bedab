using System.Security.Cryptography;
using SlimLLM.Export;
using SlimLLM.Output;
using SlimLLM.Pipeline;
using SlimLLM.Pruning.Engine;
using SlimLLM.Testing;
using SlimLLM.Tests.Support;
using SlimLLM.Tuning;
using Xunit.Abstractions;

namespace SlimLLM.Tests.Tuning;

/// <summary><c>tuning:</c> in a prune: the tuned model replaces the pruned one, is cached, and is measured beside the untuned one.</summary>
public class TuningPipelineTests(ITestOutputHelper output)
{
    /// <summary>tinystories-valid cut at 60% of its characters: the first part to calibrate and tune on, the rest held out.</summary>
    private static (string Train, string HeldOut) SplitText(TempDir dir)
    {
        var text = File.ReadAllText(TestData.TinyStoriesValid);
        int cut = text.LastIndexOf("\n", (int)(text.Length * 0.6), StringComparison.Ordinal);
        File.WriteAllText(dir.File("train.txt"), text[..cut]);
        File.WriteAllText(dir.File("held-out.txt"), text[cut..]);
        return (dir.File("train.txt"), dir.File("held-out.txt"));
    }

    private static PruneJob Job(string model, string output, string train, IReadOnlyList<EvaluationSpec> evaluate, TuningSettings? tuning, bool gguf = false) => new()
    {
        Name = Path.GetFileName(output), ModelPath = model, CalibrationFiles = [train], Samples = 16, SeqLen = 64, Device = "cpu", OutputDir = output,
        Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.5) }, Evaluate = evaluate, Tuning = tuning, ExportGguf = gguf,
    };

    /// <summary>A short run (60 steps of 8 x 64 tokens): a few seconds on these models; docs/quality.md has the full settings.</summary>
    private static TuningSettings Short(string train) => new() { Files = [train], Steps = 60, SeqLen = 64, BatchSize = 8, LearningRate = 1e-3 };

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    [Theory]
    [InlineData("tinystories-llama", 0.05)]
    [InlineData("stories260K", 0.25)]
    public void Tuning_at_half_the_parameters_lowers_held_out_perplexity_and_reports_both(string which, double atLeast)
    {
        using var dir = TestData.NewTempDir();
        var model = which == "stories260K" ? TestData.Stories260KGguf : TestData.TinyStoriesLlama;
        var (train, heldOut) = SplitText(dir);
        EvaluationSpec[] evaluate = [new(heldOut), new(TestData.WikiText2Test, MaxTokens: 8192)];
        var report = new PrunePipeline().Run(Job(model, dir.File("tuned"), train, evaluate, Short(train)));
        var plain = new PrunePipeline().Run(Job(model, dir.File("untuned"), train, evaluate, null));

        var stories = report.Evaluation[0];
        var wiki = report.Evaluation[1];
        output.WriteLine($"{which}: held-out TinyStories dense {stories.DensePerplexity:F2}, untuned {stories.UntunedPerplexity:F2}, tuned {stories.PrunedPerplexity:F2}; " +
                         $"WikiText-2 dense {wiki.DensePerplexity:F2}, untuned {wiki.UntunedPerplexity:F2}, tuned {wiki.PrunedPerplexity:F2}; losses {report.Tuning!.Losses}");
        // The untuned number is exactly what the same prune without tuning measures.
        FloatTolerance.AssertRelative(plain.Evaluation[0].PrunedPerplexity, stories.UntunedPerplexity!.Value);
        FloatTolerance.AssertRelative(plain.Evaluation[1].PrunedPerplexity, wiki.UntunedPerplexity!.Value);
        double gain = 1 - stories.PrunedPerplexity / stories.UntunedPerplexity!.Value;
        Assert.True(gain >= atLeast, $"tuning lowered held-out perplexity by {gain:P1}, less than {atLeast:P0}");
        Assert.True(report.Tuning.Losses.HeldOutEnd < report.Tuning.Losses.HeldOutStart);
        Assert.Equal(60, report.Tuning.BackwardPasses);

        // slimllm.json: the tuned perplexity as pruned_perplexity, the untuned beside it, and how it was tuned.
        var provenance = Provenance.FromJson(File.ReadAllText(dir.File("tuned/slimllm.json")));
        Assert.Equal(stories.PrunedPerplexity, provenance.Evaluation[0].PrunedPerplexity);
        Assert.Equal(stories.UntunedPerplexity, provenance.Evaluation[0].UntunedPerplexity);
        Assert.Equal(60, provenance.Tuning!.Steps);
        Assert.Equal(report.Tuning.Losses.HeldOutEnd, provenance.Tuning.Loss.HeldOutEnd);
        Assert.Null(Provenance.FromJson(File.ReadAllText(dir.File("untuned/slimllm.json"))).Tuning);
        // Same shapes, other weights.
        Assert.Equal(File.ReadAllText(dir.File("untuned/config.json")), File.ReadAllText(dir.File("tuned/config.json")));
        Assert.NotEqual(Hash(dir.File("untuned/model.safetensors")), Hash(dir.File("tuned/model.safetensors")));
    }

    [Fact]
    public void An_unchanged_rebuild_runs_no_forward_or_backward_pass_and_writes_the_same_bytes()
    {
        using var dir = TestData.NewTempDir();
        var (train, heldOut) = SplitText(dir);
        var cache = dir.File("cache");
        var tuning = Short(train) with { Steps = 10 };
        // Outputs of the same name (it is the GGUF's general.name) in different folders.
        var cold = new PrunePipeline(null, cache).Run(Job(TestData.Stories260KGguf, dir.File("1/m"), train, [new(heldOut)], tuning, gguf: true));
        var warm = new PrunePipeline(null, cache).Run(Job(TestData.Stories260KGguf, dir.File("2/m"), train, [new(heldOut)], tuning, gguf: true));
        Assert.False(cold.Tuning!.Cached);
        Assert.True(cold.Tuning.ForwardPasses > 10);
        Assert.True(warm.Tuning!.Cached);
        Assert.Equal(0, warm.ForwardPasses);
        Assert.Equal(0, warm.Tuning.ForwardPasses);
        Assert.Equal(0, warm.Tuning.BackwardPasses);
        Assert.Equal(0, warm.Cache.Misses);
        foreach (var f in new[] { "model.safetensors", "model.gguf", "slimllm.json", "config.json" })
            Assert.Equal(Hash(Path.Combine(dir.File("1/m"), f)), Hash(Path.Combine(dir.File("2/m"), f)));
        Assert.Equal(cold.Evaluation[0].PrunedPerplexity, warm.Evaluation[0].PrunedPerplexity);

        // Without a cache it trains again and writes the same bytes: CPU training is deterministic for the seed.
        new PrunePipeline().Run(Job(TestData.Stories260KGguf, dir.File("3/m"), train, [new(heldOut)], tuning, gguf: true));
        Assert.Equal(Hash(dir.File("1/m/model.safetensors")), Hash(dir.File("3/m/model.safetensors")));

        // The GGUF is the tuned folder's, as `slimllm export` writes it.
        GgufExporter.Export(dir.File("1/m"), dir.File("export.gguf"), GgufOutputType.F16, modelName: "m");
        Assert.Equal(Hash(dir.File("export.gguf")), Hash(dir.File("1/m/model.gguf")));

        // Any tuning setting is part of the key: another seed trains again.
        var reseeded = new PrunePipeline(null, cache).Run(Job(TestData.Stories260KGguf, dir.File("4/m"), train, [new(heldOut)], tuning with { Seed = 7 }));
        Assert.False(reseeded.Tuning!.Cached);
        Assert.Equal(0, reseeded.ForwardPasses);       // the prune itself is still cached
        Assert.NotEqual(Hash(dir.File("1/m/model.safetensors")), Hash(dir.File("4/m/model.safetensors")));
    }
}
