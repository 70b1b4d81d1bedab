using SlimLLM.Caching;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Models;
using SlimLLM.Output;
using SlimLLM.Progress;
using SlimLLM.Pruning.Ratios;
using SlimLLM.Pruning.Recovery;
using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The SlimLLM pruning run: dense layer similarities, per-layer ratios, then layer by layer (in order) statistics →
/// selection → recovery → pruned layer, whose output feeds the next layer (sequential mode).
/// Statistics are ratio-independent and cached under content-addressed keys; calibration hidden states are computed only
/// when a layer's statistics are missing, so a rebuild with unchanged inputs runs no forward pass at all.
/// </summary>
public sealed class PruningEngine(IProgressReporter? progress = null, IStatisticsCache? cache = null, string? modelFingerprint = null)
{
    private readonly IProgressReporter _progress = progress ?? NullProgress.Instance;
    private readonly IStatisticsCache _cache = cache ?? new NoStatisticsCache();

    public PruneResult Run(IModelSource source, CalibrationSet calibration, PruneSettings settings, ComputeDevice compute, string? settingsSource = null)
    {
        var config = source.Config;
        var timings = new PhaseTimings();
        var passes = new Counter();
        var storedDtype = config.TorchDtype switch { "bfloat16" => ScalarType.BFloat16, "float16" => ScalarType.Float16, _ => ScalarType.Float32 };
        using var noGrad = no_grad();
        using var rope = new RotaryEmbedding(config, calibration.SeqLen, compute.Device, compute.DType);

        // For ridge, the last quarter of the samples is held out to choose the strength.
        int heldOutSamples = settings.EffectiveRecovery == RecoveryMethod.Ridge ? Math.Max(1, calibration.Samples / 4) : 0;
        if (heldOutSamples >= calibration.Samples)
            throw new Errors.SlimLLMException(settingsSource, "ridge recovery needs at least 2 calibration samples (one is held out).", "Raise calibration samples.");
        var (batches, heldOutBatches) = MakeBatches(calibration, settings.BatchSize, heldOutSamples);
        int fitBatches = batches.Count - heldOutBatches;

        var fingerprint = modelFingerprint ?? (_cache is NoStatisticsCache ? "uncached" : ModelFingerprint.Compute(source));
        CacheKey BaseKey(string what) => new CacheKey().Add("what", what).Add("algorithm", Provenance.AlgorithmVersion).Add("model", fingerprint)
            .Add("calibration", calibration.Fingerprint).Add("batches", string.Join(",", batches.Select(b => b.shape[0]))).Add("held_out_batches", heldOutBatches)
            .Add("dtype", compute.DType.ToString()).Add("device", compute.Device.type.ToString());

        Tensor embedding = timings.Time("load", () => source.LoadEmbedding());
        try
        {
            var hidden = new HiddenStates(batches, embedding, compute, rope, config, passes, timings);
            var similarities = Similarities(source, BaseKey("similarities").Hash(), hidden, compute, timings);
            var (plan, meanRatio, prunedLayers, alpha) = PlanRatios(config, settings, similarities, settingsSource);

            var pruner = new LayerPruner(config, settings);
            var layers = new List<DecoderLayerWeights>(config.NumLayers);
            var layerConfigs = new List<DecoderLayerConfig>(config.NumLayers);
            var decisions = new List<LayerDecision>(config.NumLayers);
            string chain = settings.Mode == CalibrationMode.Sequential ? "embedding" : "dense";
            for (int l = 0; l < config.NumLayers; l++)
            {
                using var w = LoadLayer(source, l, compute, timings);
                var layerConfig = config.Layers[l];
                double ratio = plan.Ratios[l];
                DecoderLayerWeights pruned;
                DecoderLayerConfig prunedConfig;
                LayerDecision decision;
                if (ratio <= 0)
                {
                    if (settings.Mode == CalibrationMode.Dense)
                    {
                        // Dense-mode statistics do not depend on any ratio: take them for unpruned layers too, so that a later
                        // change of target (which may start pruning this layer) needs no forward pass at all.
                        var dAttnKey = BaseKey("attention").Add("layer", l).Add("inputs", chain).Hash();
                        CachedOrComputed("attention", dAttnKey, AttentionStatistics.FromTensors, s => s.ToTensors(),
                            () => LayerStatisticsComputer.Attention(w, layerConfig, config, hidden.At(l, layers, source, false), fitBatches, rope, passes), timings).Dispose();
                        var dFfnKey = BaseKey("ffn").Add("layer", l).Add("inputs", chain).Add("attention", "dense").Hash();
                        CachedOrComputed("ffn", dFfnKey, FfnStatistics.FromTensors, s => s.ToTensors(),
                            () => LayerStatisticsComputer.Ffn(w, layerConfig, w, config, hidden.At(l, layers, source, false), fitBatches, rope, passes), timings).Dispose();
                    }
                    pruned = w.To(w.Q.device, w.Q.dtype);
                    prunedConfig = layerConfig;
                    long p = layerConfig.ParameterCount(config.HiddenSize, config.HeadDim);
                    decision = new LayerDecision(l, similarities[l], 0, Enumerable.Range(0, layerConfig.NumKeyValueHeads).ToArray(),
                        Enumerable.Range(0, layerConfig.IntermediateSize).ToArray(), layerConfig.NumKeyValueHeads, layerConfig.IntermediateSize, p, p);
                }
                else
                {
                    var attnKey = BaseKey("attention").Add("layer", l).Add("inputs", chain).Hash();
                    using var attnStats = CachedOrComputed("attention", attnKey, AttentionStatistics.FromTensors, s => s.ToTensors(),
                        () => LayerStatisticsComputer.Attention(w, layerConfig, config, hidden.At(l, layers, source, settings.Mode == CalibrationMode.Sequential), fitBatches, rope, passes), timings);
                    var attention = pruner.PruneAttention(w, layerConfig, ratio, attnStats, timings);
                    using var attnWeights = attention.Weights;

                    var ffnAttention = settings.Mode == CalibrationMode.Sequential ? attention.Weights : w;
                    var ffnAttentionConfig = settings.Mode == CalibrationMode.Sequential ? attention.Config : layerConfig;
                    var ffnKey = BaseKey("ffn").Add("layer", l).Add("inputs", chain)
                        .Add("attention", settings.Mode == CalibrationMode.Sequential ? CacheKey.HashTensors(AttentionTensors(attention.Weights)) : "dense").Hash();
                    using var ffnStats = CachedOrComputed("ffn", ffnKey, FfnStatistics.FromTensors, s => s.ToTensors(),
                        () => LayerStatisticsComputer.Ffn(ffnAttention, ffnAttentionConfig, w, config, hidden.At(l, layers, source, settings.Mode == CalibrationMode.Sequential), fitBatches, rope, passes), timings);
                    var ffnPruner = _cache is NoStatisticsCache ? pruner : new LayerPruner(config, settings, new RecoveryCache(_cache, ffnKey));
                    var ffn = ffnPruner.PruneFfn(attention.Weights, attention.Config, ratio, ffnStats, timings);
                    pruned = ffn.Weights;
                    prunedConfig = ffn.Config;
                    decision = new LayerDecision(l, similarities[l], ratio, attention.KeptGroups, ffn.KeptChannels, layerConfig.NumKeyValueHeads,
                        layerConfig.IntermediateSize, layerConfig.ParameterCount(config.HiddenSize, config.HeadDim), prunedConfig.ParameterCount(config.HiddenSize, config.HeadDim),
                        attention.Holistic?.FinalObjective, attention.Holistic?.Swaps.Count ?? 0, attention.RidgeStrength, ffn.RidgeStrength);
                }
                // The stored (checkpoint-dtype) weights are what the next layer sees, with or without the cache.
                var stored = timings.Time("write", () => { using (pruned) return pruned.To(CPU, storedDtype); });
                layers.Add(stored);
                layerConfigs.Add(prunedConfig);
                decisions.Add(decision);
                if (settings.Mode == CalibrationMode.Sequential)
                    chain = new CacheKey().Add("previous", chain).Add("layer", CacheKey.HashTensors(stored.Named())).Hash();
                hidden.Pruned(l, prunedConfig);
                _progress.Report("pruning layers", l + 1, config.NumLayers);
            }
            hidden.Dispose();

            var result = new PruneResult
            {
                DenseConfig = config,
                Config = config with { Layers = layerConfigs },
                Embedding = embedding,
                FinalNorm = source.LoadFinalNorm(),
                LmHead = config.TieWordEmbeddings ? null : source.LoadLmHead(),
                Layers = layers,
                Decisions = decisions,
                Settings = settings,
                MeanRatio = meanRatio,
                PrunedLayerCount = prunedLayers,
                Alpha = alpha,
                TargetReduction = settings.Ratio.Target,
                ForwardPasses = passes.Value,
                Timings = timings,
            };
            embedding = null!;
            return result;
        }
        finally
        {
            embedding?.Dispose();
            foreach (var b in batches) b.Dispose();
        }
    }

