using SlimLLM.Caching;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Engine;

/// <summary>
/// Every layer's statistics, recovery fits and pruned weights are made on the compute device (checked by the engine's
/// <see cref="DevicePlacement"/>), whether computed or read from the cache; pointed at another device, the check fails.
/// </summary>
public class DevicePlacementTests
{
    private static readonly ComputeDevice Cpu = ComputeDevice.Resolve("cpu");
    private static readonly PruneSettings Settings = new() { Ratio = new RatioSpec(Target: 0.3) };

    private static CalibrationSet Calibration(IModelSource source) =>
        CalibrationSet.FromText(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid), 8, 64, 42);

    [Fact]
    public void A_whole_prune_creates_every_layer_statistic_fit_and_weight_on_the_compute_device_computed_or_cached()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        using var dir = TestData.NewTempDir();
        var cache = new StatisticsCache(dir.Path);
        foreach (var run in new[] { "computed", "cached" })
        {
            var placement = new DevicePlacement(Cpu.Device);
            using var r = new PruningEngine(cache: cache, modelFingerprint: "placement-test", placement: placement)
                .Run(source, Calibration(source), Settings, Cpu);
            int pruned = r.Decisions.Count(d => d.Ratio > 0);
            Assert.True(pruned > 0, run);
            int fitted = r.Decisions.Count(d => d.KeptChannels.Count < d.DenseChannels);
            // Per pruned layer 8 attention and 7 FFN statistics tensors; per FFN recovery its scale and bias; per layer its weights.
            int expected = pruned * (8 + 7) + fitted * 2 + r.Layers.Sum(w => w.Named().Count());
            Assert.Equal(expected, placement.Checked);
        }
        Assert.True(cache.Hits > 0);
    }

    [Fact]
    public void The_check_fails_naming_the_layer_and_tensor_when_the_compute_device_differs()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        var elsewhere = new DevicePlacement(new Device(DeviceType.CUDA, 0));
        var e = Assert.Throws<InvalidOperationException>(() =>
            new PruningEngine(placement: elsewhere).Run(source, Calibration(source), Settings, Cpu).Dispose());
        Assert.Matches(@"^layer \d+ attention statistics: tensor 'fit.sum' is on cpu, not on the compute device cuda:0\.$", e.Message);
        Assert.Equal(0, elsewhere.Checked);
    }

    [Fact]
    public void A_device_index_mismatch_fails_and_an_unindexed_expectation_accepts_any_index()
    {
        using var t = zeros(2);
        Assert.Throws<InvalidOperationException>(() => new DevicePlacement(new Device(DeviceType.CUDA, 1)).Require("x", [("t", t)]));
        var cpu = new DevicePlacement(CPU);
        cpu.Require("x", [("t", t)]);
        Assert.Equal(1, cpu.Checked);
    }
}
