using SlimLLM.Errors;
using SlimLLM.Models;
using SlimLLM.Progress;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Tuning;

/// <summary>The mean next-token loss on the fixed training and held-out windows, before the first step and after the last.</summary>
public sealed record TuningLosses(double TrainStart, double TrainEnd, double HeldOutStart, double HeldOutEnd);

/// <summary>Trained adapters, the losses, and how many passes the training ran (none when the result came from the cache).</summary>
public sealed class TrainedAdapters(LoraAdapterSet adapters, TuningLosses losses, long forwardPasses, long backwardPasses) : IDisposable
{
    public LoraAdapterSet Adapters { get; } = adapters;
    public TuningLosses Losses { get; } = losses;
    /// <summary>Forward passes of the whole model (training steps, loss measurements; recomputation under checkpointing not counted).</summary>
    public long ForwardPasses { get; } = forwardPasses;
    /// <summary>Backward passes: one per training step.</summary>
    public long BackwardPasses { get; } = backwardPasses;

    public void Dispose() => Adapters.Dispose();
}

/// <summary>
/// Trains LoRA adapters on a frozen model: AdamW over every A and B, the learning rate of <see cref="LearningRates"/>, the
/// gradients clipped to a global norm, the loss reported as it goes.
/// </summary>
public sealed class LoraTrainer(IProgressReporter? progress = null, string name = "tuning")
{
    private readonly IProgressReporter _progress = progress ?? NullProgress.Instance;
    private long _forward, _backward;

    public TrainedAdapters Train(LlamaModel model, TrainingText text, TuningSettings s, Device device)
    {
        var adapters = LoraAdapterSet.Create(model.Config, s, device);
        try
        {
            var parameters = adapters.Parameters().ToList();
            using var optimizer = new AdamW(parameters, weightDecay: s.WeightDecay);
            var trainWindows = text.TrainingLossWindows();
            var heldOutWindows = text.HeldOutWindows();
            double trainStart = MeanLoss(model, trainWindows, adapters, s, device), heldOutStart = MeanLoss(model, heldOutWindows, adapters, s, device);
            _progress.Info($"{name}: LoRA rank {s.Rank} on {string.Join(", ", s.Targets)}: {adapters.ParameterCount:N0} trainable parameters; " +
                           $"{text.TrainingTokens:N0} training tokens, {text.HeldOutTokens:N0} held out; loss {trainStart:F4} (held out {heldOutStart:F4})");
            int logEvery = Math.Max(1, s.Steps / 10);
            double recent = 0;
            int step = 0, inRecent = 0;
            foreach (var batch in text.TrainingBatches(s.BatchSize, s.Seed).Take(s.Steps))
            {
                using var scope = NewDisposeScope();
                foreach (var p in parameters) p.grad?.zero_();
                using var ids = tensor(batch, [s.BatchSize, s.SeqLen], ScalarType.Int64).to(device);
                double loss = NextTokenObjective.LossAndGradients(model, ids, adapters, s.ActivationCheckpointing);
                _forward++;
                _backward++;
                if (!double.IsFinite(loss))
                    throw new SlimLLMException(null, $"tuning diverged at step {step + 1}: the training loss is {loss}.",
                        "Lower tuning.learning_rate (or max_grad_norm), or tune in float32.");
                double norm = ClipGradients(parameters, s.MaxGradNorm);
                double lr = LearningRates.At(step, s);
                optimizer.Step(lr);
                step++;
                recent += loss;
                inRecent++;
                _progress.Report("tuning", step, s.Steps);
                if (step % logEvery == 0 || step == s.Steps)
                {
                    _progress.Info($"{name}: step {step}/{s.Steps}: loss {recent / inRecent:F4}, learning rate {lr:G3}, gradient norm {norm:F3}");
                    recent = 0;
                    inRecent = 0;
                }
            }
            double trainEnd = MeanLoss(model, trainWindows, adapters, s, device), heldOutEnd = MeanLoss(model, heldOutWindows, adapters, s, device);
            _progress.Info($"{name}: tuned: training loss {trainStart:F4} -> {trainEnd:F4}, held out {heldOutStart:F4} -> {heldOutEnd:F4}");
            foreach (var p in parameters) p.requires_grad_(false);
            return new TrainedAdapters(adapters, new TuningLosses(trainStart, trainEnd, heldOutStart, heldOutEnd), _forward, _backward);
        }
        catch
        {
            adapters.Dispose();
            throw;
        }
    }

    /// <summary>The mean loss over windows (flat, seq_len each), in batches of batch_size, without gradients.</summary>
    private double MeanLoss(LlamaModel model, long[] windows, LoraAdapterSet adapters, TuningSettings s, Device device)
    {
        using var noGrad = no_grad();
        int count = windows.Length / s.SeqLen;
        double sum = 0;
        for (int start = 0; start < count; start += s.BatchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(s.BatchSize, count - start);
            var ids = tensor(windows.AsSpan(start * s.SeqLen, n * s.SeqLen).ToArray(), [n, s.SeqLen], ScalarType.Int64).to(device);
            sum += NextTokenObjective.Loss(model, ids, adapters).item<float>() * n;
            _forward++;
        }
        return sum / count;
    }

    /// <summary>Scales every gradient by max/norm when their global L2 norm exceeds <paramref name="maxNorm"/>; returns the norm before.</summary>
    public static double ClipGradients(IReadOnlyList<Tensor> parameters, double maxNorm)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        double norm = Math.Sqrt(grads.Sum(g => g.square().sum().to(ScalarType.Float64).item<double>()));
        if (norm > maxNorm)
        {
            using var factor = (maxNorm / (norm + 1e-6)).ToScalar();
            foreach (var g in grads) g.mul_(factor);
        }
        return norm;
    }
}
