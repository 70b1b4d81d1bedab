using SlimLLM.Caching;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Models;
using SlimLLM.Progress;
using SlimLLM.Pruning.Ratios;
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

    /// <param name="store">Where pruned layers go: the default keeps them in memory (in the result); a
    /// <see cref="Output.StreamingLayerStore"/> writes them to disk as they are made, and the result then holds no weights.</param>
    public PruneResult Run(IModelSource source, CalibrationSet calibration, PruneSettings settings, ComputeDevice compute, string? settingsSource = null,
        IPrunedLayerStore? store = null)
    {
        var memory = store is null ? new InMemoryLayerStore() : null;
        using var ownedStore = memory;
        store ??= memory!;
        var config = source.Config;
        var timings = new PhaseTimings();
        var passes = new ForwardPassCounter();
        var storedDtype = StoredDtype(config);
        using var noGrad = no_grad();
        using var rope = new RotaryEmbedding(config, calibration.SeqLen, compute.Device, compute.DType);

        // A recovery that holds samples out (ridge, to choose its strength) gets the last quarter of them.
        int heldOutSamples = settings.EffectiveRecovery is { HoldsOut: true } ? Math.Max(1, calibration.Samples / 4) : 0;
        if (heldOutSamples >= calibration.Samples)
            throw new Errors.SlimLLMException(settingsSource, $"{settings.EffectiveRecovery!.Name} recovery needs at least 2 calibration samples (one is held out).", "Raise calibration samples.");
        var (batches, heldOutBatches) = MakeBatches(calibration, settings.BatchSize, heldOutSamples);
        int fitBatches = batches.Count - heldOutBatches;

        var fingerprint = modelFingerprint ?? (_cache is NoStatisticsCache ? "uncached" : ModelFingerprint.Compute(source));
        CacheKey BaseKey(string what) => new CacheKey().Add("what", what).Add("algorithm", PruningAlgorithm.Version).Add("model", fingerprint)
            .Add("calibration", calibration.Fingerprint).Add("batches", string.Join(",", batches.Select(b => b.shape[0]))).Add("held_out_batches", heldOutBatches)
            .Add("dtype", compute.DType.ToString()).Add("device", compute.Device.type.ToString());

        // Streaming: the embedding table is read when the output is laid out and when states restart from the embeddings, and
        // not held in between (262 MB at LLaMA-7B in bf16).
        Tensor? embedding = memory is null ? null : timings.Time("load", () => source.LoadEmbedding());
        try
        {
            var hidden = new HiddenStates(batches, embedding is null ? source.LoadEmbedding : () => embedding!.alias(), compute, rope, config, passes, timings);
            var forwardSeconds = new double[config.NumLayers];
            var similarities = Similarities(source, BaseKey("similarities").Hash(), hidden, compute, timings, forwardSeconds);
            RequireFinite(similarities, source);
            var (plan, meanRatio, prunedLayers, alpha) = PlanRatios(config, settings, similarities, settingsSource);

            var pruner = new LayerPruner(config, settings);
            var planned = config with { Layers = config.Layers.Select((c, l) => pruner.Planned(c, plan.Ratios[l])).ToList() };
            timings.Time("write", () =>
            {
                using var table = embedding?.alias() ?? timings.Time("load", source.LoadEmbedding);
                store.Begin(planned, table);
            });
            var layerConfigs = new List<DecoderLayerConfig>(config.NumLayers);
            var decisions = new List<LayerDecision>(config.NumLayers);
            var layerTimings = new List<LayerTiming>(config.NumLayers);
            string chain = settings.Mode == CalibrationMode.Sequential ? "embedding" : "dense";
            _progress.Report("pruning layers", 0, config.NumLayers);
            for (int l = 0; l < config.NumLayers; l++)
            {
                var before = timings.Snapshot();
                using var w = LoadLayer(source, l, compute, timings);
                var layerConfig = config.Layers[l];
                double ratio = plan.Ratios[l];
                bool sequential = settings.Mode == CalibrationMode.Sequential;
                IReadOnlyList<Tensor> Inputs() => hidden.At(l, store, source, sequential);
                DecoderLayerWeights pruned;
                DecoderLayerConfig prunedConfig;
                LayerDecision decision;
                if (ratio <= 0)
                {
                    if (settings.Mode == CalibrationMode.Dense)
                    {
                        // Dense-mode statistics do not depend on any ratio: take them for unpruned layers too, so that a later
                        // change of target (which may start pruning this layer) reuses them.
                        var dAttnKey = BaseKey("attention").Add("layer", l).Add("inputs", chain).Hash();
                        var dFfnKey = BaseKey("ffn").Add("layer", l).Add("inputs", chain).Add("attention", "dense").Hash();
                        using var densePasses = new LayerPasses(w, layerConfig, config, Inputs, fitBatches, rope, passes, timings);
                        CachedOrComputed("attention", dAttnKey, AttentionStatistics.FromTensors, s => s.ToTensors(), densePasses.AttentionStatistics, timings).Dispose();
                        CachedOrComputed("ffn", dFfnKey, FfnStatistics.FromTensors, s => s.ToTensors(), () => densePasses.FfnStatistics(w, null), timings).Dispose();
                    }
                    pruned = w.Alias();
                    prunedConfig = layerConfig;
                    long p = layerConfig.ParameterCount(config.HiddenSize, config.HeadDim);
                    decision = new LayerDecision(l, similarities[l], 0, Enumerable.Range(0, layerConfig.NumKeyValueHeads).ToArray(),
                        Enumerable.Range(0, layerConfig.IntermediateSize).ToArray(), layerConfig.NumKeyValueHeads, layerConfig.IntermediateSize, p, p);
                }
                else
                {
                    using var layerPasses = new LayerPasses(w, layerConfig, config, Inputs, fitBatches, rope, passes, timings);
                    var attnKey = BaseKey("attention").Add("layer", l).Add("inputs", chain).Hash();
                    using var attnStats = CachedOrComputed("attention", attnKey, AttentionStatistics.FromTensors, s => s.ToTensors(), layerPasses.AttentionStatistics, timings);
                    var attention = pruner.PruneAttention(w, layerConfig, ratio, attnStats, timings);
                    using var attnWeights = attention.Weights;
                    if (sequential) layerPasses.ReleaseDenseAttentionIfDone();

                    var ffnAttention = sequential ? attention.Weights : w;
                    var ffnAttentionConfig = sequential ? attention.Config : layerConfig;
                    using var keptColumns = sequential ? KeptHeadColumns(attention.KeptGroups, layerConfig, config.HeadDim) : null;
                    var ffnKey = BaseKey("ffn").Add("layer", l).Add("inputs", chain)
                        .Add("attention", sequential ? CacheKey.HashTensors(AttentionTensors(attention.Weights)) : "dense").Hash();
                    using var ffnStats = CachedOrComputed("ffn", ffnKey, FfnStatistics.FromTensors, s => s.ToTensors(),
                        () => layerPasses.FfnStatistics(ffnAttention, keptColumns), timings);
                    var recoveryCache = _cache is NoStatisticsCache ? RecoveryCache.None : new RecoveryCache(_cache, ffnKey);
                    var ffn = pruner.PruneFfn(attention.Weights, attention.Config, ratio, ffnStats, timings, (kept, recovery) =>
                        recoveryCache.GetOrFit("ffn", kept, recovery, () =>
                        {
                            var acts = layerPasses.FfnActivations(ffnAttention, keptColumns);
                            return timings.Time("regression", () => LayerStatisticsComputer.FitFfnRecovery(acts, w.Down, kept, fitBatches, recovery));
                        }));
                    pruned = ffn.Weights;
                    prunedConfig = ffn.Config;
                    decision = new LayerDecision(l, similarities[l], ratio, attention.KeptGroups, ffn.KeptChannels, layerConfig.NumKeyValueHeads,
                        layerConfig.IntermediateSize, layerConfig.ParameterCount(config.HiddenSize, config.HeadDim), prunedConfig.ParameterCount(config.HiddenSize, config.HeadDim),
                        attention.Holistic?.FinalObjective, attention.Holistic?.Swaps.Count ?? 0, attention.RidgeStrength, ffn.RidgeStrength);
                }
                // The stored (checkpoint-dtype) weights are what the next layer sees, with or without the cache.
                // The dense layer goes first (the pruned one holds copies, or aliases that keep what they need): one dense
                // layer resident at a time, never beside both the pruned layer and its stored copy.
                w.Dispose();
                var stored = timings.Time("write", () => { using (pruned) return pruned.To(CPU, storedDtype); });
                if (!prunedConfig.Equals(planned.Layers[l]))
                    throw new InvalidOperationException($"layer {l} was pruned to {prunedConfig}, not to the planned {planned.Layers[l]}.");
                var storedHash = sequential ? CacheKey.HashTensors(stored.Named()) : null;
                hidden.Pruned(l, prunedConfig);
                if (sequential && l + 1 < config.NumLayers) hidden.AdvanceThrough(l, stored, prunedConfig);
                timings.Time("write", () => store.Add(l, stored));
                layerConfigs.Add(prunedConfig);
                decisions.Add(decision);
                layerTimings.Add(LayerTiming.Between(l, forwardSeconds[l], before, timings.Snapshot()));
                if (sequential)
                    chain = new CacheKey().Add("previous", chain).Add("layer", storedHash!).Hash();
                _progress.Report("pruning layers", l + 1, config.NumLayers);
            }
            hidden.Dispose();
            timings.Time("write", () => store.End(timings.Time("load", source.LoadFinalNorm), config.TieWordEmbeddings ? null : timings.Time("load", source.LoadLmHead)));

            var result = new PruneResult
            {
                DenseConfig = config,
                Config = config with { Layers = layerConfigs },
                Embedding = memory is null ? null : embedding,
                FinalNorm = memory?.FinalNorm,
                LmHead = memory?.LmHead,
                Layers = memory?.Release() ?? [],
                Decisions = decisions,
                Settings = settings,
                MeanRatio = meanRatio,
                PrunedLayerCount = prunedLayers,
                Alpha = alpha,
                TargetReduction = settings.Ratio.Target,
                ForwardPasses = passes.Value,
                LayerTimings = layerTimings,
                Timings = timings,
            };
            if (memory is not null) embedding = null!;
            return result;
        }
        finally
        {
            embedding?.Dispose();
            foreach (var b in batches) b.Dispose();
        }
    }

    /// <summary>The dtype pruned weights are stored in: the checkpoint's.</summary>
    public static ScalarType StoredDtype(ModelConfig config) =>
        config.TorchDtype switch { "bfloat16" => ScalarType.BFloat16, "float16" => ScalarType.Float16, _ => ScalarType.Float32 };

    /// <param name="forwardSeconds">Receives each layer's dense calibration forward time (zero when the similarities are cached).</param>
    private double[] Similarities(IModelSource source, string key, HiddenStates hidden, ComputeDevice compute, PhaseTimings timings, double[] forwardSeconds)
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
        _progress.Report("dense pass", 0, config.NumLayers);   // announced before the first layer's work, not after it
        var states = hidden.Embedded();
        for (int l = 0; l < config.NumLayers; l++)
        {
            using var w = LoadLayer(source, l, compute, timings);
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
            _progress.Report("dense pass", l + 1, config.NumLayers);
        }
        foreach (var h in states) h.Dispose();
        using (var t = tensor(similarities, dtype: ScalarType.Float64))
            _cache.Put("similarities", key, new Dictionary<string, Tensor> { ["similarities"] = t });
        return similarities;
    }

    /// <summary>
    /// NaN or infinite weights (or a tensor read under the wrong type) make the dense hidden states, and so the layer
    /// similarities, non-finite: a user error about the model, not a failure of the ratio planner.
    /// </summary>
    private static void RequireFinite(double[] similarities, IModelSource source)
    {
        int layer = Array.FindIndex(similarities, s => !double.IsFinite(s));
        if (layer < 0) return;
        throw new Errors.SlimLLMException(source.Path,
            $"the model's hidden states are not finite (NaN or infinity) at layer {layer} of the calibration pass: its weights hold NaN or infinite values, or a setting such as the RMS norm epsilon or the RoPE base is out of range.",
            "Check the model files (download or convert them again).");
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

    /// <summary>The columns of the per-head outputs (o_proj's inputs) that belong to the kept KV groups, in order.</summary>
    private static Tensor KeptHeadColumns(IReadOnlyList<int> keptGroups, DecoderLayerConfig layer, int headDim)
    {
        int width = layer.QueryHeadsPerKvHead * headDim;
        return tensor(keptGroups.SelectMany(g => Enumerable.Range(g * width, width).Select(c => (long)c)).ToArray(), ScalarType.Int64);
    }

    private static IEnumerable<(string, Tensor)> AttentionTensors(DecoderLayerWeights w) =>
        w.Named().Where(n => n.Suffix.StartsWith("self_attn.", StringComparison.Ordinal) || n.Suffix == "input_layernorm.weight");

    private static DecoderLayerWeights LoadLayer(IModelSource source, int l, ComputeDevice compute, PhaseTimings timings) =>
        timings.Time("load", () => source.LoadLayer(l, compute.Device, compute.DType));

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
