using SlimLLM.Caching;
using SlimLLM.Compute;
using SlimLLM.Diagnostics;
using SlimLLM.Errors;
using SlimLLM.IO;
using SlimLLM.Models;
using SlimLLM.Pipeline;
using SlimLLM.Progress;
using SlimLLM.Pruning.Engine;
using static TorchSharp.torch;

namespace SlimLLM.Resources;

/// <summary>
/// What a prune job asks of the model and the machine, checked once the model's config is read and before calibration text is
/// read or anything is computed: sequence lengths within the model's context, the estimated peak memory within what is
/// available (CPU runs), and the output within the free space of its drive. Each refusal is one line naming the setting.
/// </summary>
public static class PruneResourceCheck
{
    /// <param name="availableMemory">Memory available to the run (default: <see cref="ProcessMemory.AvailableBytes"/>).</param>
    /// <param name="freeDisk">Free space on the output folder's drive (default: asked of the file system).</param>
    public static PruneResourceEstimate Run(PruneJob job, IModelSource source, ComputeDevice compute, IProgressReporter? progress = null,
        long? availableMemory = null, long? freeDisk = null)
    {
        var config = source.Config;
        bool manifest = job.SettingsSource is not null;
        string Setting(string key, string flag) => manifest ? $"'{key}'" : flag;
        string samplesSetting = Setting("calibration.samples", "--samples"), seqLenSetting = Setting("calibration.seq_len", "--seq-len");

        int context = config.MaxPositionEmbeddings;
        if (job.SeqLen > context)
            throw new SettingException("calibration.seq_len", job.SettingsSource, $"{seqLenSetting} is {job.SeqLen:N0}, above the model's context of {context:N0} tokens (max_position_embeddings of {source.Path}).",
                $"Set {seqLenSetting} to at most {context:N0} (the paper uses 128).");
        for (int i = 0; i < job.Evaluate.Count; i++)
            if (job.Evaluate[i].SeqLen > context)
                throw new SettingException($"evaluate[{i}].seq_len", job.SettingsSource, $"{Setting($"evaluate[{i}].seq_len", "the evaluation window")} is {job.Evaluate[i].SeqLen:N0}, above the model's context of {context:N0} tokens (max_position_embeddings of {source.Path}).",
                    $"Set it to at most {context:N0}.");

        if (job.Tuning is { } tuning && tuning.SeqLen > context)
            throw new SettingException("tuning.seq_len", job.SettingsSource, $"{Setting("tuning.seq_len", "--seq-len")} is {tuning.SeqLen:N0}, above the model's context of {context:N0} tokens (max_position_embeddings of {source.Path}).",
                $"Set it to at most {context:N0}.");

        var estimate = PruneResourceEstimate.For(config, job.Samples, job.SeqLen, job.Settings.BatchSize, ElementSize(compute.DType),
            ElementSize(PruningEngine.StoredDtype(config)), job.Settings.Ratio.Target is double t ? 1 - t : null,
            job.Evaluate.Count == 0 ? null : job.Evaluate.Max(e => e.SeqLen), job.Evaluate.Count == 0 ? 0 : job.Evaluate.Max(EvaluationTokenBound),
            job.Settings.EffectiveRecovery?.RefitsWeight == true);

        long available = availableMemory ?? ProcessMemory.AvailableBytes();
        // On CUDA the hidden states and the layer being pruned live in device memory, which is not estimated here.
        if (!compute.IsCuda && estimate.PeakBytes > available)
        {
            bool calibrationIsTheCause = estimate.CalibrationBytes >= estimate.EvaluationBytes;
            long fit = estimate.SamplesThatFit(available, job.Samples);
            string need = $"the run needs about {CacheMaintenance.Format(estimate.PeakBytes)} of memory but {CacheMaintenance.Format(available)} is available";
            throw calibrationIsTheCause
                ? new SettingException("calibration.samples", job.SettingsSource,
                    $"{need} (calibration hidden states: {CacheMaintenance.Format(estimate.CalibrationBytes)} for {samplesSetting} {job.Samples:N0} × {seqLenSetting} {job.SeqLen:N0} tokens).",
                    fit > 0 ? $"Lower {samplesSetting} to at most {fit:N0} (or lower {seqLenSetting}), or free memory." : $"Lower {seqLenSetting}, or use a machine with more memory.")
                : new SettingException("evaluate", job.SettingsSource, $"{need} (perplexity evaluation holds the hidden states of every evaluation token: {CacheMaintenance.Format(estimate.EvaluationBytes)}).",
                    "Lower evaluate max_tokens, evaluate on a machine with more memory or on a GPU (device: cuda), or remove the evaluation.");
        }

        if (job.Tuning is { } tuningSettings && !compute.IsCuda)
            TuningMemoryCheck(Shrunk(config, job.Settings.Ratio.Target ?? 0), tuningSettings, compute.DType, available, manifest ? "'tuning'" : "tuning", job.SettingsSource);

        long free = freeDisk ?? DiskSpace.FreeBytes(job.OutputDir) ?? long.MaxValue; // unknown: the writes will tell
        // model.gguf is written beside the safetensors, its matrices in output.gguf_type.
        long outputBytes = estimate.OutputBytes + (job.ExportGguf
            ? (long)(estimate.OutputBytes / ElementSize(PruningEngine.StoredDtype(config)) * Export.GgufTensorEncoding.BytesPerWeight(job.GgufType)) : 0);
        if (outputBytes > free)
            throw new SlimLLMException(job.OutputDir, $"the pruned model{(job.ExportGguf ? " and its model.gguf need" : " needs")} about {CacheMaintenance.Format(outputBytes)} on disk but its drive has {CacheMaintenance.Format(free)} free.",
                "Free space there, or write the output to another drive.");

        progress?.Info($"{job.Name}: estimated peak memory {CacheMaintenance.Format(estimate.PeakBytes)} ({CacheMaintenance.Format(available)} available), " +
                       $"output about {CacheMaintenance.Format(outputBytes)}");
        return estimate;
    }

