using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Errors;
using SlimLLM.Evaluation;
using SlimLLM.Manifest;
using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Pruning;

public class MethodRegistryTests
{
    [Fact]
    public void Names_are_unique_and_the_manifest_reads_them_from_the_registry()
    {
        Assert.Equal(MethodRegistry.MethodNames.Distinct(), MethodRegistry.MethodNames);
        Assert.Equal(MethodRegistry.RecoveryNames.Distinct(), MethodRegistry.RecoveryNames);
        Assert.Equal(MethodRegistry.MethodNames, ManifestKeys.Methods.Select(m => m.Key));
        Assert.Equal(MethodRegistry.RecoveryNames, ManifestKeys.Recoveries.Select(r => r.Key));
        Assert.Equal(MethodRegistry.ModeNames, ManifestKeys.Modes.Select(m => m.Key));
    }

    [Fact]
    public void Lookups_ignore_case_and_unknown_names_list_the_known_ones()
    {
        Assert.Equal("wanda-sp", MethodRegistry.Method("Wanda-SP").Name);
        Assert.Null(MethodRegistry.Recovery("none"));
        Assert.Equal(CalibrationMode.Dense, MethodRegistry.Mode("DENSE"));
        var e = Assert.Throws<SlimLLMException>(() => MethodRegistry.Method("slim"));
        Assert.Contains("slimllm, magnitude, wanda-sp, flap", e.Fix);
    }

    [Fact]
    public void Each_method_brings_its_default_recovery()
    {
        Assert.Equal(new string?[] { "regression", null, null, "mean-bias" }, MethodRegistry.Methods.Select(m => m.DefaultRecovery?.Name));
    }

    /// <summary>Keeps the KV groups and FFN channels of highest index: a criterion written outside the registry.</summary>
    private sealed class HighestIndexMethod : PruningMethod
    {
        public override string Name => "highest-index";
        public override KvGroupSelection SelectKvGroups(AttentionUnits units, int pruneCount) => KeepHighest(arange(units.KvGroups, ScalarType.Float64), pruneCount);
        public override Tensor ChannelScores(FfnUnits units) => arange(units.Weights.Gate.shape[0], ScalarType.Float64);
    }

    [Fact]
    public void The_engine_calls_whatever_method_the_settings_name()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        var calibration = CalibrationSet.FromText(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid), 4, 32, 42);
        var settings = new PruneSettings { Method = new HighestIndexMethod(), Ratio = new RatioSpec(MeanRatio: 0.5, PrunedLayers: 2, Alpha: 0) };
        using var result = new PruningEngine().Run(source, calibration, settings, ComputeDevice.Resolve("cpu"));
        Assert.All(result.Decisions, d =>
        {
            Assert.Equal(new[] { 2, 3 }, d.KeptKvGroups);
            Assert.Equal(Enumerable.Range(192, 192), d.KeptChannels);
        });
    }
}
