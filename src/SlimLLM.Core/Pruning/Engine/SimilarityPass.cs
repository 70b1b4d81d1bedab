using SlimLLM.Caching;
using SlimLLM.Compute;
using SlimLLM.Models;
using SlimLLM.Progress;
using SlimLLM.Pruning.Ratios;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The dense calibration pass: every layer's similarity between its input and output hidden states, which the ratio planner
/// reads. Cached under one key, so an unchanged rebuild runs no forward pass for it.
/// </summary>
internal sealed class SimilarityPass(IModelSource source, ComputeDevice compute, IStatisticsCache cache, IProgressReporter progress, PhaseTimings timings)
{
    /// <param name="forwardSeconds">Receives each layer's dense calibration forward time (zero when the similarities are cached).</param>
    public double[] Run(string key, HiddenStates hidden, double[] forwardSeconds)
    {
        var config = source.Config;
        var cached = cache.TryGet("similarities", key);
        if (cached is not null)
        {
            using var t = cached["similarities"];
            var values = t.data<double>().ToArray();
            foreach (var x in cached.Values) x.Dispose();
            if (values.Length == config.NumLayers) return values;
        }
        var similarities = new double[config.NumLayers];
        progress.Report("dense pass", 0, config.NumLayers);   // announced before the first layer's work, not after it
        var states = hidden.Embedded();
        for (int l = 0; l < config.NumLayers; l++)
        {
            using var w = timings.Time("load", () => source.LoadLayer(l, compute.Device, compute.DType));
            var acc = new LayerSimilarityAccumulator();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var next = timings.Time("calibration forward", () => states.Select(h =>
            {
                var o = DecoderLayer.Forward(h, w, config.Layers[l], config, hidden.Rope);
                hidden.Passes.Add();
                // The reshaped views share h's storage: disposed here, or h's 16 MB per batch would outlive its disposal.
                using (NewDisposeScope()) acc.Accumulate(h.reshape(-1, h.shape[2]), o.reshape(-1, o.shape[2]));
                return o;
            }).ToList());
            forwardSeconds[l] = clock.Elapsed.TotalSeconds;
            foreach (var h in states) h.Dispose();
            states = next;
            similarities[l] = acc.Mean;
            progress.Report("dense pass", l + 1, config.NumLayers);
        }
        foreach (var h in states) h.Dispose();
        using (var t = tensor(similarities, dtype: ScalarType.Float64))
            cache.Put("similarities", key, new Dictionary<string, Tensor> { ["similarities"] = t });
        return similarities;
    }
}
