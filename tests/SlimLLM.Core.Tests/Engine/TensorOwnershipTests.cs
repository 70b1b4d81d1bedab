using SlimLLM.Caching;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Evaluation;
using SlimLLM.Models;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Methods;
using SlimLLM.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SlimLLM.Tests.Engine;

/// <summary>
/// Who disposes what in a pruning run, counted with TorchSharp's per-thread tensor statistics: pruning a layer leaves alive
/// only the weights it hands to the store, and a run leaves nothing alive once its result and store are disposed.
/// </summary>
public class TensorOwnershipTests(ITestOutputHelper output)
{
    private static readonly ComputeDevice Cpu = ComputeDevice.Resolve("cpu");

    /// <summary>Tensors created on this thread and not yet disposed, in a dispose scope or not.</summary>
    private static long Live
    {
        get
        {
            var s = DisposeScopeManager.Statistics.TensorStatistics;
            return s.CreatedInScopeCount + s.CreatedOutsideScopeCount - s.DisposedInScopeCount - s.DisposedOutsideScopeCount;
        }
    }

    /// <summary>The in-memory store, noting the live tensors of this thread as each layer arrives.</summary>
    private sealed class CountingStore : IPrunedLayerStore
    {
        private readonly InMemoryLayerStore _inner = new();
        public List<(long Live, int Stored)> Arrivals { get; } = [];
        public IReadOnlyList<DecoderLayerWeights>? Layers => _inner.Layers;
        public void Begin(ModelConfig planned, Tensor embedding) => _inner.Begin(planned, embedding);

        public void Add(int layer, DecoderLayerWeights stored)
        {
            _inner.Add(layer, stored);
            Arrivals.Add((Live, stored.Named().Count()));
        }

        public DecoderLayerWeights Get(int layer) => _inner.Get(layer);
        public void End(Tensor finalNorm, Tensor? lmHead) => _inner.End(finalNorm, lmHead);
        public void Dispose() => _inner.Dispose();
    }

    [Theory]
    [InlineData("slimllm", null, "sequential")]
    [InlineData("slimllm", null, "dense")]
    [InlineData("slimllm", "ridge", "sequential")]
    [InlineData("slimllm", "least-squares", "sequential")]
    [InlineData("slimllm", "least-squares", "dense")]
    [InlineData("wanda-sp", null, "sequential")]
    [InlineData("flap", null, "sequential")]
    [InlineData("magnitude", "mean-bias", "sequential")]
    public void Pruning_a_layer_leaves_alive_only_the_weights_it_stores(string method, string? recovery, string mode) =>
        PruneAndCount(new PruningEngine(), Settings(method, recovery, mode));

    [Theory]
    [InlineData("ridge", "sequential")]
    [InlineData("ridge", "dense")]
    [InlineData("least-squares", "sequential")]
    public void So_does_a_run_that_reads_its_statistics_and_fits_from_the_cache(string recovery, string mode)
    {
        using var dir = TestData.NewTempDir();
        var cache = new StatisticsCache(dir.Path);
        var settings = Settings("slimllm", recovery, mode);
        PruneAndCount(new PruningEngine(cache: cache, modelFingerprint: "model"), settings);
        PruneAndCount(new PruningEngine(cache: cache, modelFingerprint: "model"), settings);
    }

    private static PruneSettings Settings(string method, string? recovery, string mode) => new()
    {
        Method = MethodRegistry.Method(method),
        Recovery = recovery is null ? null : MethodRegistry.Recovery(recovery),
        Mode = MethodRegistry.Mode(mode),
        Ratio = new RatioSpec(Target: 0.3),
        BatchSize = 4,
    };

    private void PruneAndCount(PruningEngine engine, PruneSettings settings)
    {
        using var source = ModelLoader.Open(TestData.Stories260KGguf);
        var calibration = CalibrationSet.FromText(source.Tokenizer, TextCorpus.Read(TestData.TinyStoriesValid), 8, 32, 42);
        long before = Live;
        var store = new CountingStore();
        using (store)
        using (engine.Run(source, calibration, settings, Cpu, store: store))
        {
            // Layers 0 and 1 also make the calibration states (layer 0 is not pruned and needs none): from layer 2 on, the
            // states a layer brings forward replace those it was given.
            var a = store.Arrivals;
            Assert.True(a.Count >= 4, $"the model has {a.Count} layers; the check needs 4.");
            for (int l = 2; l < a.Count; l++)
            {
                output.WriteLine($"layer {l}: {a[l].Live - a[l - 1].Live} new live tensors, {a[l].Stored} stored");
                Assert.Equal(a[l].Stored, a[l].Live - a[l - 1].Live);
            }
        }
        Assert.Equal(before, Live);
    }
}
