using SlimLLM.Caching;
using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Models;
using SlimLLM.Progress;
using SlimLLM.Pruning.Ratios;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The SlimLLM pruning run: dense layer similarities, per-layer ratios, then layer by layer (in order) statistics →
/// selection → recovery → pruned layer, whose output feeds the next layer (sequential mode).
/// Statistics are ratio-independent and cached under content-addressed keys; calibration hidden states are computed only
/// when a layer's statistics are missing, so a rebuild with unchanged inputs runs no forward pass at all.
/// </summary>
/// <param name="placement">Checks that each layer's statistics, fits and pruned weights are on the compute device (default:
/// the device <c>Run</c> is given).</param>
/// <param name="deviceMemory">Measures each layer's peak GPU memory (default: NVML on CUDA, nothing on the CPU).</param>
public sealed class PruningEngine(IProgressReporter? progress = null, IStatisticsCache? cache = null, string? modelFingerprint = null,
    DevicePlacement? placement = null, Diagnostics.IDeviceMemory? deviceMemory = null)
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
        var gpuMemory = deviceMemory ?? (compute.IsCuda ? Diagnostics.NvmlDeviceMemory.For(compute.Device.index) : Diagnostics.NoDeviceMemory.Instance);
        timings.OnBoundary = gpuMemory.Sample;
        var passes = new ForwardPassCounter();
        using var noGrad = no_grad();
        using var rope = new RotaryEmbedding(config, calibration.SeqLen, compute.Device, compute.DType);
        using var batches = new CalibrationBatches(calibration, settings.BatchSize, HeldOutSamples(calibration, settings, settingsSource));
        var fingerprint = modelFingerprint ?? (_cache is NoStatisticsCache ? "uncached" : ModelFingerprint.Compute(source));
        var keys = new StatisticsKeys(fingerprint, calibration, batches, compute);

        // Streaming: the embedding table is read when the output is laid out and when states restart from the embeddings, and
        // not held in between (262 MB at LLaMA-7B in bf16).
        Tensor? embedding = memory is null ? null : timings.Time("load", () => source.LoadEmbedding());
        try
        {
            using var hidden = new HiddenStates(batches.All, embedding is null ? source.LoadEmbedding : () => embedding!.alias(), compute, rope, config, passes, timings);
            var forwardSeconds = new double[config.NumLayers];
            var similarities = new SimilarityPass(source, compute, _cache, _progress, timings).Run(keys.Similarities(), hidden, forwardSeconds);
            RequireFinite(similarities, source);
            var (plan, meanRatio, prunedLayers, alpha) = PlanRatios(config, settings, similarities, settingsSource);

            var pruner = new LayerPruner(config, settings);
            var planned = config with { Layers = config.Layers.Select((c, l) => pruner.Planned(c, plan.Ratios[l])).ToList() };
            timings.Time("write", () =>
            {
                using var table = embedding?.alias() ?? timings.Time("load", source.LoadEmbedding);
                store.Begin(planned, table);
            });
            var layers = new LayerPipeline(source, compute, settings, pruner, planned, hidden, store, keys, new CachedStatistics(_cache, _progress, timings, compute.Device),
                _cache, batches.Fit, timings, placement ?? new DevicePlacement(compute.Device));
            var layerConfigs = new List<DecoderLayerConfig>(config.NumLayers);
            var decisions = new List<LayerDecision>(config.NumLayers);
            var layerTimings = new List<LayerTiming>(config.NumLayers);
            _progress.Report("pruning layers", 0, config.NumLayers);
            for (int l = 0; l < config.NumLayers; l++)
            {
                var before = timings.Snapshot();
                bool peakReset = Diagnostics.ProcessMemory.ResetPeak();
                gpuMemory.ResetPeak();
                gpuMemory.Sample();
                var (prunedConfig, decision) = layers.Run(l, plan.Ratios[l], similarities[l]);
                gpuMemory.Sample();
                layerConfigs.Add(prunedConfig);
                decisions.Add(decision);
                layerTimings.Add(LayerTiming.Between(l, forwardSeconds[l], before, timings.Snapshot()) with
                {
                    PeakRssBytes = peakReset ? Diagnostics.ProcessMemory.PeakResidentBytesSinceReset() : null,
                    PeakDeviceBytes = gpuMemory.PeakBytes,
                });
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
                StoredLayersKey = layers.StoredChain,
            };
            if (memory is not null) embedding = null!;
            return result;
        }
        finally
        {
            embedding?.Dispose();
        }
    }

    /// <summary>How many of the last calibration samples a recovery holds out (ridge, to choose its strength on): a quarter.</summary>
    private static int HeldOutSamples(CalibrationSet calibration, PruneSettings settings, string? settingsSource)
    {
        if (settings.EffectiveRecovery is not { HoldsOut: true } recovery) return 0;
        int heldOut = Math.Max(1, calibration.Samples / 4);
        if (heldOut >= calibration.Samples)
            throw new Errors.SlimLLMException(settingsSource, $"{recovery.Name} recovery needs at least 2 calibration samples (one is held out).", "Raise calibration samples.");
        return heldOut;
    }

    /// <summary>The dtype pruned weights are stored in: the checkpoint's.</summary>
    public static ScalarType StoredDtype(ModelConfig config) =>
        config.TorchDtype switch { "bfloat16" => ScalarType.BFloat16, "float16" => ScalarType.Float16, _ => ScalarType.Float32 };

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
            var solution = LayerRatioPlanner.SolveForParameterFraction(similarities, shapes, target, prunedLayers, alpha, settings.Ratio.MaxRatio, settings.FfnRule, settingsSource,
                settings.ChannelMultiple);
            return (solution.Plan, solution.MeanRatio, prunedLayers, alpha);
        }
        double r = settings.Ratio.MeanRatio!.Value;
        return (LayerRatioPlanner.Plan(similarities, new LayerRatioSettings(r, prunedLayers, alpha, settings.Ratio.MaxRatio), settingsSource), r, prunedLayers, alpha);
    }
}
