using System.Globalization;
using SlimLLM.Compute;
using SlimLLM.Errors;
using SlimLLM.Models;
using SlimLLM.Progress;
using SlimLLM.Pruning.Engine;
using SlimLLM.Tuning;
using static TorchSharp.torch;

namespace SlimLLM.DevTools.Commands;

/// <summary>
/// compare's tuned rows: LoRA adapters trained on a pruned model (float32, the FFN at its stored width, as the trainer
/// wants), merged into the weights, and the merged model returned for evaluation, as a tuned build would write it.
/// </summary>
public static class CompareTuning
{
    /// <summary>The row's <c>tuning</c> label: "lora lr 1e-4".</summary>
    public static string Label(TuningSettings s) => "lora lr " + s.LearningRate.ToString("0.##e+0", CultureInfo.InvariantCulture);

    /// <summary>Comma-separated learning rates, each positive.</summary>
    public static double[] LearningRates(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v
            : throw new SlimLLMException(null, $"'{s}' is not a learning rate (a positive number).", "Write learning rates like 1e-4,3e-4.")).ToArray();

    /// <summary>Trains adapters on <paramref name="result"/> with <paramref name="text"/> and returns the merged model on the compute device.</summary>
    public static (LlamaModel Model, TuningLosses Losses) TuneAndMerge(PruneResult result, TrainingText text, TuningSettings settings, ComputeDevice compute,
        int maxPositions, IProgressReporter progress, string name)
    {
        var device = compute.Device;
        var embedding = result.Embedding!.to(ScalarType.Float32, device);
        var head = result.LmHead is null ? embedding.alias() : result.LmHead.to(ScalarType.Float32, device);
        var stored = result.Layers.Select(l => l.To(device, ScalarType.Float32)).ToList();
        using var training = new LlamaModel(result.Config, embedding, stored, result.FinalNorm!.to(ScalarType.Float32, device), head,
            device, ScalarType.Float32, maxPositions);
        using var trained = new LoraTrainer(progress, name).Train(training, text, settings, device);
        var merged = stored.Select((layer, i) =>
        {
            using var m = trained.Adapters.Layers[i].MergeInto(layer);
            return m.ToCompute(device, compute.DType);
        }).ToList();
        var computeEmbedding = result.Embedding.to(compute.DType, device);
        var lmHead = result.LmHead is null ? computeEmbedding.alias() : result.LmHead.to(compute.DType, device);
        var model = new LlamaModel(result.Config, computeEmbedding, merged, result.FinalNorm.to(compute.DType, device), lmHead, device, compute.DType, maxPositions);
        return (model, trained.Losses);
    }
}
