using SlimLLM.Calibration;
using SlimLLM.Compute;
using SlimLLM.Models;
using SlimLLM.Progress;
using SlimLLM.Pruning.Ratios;
using SlimLLM.Pruning.Recovery;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Engine;

/// <summary>
/// The SlimLLM pruning run: a dense pass for the per-layer similarities, the per-layer ratios, then layer by layer
/// (in order) statistics → selection → recovery → pruned layer, whose output feeds the next layer (sequential mode).
/// Weights are loaded one layer at a time; only the calibration hidden states stay resident.
/// </summary>
public sealed class PruningEngine(IProgressReporter? progress = null)
{
    private readonly IProgressReporter _progress = progress ?? NullProgress.Instance;

    public PruneResult Run(IModelSource source, CalibrationSet calibration, PruneSettings settings, ComputeDevice compute, string? settingsSource = null)
    {
        var config = source.Config;
        var timings = new PhaseTimings();
        var passes = new Counter();
        var storedDtype = config.TorchDtype switch { "bfloat16" => ScalarType.BFloat16, "float16" => ScalarType.Float16, _ => ScalarType.Float32 };
        using var noGrad = no_grad();
        using var rope = new RotaryEmbedding(config, calibration.SeqLen, compute.Device, compute.DType);

        // Calibration batches; for ridge, the last quarter of the samples is held out to choose the strength.
        int heldOutSamples = settings.EffectiveRecovery == RecoveryMethod.Ridge ? Math.Max(1, calibration.Samples / 4) : 0;
        if (heldOutSamples >= calibration.Samples)
            throw new Errors.SlimLLMException(settingsSource, "ridge recovery needs at least 2 calibration samples (one is held out).", "Raise calibration.samples.");
        var (batches, heldOutBatches) = MakeBatches(calibration, settings.BatchSize, heldOutSamples);

        Tensor embedding = timings.Time("load", () => source.LoadEmbedding());
        List<Tensor> Embedded() => batches.Select(ids => embedding.index_select(0, ids.flatten()).view(ids.shape[0], ids.shape[1], -1).to(compute.DType, compute.Device)).ToList();

        // 1. Dense pass: s_l = mean cosine(hidden_in, hidden_out).
        var similarities = new double[config.NumLayers];
        {
            var hidden = Embedded();
            for (int l = 0; l < config.NumLayers; l++)
            {
                using var w = LoadLayer(source, l, compute, timings);
                var acc = new LayerSimilarityAccumulator();
                var next = timings.Time("calibration forward", () => hidden.Select(h =>
                {
                    var o = DecoderLayer.Forward(h, w, config.Layers[l], config, rope);
                    passes.Add();
                    acc.Accumulate(h.reshape(-1, h.shape[2]), o.reshape(-1, o.shape[2]));
                    return o;
                }).ToList());
                foreach (var h in hidden) h.Dispose();
                hidden = next;
                similarities[l] = acc.Mean;
                _progress.Report("dense pass", l + 1, config.NumLayers);
            }
            foreach (var h in hidden) h.Dispose();
        }

        // 2. Per-layer ratios.
        var rule = settings.FfnRule;
        int prunedLayers = settings.Ratio.ResolvePrunedLayers(config.NumLayers);
        double alpha = settings.Ratio.ResolveAlpha();
        LayerRatioPlan plan;
        double meanRatio;
        if (settings.Ratio.Target is double target)
        {
            var shapes = config.Layers.Select(l => new LayerShape(config.HiddenSize, l.NumHeads, l.NumKeyValueHeads, config.HeadDim, l.IntermediateSize)).ToList();
            var solution = LayerRatioPlanner.SolveForParameterFraction(similarities, shapes, target, prunedLayers, alpha, settings.Ratio.MaxRatio, rule, settingsSource);
            plan = solution.Plan;
            meanRatio = solution.MeanRatio;
        }
        else
        {
            meanRatio = settings.Ratio.MeanRatio!.Value;
            plan = LayerRatioPlanner.Plan(similarities, new LayerRatioSettings(meanRatio, prunedLayers, alpha, settings.Ratio.MaxRatio), settingsSource);
        }
        _progress.Info($"per-layer ratios: {string.Join(" ", plan.Ratios.Select(r => r.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))} (R={meanRatio:0.0000}, P={prunedLayers}, alpha={alpha})");

        // 3. Layer by layer.
        var pruner = new LayerPruner(config, settings, passes);
        var layers = new List<DecoderLayerWeights>(config.NumLayers);
        var layerConfigs = new List<DecoderLayerConfig>(config.NumLayers);
        var decisions = new List<LayerDecision>(config.NumLayers);
        var inputs = Embedded();
        try
        {
            for (int l = 0; l < config.NumLayers; l++)
            {
                using var w = LoadLayer(source, l, compute, timings);
                DecoderLayerWeights pruned;
                DecoderLayerConfig prunedConfig;
                if (plan.Ratios[l] <= 0)
                {
                    pruned = w.To(w.Q.device, w.Q.dtype);
                    prunedConfig = config.Layers[l];
                    long p = prunedConfig.ParameterCount(config.HiddenSize, config.HeadDim);
                    decisions.Add(new LayerDecision(l, similarities[l], 0, Enumerable.Range(0, prunedConfig.NumKeyValueHeads).ToArray(),
                        Enumerable.Range(0, prunedConfig.IntermediateSize).ToArray(), prunedConfig.NumKeyValueHeads, prunedConfig.IntermediateSize, p, p));
                }
                else
                {
                    var outcome = pruner.Prune(l, w, plan.Ratios[l], similarities[l], inputs, heldOutBatches, rope, timings);
                    (pruned, prunedConfig) = (outcome.Weights, outcome.Config);
                    decisions.Add(outcome.Decision);
                }
                var forNext = settings.Mode == CalibrationMode.Sequential ? pruned : w;
                var cfgNext = settings.Mode == CalibrationMode.Sequential ? prunedConfig : config.Layers[l];
                if (l < config.NumLayers - 1)
                {
                    var next = timings.Time("calibration forward", () => inputs.Select(h =>
                    {
                        passes.Add();
                        return DecoderLayer.Forward(h, forNext, cfgNext, config, rope);
                    }).ToList());
                    foreach (var h in inputs) h.Dispose();
                    inputs = next;
                }
                layers.Add(timings.Time("write", () => { using (pruned) return pruned.To(CPU, storedDtype); }));
                layerConfigs.Add(prunedConfig);
                _progress.Report("pruning layers", l + 1, config.NumLayers);
            }
        }
        finally
        {
            foreach (var h in inputs) h.Dispose();
            foreach (var b in batches) b.Dispose();
        }

        var prunedModelConfig = config with { Layers = layerConfigs };
        return new PruneResult
        {
            DenseConfig = config,
            Config = prunedModelConfig,
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
    }

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