    private double[] Similarities(IModelSource source, string key, HiddenStates hidden, ComputeDevice compute, PhaseTimings timings)
    {
        var config = source.Config;
        var cached = _cache.TryGet("similarities", key);
        if (cached is not null)
        {
            using var t = cached["similarities"];
            var values = t.data<double>().ToArray();
            foreach (var x in cached.Values) x.Dispose();
            if (values.Length == config.NumLayers) return values;
        }
        var similarities = new double[config.NumLayers];
        var states = hidden.Embedded();
        for (int l = 0; l < config.NumLayers; l++)
        {
            using var w = LoadLayer(source, l, compute, timings);
            var acc = new LayerSimilarityAccumulator();
            var next = timings.Time("calibration forward", () => states.Select(h =>
            {
                var o = DecoderLayer.Forward(h, w, config.Layers[l], config, hidden.Rope);
                hidden.Passes.Add();
                acc.Accumulate(h.reshape(-1, h.shape[2]), o.reshape(-1, o.shape[2]));
                return o;
            }).ToList());
            foreach (var h in states) h.Dispose();
            states = next;
            similarities[l] = acc.Mean;
            _progress.Report("dense pass", l + 1, config.NumLayers);
        }
        foreach (var h in states) h.Dispose();
        using (var t = tensor(similarities, dtype: ScalarType.Float64))
            _cache.Put("similarities", key, new Dictionary<string, Tensor> { ["similarities"] = t });
        return similarities;
    }

