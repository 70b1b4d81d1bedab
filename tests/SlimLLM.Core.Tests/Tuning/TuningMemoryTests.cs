using SlimLLM.Compute;
using SlimLLM.Errors;
using SlimLLM.Models;
using SlimLLM.Pipeline;
using SlimLLM.Pruning.Engine;
using SlimLLM.Resources;
using SlimLLM.Tests.Support;
using SlimLLM.Tuning;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Tuning;

/// <summary>The memory estimate of LoRA tuning and the refusal it drives before a run that cannot fit.</summary>
public class TuningMemoryTests
{
    private const long MB = 1L << 20;

    [Fact]
    public void Formula_counts_weights_adapters_activations_and_logits()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        var c = source.Config;   // d 128, 8 heads (q 128), 4 KV heads (kv 64), m 384, vocab 2048, 2 layers, tied
        var s = new TuningSettings { Files = [], BatchSize = 4, SeqLen = 32, Rank = 8 };
        var e = TuningMemoryEstimate.For(c, s, 4);
        Assert.Equal(c.ParameterCount * 4, e.WeightBytes);
        // Per layer: q, k, v, o, gate, up, down with r (out + in) each.
        long perLayer = 8 * ((128 + 128) + (64 + 128) + (64 + 128) + (128 + 128) + (384 + 128) + (384 + 128) + (128 + 384));
        Assert.Equal(2 * perLayer * 16, e.AdapterBytes);
        long tokens = 4 * 32, perToken = 4 * 128 + 5 * 128 + 4 * 384;
        Assert.Equal(tokens * 2 * perToken * 4, e.ActivationBytes);
        Assert.Equal(tokens * 2048 * 12, e.LogitBytes);
        // Checkpointing keeps every layer's input and one layer's activations.
        var ck = TuningMemoryEstimate.For(c, s with { ActivationCheckpointing = true }, 4);
        Assert.Equal(tokens * (3 * 128 + perToken) * 4, ck.ActivationBytes);
        Assert.Equal(e.WeightBytes + e.AdapterBytes + e.ActivationBytes + e.LogitBytes, e.PeakBytes);
    }

    [Fact]
    public void A_tuning_that_cannot_fit_is_refused_before_anything_runs_naming_what_to_change()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        var job = new PruneJob
        {
            Name = "tiny", ModelPath = TestData.TinyStoriesLlama, CalibrationFiles = [TestData.TinyStoriesValid], Samples = 8, SeqLen = 64,
            Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.2) }, OutputDir = Path.Combine(Path.GetTempPath(), "slimllm-never-written"),
            SettingsSource = "/project/slimllm.yaml", Tuning = new TuningSettings { Files = [TestData.TinyStoriesValid], BatchSize = 512 },
        };
        // 512 x 128 tokens: about 1.9 GB of activations and logits; the prune itself needs far less than 1 GB.
        var e = Assert.IsType<SettingException>(Assert.ThrowsAny<SlimLLMException>(() =>
            PruneResourceCheck.Run(job, source, ComputeDevice.Resolve("cpu"), null, availableMemory: 1024 * MB, freeDisk: long.MaxValue)));
        Assert.Equal("tuning", e.Setting);
        Assert.StartsWith("/project/slimllm.yaml: 'tuning': LoRA tuning needs about ", e.Message);
        Assert.Contains("but 1.00 GB is available", e.Message);
        Assert.EndsWith("Set activation_checkpointing: true, lower batch_size or seq_len, or tune on a GPU (device: cuda).", e.Message);
        // The same job with a batch that fits passes the check.
        PruneResourceCheck.Run(job with { Tuning = job.Tuning with { BatchSize = 8 } }, source, ComputeDevice.Resolve("cpu"), null, 1024 * MB, long.MaxValue);
    }
}
