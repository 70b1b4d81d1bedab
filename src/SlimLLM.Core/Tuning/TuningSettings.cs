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