    private static (LayerRatioPlan Plan, double MeanRatio, int PrunedLayers, double Alpha) PlanRatios(ModelConfig config, PruneSettings settings, double[] similarities, string? settingsSource)
    {
        int prunedLayers = settings.Ratio.ResolvePrunedLayers(config.NumLayers);
        double alpha = settings.Ratio.ResolveAlpha();
        if (settings.Ratio.Target is double target)
        {
            var shapes = config.Layers.Select(l => new LayerShape(config.HiddenSize, l.NumHeads, l.NumKeyValueHeads, config.HeadDim, l.IntermediateSize)).ToList();
            var solution = LayerRatioPlanner.SolveForParameterFraction(similarities, shapes, target, prunedLayers, alpha, settings.Ratio.MaxRatio, settings.FfnRule, settingsSource);
            return (solution.Plan, solution.MeanRatio, prunedLayers, alpha);
        }
        double r = settings.Ratio.MeanRatio!.Value;
        return (LayerRatioPlanner.Plan(similarities, new LayerRatioSettings(r, prunedLayers, alpha, settings.Ratio.MaxRatio), settingsSource), r, prunedLayers, alpha);
    }

    private T CachedOrComputed<T>(string kind, string key, Func<IReadOnlyDictionary<string, Tensor>, string, T> fromTensors,
        Func<T, Dictionary<string, Tensor>> toTensors, Func<T> compute, PhaseTimings timings)
    {
        var cached = timings.Time("cache", () => _cache.TryGet(kind, key));
        if (cached is not null)
        {
            try { return fromTensors(cached, $"{kind} statistics {key}"); }
            catch (Errors.SlimLLMException e)
            {
                // Whole and checksummed, but not what this version expects (written by another version): recompute it.
                _progress.Warn($"cache entry {kind}/{key[..12]}… cannot be used ({e.Cause}); it is recomputed.");
            }
            finally { foreach (var t in cached.Values) t.Dispose(); }
        }
        var value = timings.Time("statistics", compute);
        var tensors = toTensors(value);
        timings.Time("cache", () => _cache.Put(kind, key, tensors));
        foreach (var t in tensors.Values) t.Dispose();
        return value;
    }

    private static IEnumerable<(string, Tensor)> AttentionTensors(DecoderLayerWeights w) =>
        w.Named().Where(n => n.Suffix.StartsWith("self_attn.", StringComparison.Ordinal) || n.Suffix == "input_layernorm.weight");

    private static DecoderLayerWeights LoadLayer(IModelSource source, int l, ComputeDevice compute, PhaseTimings timings) =>
        timings.Time("load", () => { using var raw = source.LoadLayer(l); return raw.To(compute.Device, compute.DType); });

    private static (List<Tensor> Batches, int HeldOut) MakeBatches(CalibrationSet calibration, int batchSize, int heldOutSamples)
    {
        var batches = new List<Tensor>();
        int fitSamples = calibration.Samples - heldOutSamples;
        void Add(int from, int to)
        {
            for (int s = from; s < to; s += batchSize)
            {
                int n = Math.Min(batchSize, to - s);
                var ids = calibration.Sequences.Skip(s).Take(n).SelectMany(q => q.Select(t => (long)t)).ToArray();
                batches.Add(tensor(ids, [n, calibration.SeqLen], dtype: ScalarType.Int64));
            }
        }
        Add(0, fitSamples);
        int before = batches.Count;
        Add(fitSamples, calibration.Samples);
        return (batches, batches.Count - before);
    }
}
