using SlimLLM.Testing;
using System.Security.Cryptography;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Output;
using SlimLLM.Pipeline;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tests.Support;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Engine;

public class PruningEngineTests
{
    private static readonly ComputeDevice Cpu = ComputeDevice.Resolve("cpu");

    private static CalibrationSet Calibration(IModelSource source, int samples = 8, int seqLen = 64, int seed = 42) =>
        CalibrationSet.FromText(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid), samples, seqLen, seed);

    private static PruneResult Prune(IModelSource source, PruneSettings settings, CalibrationSet? calibration = null) =>
        new PruningEngine().Run(source, calibration ?? Calibration(source), settings, Cpu);

    [Fact]
    public void Gqa_groups_are_removed_whole_and_shapes_stay_consistent()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        using var r = Prune(source, new PruneSettings { Ratio = new RatioSpec(MeanRatio: 0.5, PrunedLayers: 2, Alpha: 0) });
        // alpha = 0: both layers get ratio 0.5 → 2 of 4 KV groups (4 of 8 query heads) and round(0.5*384)=192 of 384 channels,
        // capped by the protected 1% (4 channels): 192 pruned.
        foreach (var (layer, i) in r.Config.Layers.Select((l, i) => (l, i)))
        {
            Assert.Equal(2, layer.NumKeyValueHeads);
            Assert.Equal(4, layer.NumHeads);
            Assert.Equal(192, layer.IntermediateSize);
            var w = r.Layers[i];
            Assert.Equal(new long[] { 4 * 16, 128 }, w.Q.shape);
            Assert.Equal(new long[] { 2 * 16, 128 }, w.K.shape);
            Assert.Equal(new long[] { 2 * 16, 128 }, w.V.shape);
            Assert.Equal(new long[] { 128, 4 * 16 }, w.O.shape);
            Assert.Equal(new long[] { 128 }, w.OBias!.shape);
            Assert.Equal(new long[] { 192, 128 }, w.Gate.shape);
            Assert.Equal(new long[] { 128, 192 }, w.Down.shape);
            Assert.Equal(new long[] { 128 }, w.DownBias!.shape);
            Assert.Equal(2, r.Decisions[i].KeptKvGroups.Count);
        }
    }

    [Fact]
    public void Kept_query_heads_are_exactly_those_of_the_kept_kv_groups()
    {
        using var source = ModelLoader.Open(TestData.TinyStoriesLlama);
        using var r = Prune(source, new PruneSettings { Ratio = new RatioSpec(MeanRatio: 0.5, PrunedLayers: 2, Alpha: 0), NoRecovery = true });
        using var dense = source.LoadLayer(1);
        var kept = r.Decisions[1].KeptKvGroups;
        // Group g owns query heads 2g, 2g+1 (8 heads / 4 KV heads) → q rows [32g, 32g+32).
        var qRows = kept.SelectMany(g => Enumerable.Range(32 * g, 32)).Select(i => (long)i).ToArray();
        var kRows = kept.SelectMany(g => Enumerable.Range(16 * g, 16)).Select(i => (long)i).ToArray();
        Assert.True(r.Layers[1].Q.allclose(dense.Q.index_select(0, tensor(qRows)), 0, 0));
        Assert.True(r.Layers[1].K.allclose(dense.K.index_select(0, tensor(kRows)), 0, 0));
        Assert.True(r.Layers[1].O.allclose(dense.O.index_select(1, tensor(qRows)), 0, 0));
        Assert.Null(r.Layers[1].OBias);
    }

    [Fact]
    public void Target_reduction_is_met_and_reported()
    {
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        using var r = Prune(source, new PruneSettings { Ratio = new RatioSpec(Target: 0.3) });
        Assert.InRange(r.AchievedDecoderReduction, 0.28, 0.32);
        Assert.Equal(r.Config.DecoderParameterCount, r.Decisions.Sum(d => d.ParametersAfter));
        Assert.All(r.Decisions, d => Assert.InRange(d.Ratio, 0, 0.9));
        Assert.True(r.ForwardPasses > 0);
    }

    [Fact]
    public void Each_phase_is_announced_before_its_first_layer_and_counts_every_layer()
    {
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        var progress = new RecordingProgress();
        using var r = new PruningEngine(progress).Run(source, Calibration(source), new PruneSettings { Ratio = new RatioSpec(Target: 0.2) }, Cpu);
        foreach (var phase in new[] { "dense pass", "pruning layers" })
            Assert.Equal([0, 1, 2, 3, 4, 5], progress.Reports.Where(p => p.Phase == phase).Select(p => p.Done));
        Assert.All(progress.Reports, p => Assert.Equal(5, p.Total));
    }

    [Fact]
    public void Every_layer_reports_its_forward_its_statistics_passes_and_its_extra_work_apart()
    {
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        // Four of five layers pruned: the fifth does no pruning work, but its dense forward is still timed.
        using var r = Prune(source, new PruneSettings { Ratio = new RatioSpec(MeanRatio: 0.3, PrunedLayers: 4) });
        Assert.Equal([0, 1, 2, 3, 4], r.LayerTimings.Select(l => l.Layer));
        Assert.All(r.LayerTimings, l => Assert.True(l.ForwardSeconds > 0));
        var pruned = r.LayerTimings.Where(l => r.Decisions[l.Layer].Ratio > 0).ToList();
        Assert.Equal(4, pruned.Count);
        Assert.All(pruned, l => Assert.True(l.StatisticsForwardSeconds > 0 && l.StatisticsSeconds > 0 && l.SelectionSeconds > 0));
        Assert.All(r.LayerTimings.Except(pruned), l => Assert.Equal(0, l.ExtraWithPassesSeconds));
        // The layers' passes are timed apart from the statistics, and the phases add up: nothing is counted twice.
        var t = r.Timings.Seconds;
        Assert.Equal(t["statistics forward"], r.LayerTimings.Sum(l => l.StatisticsForwardSeconds), 9);
        Assert.Equal(t["statistics"], r.LayerTimings.Sum(l => l.StatisticsSeconds), 9);
    }

    [Fact]
    public void Pruning_is_deterministic_for_a_fixed_seed_and_changes_with_the_seed()
    {
        using var dir = TestData.NewTempDir();
        string Run(string name, int seed)
        {
            var job = new PruneJob
            {
                Name = name, ModelPath = TestData.TinyStoriesLlama, CalibrationFiles = [TestData.TinyStoriesValid],
                Samples = 8, SeqLen = 64, Seed = seed, Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.3) },
                OutputDir = dir.File(name), Device = "cpu",
            };
            new PrunePipeline().Run(job);
            return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir.File(name), "model.safetensors"))));
        }
        var a = Run("a", 42);
        var b = Run("b", 42);
        var c = Run("c", 7);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var pa = Provenance.FromJson(File.ReadAllText(dir.File("a/slimllm.json")));
        var pb = Provenance.FromJson(File.ReadAllText(dir.File("b/slimllm.json")));
        Assert.Equal(pa.Layers.Select(l => l.KeptKvGroups.Concat(l.KeptChannels)).SelectMany(x => x), pb.Layers.Select(l => l.KeptKvGroups.Concat(l.KeptChannels)).SelectMany(x => x));
        Assert.Equal(pa.Calibration.Fingerprint, pb.Calibration.Fingerprint);
    }

    [Fact]
    public void Written_model_loads_and_its_perplexity_matches_the_provenance()
    {
        using var dir = TestData.NewTempDir();
        var job = new PruneJob
        {
            Name = "slim", ModelPath = TestData.Stories260KGguf, CalibrationFiles = [TestData.TinyStoriesValid],
            Samples = 8, SeqLen = 128, Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.2) },
            Evaluate = [new EvaluationSpec(TestData.TinyStoriesValid)], OutputDir = dir.File("slim"), Device = "cpu",
        };
        var report = new PrunePipeline().Run(job);
        var provenance = Provenance.FromJson(File.ReadAllText(dir.File("slim/slimllm.json")));
        Assert.Equal("slimllm", provenance.Method);
        Assert.Equal(report.Parameters.After, provenance.Parameters.After.Total);
        Assert.Equal(5.97841, provenance.Evaluation[0].DensePerplexity, 3);
        Assert.True(provenance.Evaluation[0].PrunedPerplexity > provenance.Evaluation[0].DensePerplexity);
        // A GGUF source leaves a tokenizer.model behind; the folder is a complete model on its own.
        Assert.True(File.Exists(dir.File("slim/tokenizer.model")));
        var again = PerplexityTests_Measure(dir.File("slim"));
        FloatTolerance.AssertRelative(provenance.Evaluation[0].PrunedPerplexity, again);
        using var source = ModelLoader.Open(dir.File("slim"));
        Assert.False(source.Config.IsUniform);
        Assert.Equal(provenance.Parameters.After.Total, source.Config.ParameterCount);
        Assert.DoesNotContain(Directory.GetDirectories(dir.Path), d => Path.GetFileName(d).StartsWith('.'));
    }

    private static double PerplexityTests_Measure(string model) => SlimLLM.Tests.Evaluation.PerplexityTests.Measure(model, TestData.TinyStoriesValid);

    [Fact]
    public void A_failed_run_leaves_the_previous_output_untouched()
    {
        using var dir = TestData.NewTempDir();
        var output = dir.File("slim");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "slimllm.json"), "keep me"); // a previous output (its marker) may be replaced
        var job = new PruneJob
        {
            Name = "slim", ModelPath = TestData.TinyStoriesLlama, CalibrationFiles = [TestData.TinyStoriesValid],
            Samples = 4, SeqLen = 64, Settings = new PruneSettings { Ratio = new RatioSpec(Target: 0.2) },
            Evaluate = [new EvaluationSpec(dir.File("missing.txt"))], OutputDir = output, Device = "cpu",
        };
        var e = Assert.Throws<SlimLLM.Errors.SlimLLMException>(() => new PrunePipeline().Run(job));
        Assert.Contains("missing.txt", e.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(output, "slimllm.json")));
        Assert.Equal([Path.Combine(dir.Path, ".slim.lock"), output], Directory.GetFileSystemEntries(dir.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Dense_mode_and_sequential_mode_differ_only_after_the_first_pruned_layer()
    {
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        var settings = new PruneSettings { Ratio = new RatioSpec(MeanRatio: 0.3, PrunedLayers: 5, Alpha: 0) };
        using var seq = Prune(source, settings);
        using var dense = Prune(source, settings with { Mode = CalibrationMode.Dense });
        // Layer 0 sees the same inputs in both modes, and its attention statistics are identical; later layers see different inputs.
        Assert.Equal(seq.Decisions[0].KeptKvGroups, dense.Decisions[0].KeptKvGroups);
        Assert.True(seq.Layers[0].O.allclose(dense.Layers[0].O, 0, 0));
        Assert.Contains(Enumerable.Range(1, 4), l => !seq.Layers[l].Down.shape.SequenceEqual(dense.Layers[l].Down.shape) || !seq.Layers[l].Down.allclose(dense.Layers[l].Down));
    }
}
