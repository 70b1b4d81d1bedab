using SlimLLM.Models;

namespace SlimLLM.Tuning;

/// <summary>How the learning rate moves from its peak to zero after the warm-up.</summary>
public enum LearningRateSchedule { Cosine, Linear }

/// <summary>
/// The <c>tuning:</c> section (and <c>slimllm tune</c>'s options): LoRA adapters trained on the pruned model with its base
/// weights frozen, then merged into them. Every setting is part of the tuned result's cache key.
/// </summary>
public sealed record TuningSettings
{
    public const string LoraMethod = "lora";
    public const int DefaultSteps = 200, DefaultSeqLen = 128, DefaultBatchSize = 8, DefaultRank = 8, DefaultSeed = 42;
    public const double DefaultAlpha = 16, DefaultLearningRate = 1e-4, DefaultMaxGradNorm = 1.0, DefaultWeightDecay = 0.0;
    /// <summary>The fraction of the training tokens (the last ones) held out to measure the loss on text not trained on.</summary>
    public const double DefaultHeldOutFraction = 0.1;

    /// <summary>The training text files, absolute, sorted ordinally, without duplicates (as calibration's).</summary>
    public required IReadOnlyList<string> Files { get; init; }
    public int Steps { get; init; } = DefaultSteps;
    public int SeqLen { get; init; } = DefaultSeqLen;
    public int BatchSize { get; init; } = DefaultBatchSize;
    public int Rank { get; init; } = DefaultRank;
    public double Alpha { get; init; } = DefaultAlpha;
    public double LearningRate { get; init; } = DefaultLearningRate;
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;
    /// <summary>Steps over which the learning rate rises linearly from 0 to its peak; null: a tenth of <see cref="Steps"/>.</summary>
    public int? WarmupSteps { get; init; }
    public double WeightDecay { get; init; } = DefaultWeightDecay;
    /// <summary>Gradients are scaled down so that their global L2 norm is at most this.</summary>
    public double MaxGradNorm { get; init; } = DefaultMaxGradNorm;
    public double HeldOutFraction { get; init; } = DefaultHeldOutFraction;
    /// <summary>The projections that get adapters (<see cref="LoraTargets.Names"/>).</summary>
    public IReadOnlyList<string> Targets { get; init; } = LoraTargets.Names;
    public int Seed { get; init; } = DefaultSeed;
    /// <summary>Keep only each layer's input during the forward pass and recompute the layer during the backward pass.</summary>
    public bool ActivationCheckpointing { get; init; }

    public int EffectiveWarmupSteps => WarmupSteps ?? Steps / 10;

    /// <summary>
    /// What is out of range, by setting name (as the manifest spells it), with the fix: for settings that come from a command
    /// line (the manifest reader reports the same ranges at their YAML lines).
    /// </summary>
    public IEnumerable<(string Option, string Problem, string Fix)> Problems()
    {
        if (Steps < 1) yield return ("steps", $"is {Steps}; at least 1 training step is needed.", "Give a positive number of steps, e.g. 200.");
        if (SeqLen < 2) yield return ("seq_len", $"is {SeqLen}; a window needs at least 2 tokens.", "Give e.g. 128.");
        if (BatchSize < 1) yield return ("batch_size", $"is {BatchSize}; at least 1 window per step is needed.", "Give e.g. 8.");
        if (Rank < 1) yield return ("rank", $"is {Rank}; the LoRA rank must be at least 1.", "Give e.g. 8.");
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) yield return ("alpha", $"is {Alpha}; it must be positive.", "Give e.g. 16 (twice the rank).");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) yield return ("learning_rate", $"is {LearningRate}; it must be positive.", "Give e.g. 1e-4.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) yield return ("weight_decay", $"is {WeightDecay}; it cannot be negative.", "Give 0 for none.");
        if (!(MaxGradNorm > 0) || !double.IsFinite(MaxGradNorm)) yield return ("max_grad_norm", $"is {MaxGradNorm}; it must be positive.", "Give e.g. 1.");
        if (!(HeldOutFraction > 0 && HeldOutFraction < 0.5)) yield return ("held_out_fraction", $"is {HeldOutFraction}; it must be above 0 and below 0.5.", "Give e.g. 0.1.");
        if (WarmupSteps is < 0 || WarmupSteps > Steps) yield return ("warmup_steps", $"is {WarmupSteps}; it must be between 0 and the {Steps} steps.", "Lower it, or leave it out (a tenth of the steps).");
    }
}

/// <summary>The projections a LoRA adapter can be put on, by their Hugging Face module names.</summary>
public static class LoraTargets
{
    public static IReadOnlyList<string> Names { get; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>The weight role of target <paramref name="name"/> (one of <see cref="Names"/>).</summary>
    public static LayerTensorRole Role(string name) => name switch
    {
        "q_proj" => LayerTensorRole.Q,
        "k_proj" => LayerTensorRole.K,
        "v_proj" => LayerTensorRole.V,
        "o_proj" => LayerTensorRole.O,
        "gate_proj" => LayerTensorRole.Gate,
        "up_proj" => LayerTensorRole.Up,
        "down_proj" => LayerTensorRole.Down,
        _ => throw new ArgumentException($"'{name}' is not a LoRA target ({string.Join(", ", Names)}).", nameof(name)),
    };
}
