using SlimLLM.Caching;
using SlimLLM.Compute;
using SlimLLM.Models;
using SlimLLM.Progress;
using static TorchSharp.torch;

namespace SlimLLM.Tuning;

/// <summary>
/// Tuned adapters for a model (on the CPU, ready to merge), the losses, and what the run cost: no pass at all when the
/// adapters came from the cache.
/// </summary>
public sealed class TuningResult(LoraAdapterSet adapters, TuningLosses losses, long forwardPasses, long backwardPasses, bool cached, string? key,
    TrainingText text) : IDisposable
{
    public LoraAdapterSet Adapters { get; } = adapters;
    public TuningLosses Losses { get; } = losses;
    public long ForwardPasses { get; } = forwardPasses;
    public long BackwardPasses { get; } = backwardPasses;
    public bool Cached { get; } = cached;
    /// <summary>The cache key of the adapters (null without a cache): identifies the tuned model together with the pruned one.</summary>
    public string? Key { get; } = key;
    public TrainingText Text { get; } = text;

    public void Dispose() => Adapters.Dispose();
}

/// <summary>
/// LoRA tuning of a model with its result cached: keyed by the model's identity, the training token ids and every tuning
/// setting (and the device and dtype it runs in), so an unchanged rebuild rebuilds the adapters from the cache without a
/// forward or backward pass. Only the adapters and losses are stored; merging them is cheap and exact to repeat.
/// </summary>
public static class LoraTuning
{
    /// <summary>Bumped whenever a change to the trainer changes what it computes for the same inputs.</summary>
    public const int Version = 1;
    private const string Kind = "lora";

    public static TuningResult Run(IModelSource model, string? modelIdentity, TuningSettings s, ComputeDevice compute, IStatisticsCache cache,
        IProgressReporter progress, string name, string? settingsSource = null)
    {
        var text = TrainingText.FromFiles(model.Tokenizer, s.Files, s, settingsSource);
        string? key = modelIdentity is null ? null : Key(modelIdentity, text, s, compute);
        if (key is not null && cache.TryGet(Kind, key) is { } hit)
        {
            try
            {
                var adapters = LoraAdapterSet.FromTensors(hit, model.Config, s, CPU);
                if (adapters is not null && hit.TryGetValue("losses", out var l) && l.numel() == 4)
                {
                    var v = l.to(ScalarType.Float64).data<double>().ToArray();
                    var losses = new TuningLosses(v[0], v[1], v[2], v[3]);
                    progress.Info($"{name}: LoRA adapters from the cache: training loss {losses.TrainStart:F4} -> {losses.TrainEnd:F4}, held out {losses.HeldOutStart:F4} -> {losses.HeldOutEnd:F4}");
                    return new TuningResult(adapters, losses, 0, 0, cached: true, key, text);
                }
                adapters?.Dispose();
            }
            finally
            {
                foreach (var t in hit.Values) t.Dispose();
            }
        }

        if (!compute.IsCuda)
            Resources.PruneResourceCheck.TuningMemoryCheck(model.Config, s, compute.DType,
                Diagnostics.ProcessMemory.AvailableBytes(), settingsSource is null ? "tuning" : "'tuning'", settingsSource);
        using var loaded = LlamaModel.Load(model, compute.Device, compute.DType, Math.Max(s.SeqLen, 2), asStored: true);
        using var trained = new LoraTrainer(progress, name).Train(loaded, text, s, compute.Device);
        var tensors = trained.Adapters.ToTensors();
        var x = trained.Losses;
        tensors["losses"] = tensor(new[] { x.TrainStart, x.TrainEnd, x.HeldOutStart, x.HeldOutEnd }, ScalarType.Float64);
        try
        {
            if (key is not null) cache.Put(Kind, key, tensors);
            var onCpu = LoraAdapterSet.FromTensors(tensors, model.Config, s, CPU)!;
            return new TuningResult(onCpu, x, trained.ForwardPasses, trained.BackwardPasses, cached: false, key, text);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public static string Key(string modelIdentity, TrainingText text, TuningSettings s, ComputeDevice compute) => new CacheKey()
        .Add("what", "lora").Add("version", Version).Add("model", modelIdentity).Add("tokens", text.Fingerprint)
        .Add("steps", s.Steps).Add("seq_len", s.SeqLen).Add("batch_size", s.BatchSize).Add("rank", s.Rank).Add("alpha", s.Alpha)
        .Add("learning_rate", s.LearningRate).Add("schedule", s.Schedule.ToString()).Add("warmup_steps", s.EffectiveWarmupSteps)
        .Add("weight_decay", s.WeightDecay).Add("max_grad_norm", s.MaxGradNorm).Add("held_out_fraction", s.HeldOutFraction)
        .Add("targets", string.Join(",", LoraTargets.Names.Where(s.Targets.Contains))).Add("seed", s.Seed)
        .Add("activation_checkpointing", s.ActivationCheckpointing ? 1 : 0)
        .Add("dtype", compute.DType.ToString()).Add("device", compute.Device.type.ToString()).Hash();
}