    /// <summary>
    /// LoRA tuning holds the whole pruned model, which pruning never does: refused up front when its estimate does not fit
    /// (on the CPU; device memory is not estimated), naming what to change.
    /// </summary>
    public static Tuning.TuningMemoryEstimate TuningMemoryCheck(ModelConfig pruned, Tuning.TuningSettings s, ScalarType computeDtype, long available,
        string setting, string? file)
    {
        var e = Tuning.TuningMemoryEstimate.For(pruned, s, ElementSize(computeDtype));
        long peak = e.PeakBytes + PruneResourceEstimate.RuntimeBytes;
        if (peak <= available) return e;
        string need = $"LoRA tuning needs about {CacheMaintenance.Format(peak)} of memory (the pruned model's weights: {CacheMaintenance.Format(e.WeightBytes)}, " +
                      $"activations of a step: {CacheMaintenance.Format(e.ActivationBytes + e.LogitBytes)}) but {CacheMaintenance.Format(available)} is available.";
        string fix = e.WeightBytes >= available
            ? "Tune on a GPU (device: cuda), or on a machine with more memory."
            : s.ActivationCheckpointing ? "Lower batch_size or seq_len, or tune on a GPU (device: cuda)."
            : "Set activation_checkpointing: true, lower batch_size or seq_len, or tune on a GPU (device: cuda).";
        throw new SettingException("tuning", file, $"{setting}: {need}", fix);
    }

    /// <summary>The sizes a prune to <paramref name="target"/> roughly leaves, every layer shrunk alike (before the per-layer ratios are known).</summary>
    private static ModelConfig Shrunk(ModelConfig config, double target) => config with
    {
        Layers = config.Layers.Select(l => l with
        {
            NumHeads = Math.Max(1, (int)Math.Round(l.NumHeads * (1 - target))),
            NumKeyValueHeads = Math.Max(1, (int)Math.Round(l.NumKeyValueHeads * (1 - target))),
            IntermediateSize = Math.Max(1, (int)Math.Round(l.IntermediateSize * (1 - target))),
        }).ToList(),
    };

    /// <summary>
    /// max_tokens, else the text's length in bytes plus 2: a bound, as the tokenizers here make at most one token per byte
    /// (byte fallback) besides BOS and SentencePiece's leading space.
    /// </summary>
    private static long EvaluationTokenBound(EvaluationSpec e) =>
        e.MaxTokens ?? (File.Exists(e.Text) ? new FileInfo(e.Text).Length + 2 : 0);

    private static int ElementSize(ScalarType t) => IO.TensorDTypes.FromScalarType(t).ElementSize();
}
