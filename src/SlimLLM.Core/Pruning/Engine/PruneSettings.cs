using SlimLLM.Pruning.Methods;
using SlimLLM.Pruning.Selection;

namespace SlimLLM.Pruning.Engine;

/// <summary>Where the statistics of layer l come from.</summary>
public enum CalibrationMode
{
    /// <summary>The paper: layer l sees the outputs of the already-pruned layers 0..l-1; FFN statistics follow the pruned attention.</summary>
    Sequential,
    /// <summary>All statistics from the dense model only (layers independent of each other's pruning).</summary>
    Dense,
}

/// <summary>
/// How much to prune. Either <see cref="Target"/> (fraction of decoder-layer parameters to remove, solved for R), or the
/// paper's explicit mean ratio <see cref="MeanRatio"/> (R). <see cref="PrunedLayers"/> (P) and <see cref="Alpha"/> default
/// to the paper's LLaMA-7B settings scaled to the model's depth (P = 26/32 of the layers and alpha = 10 below 35%
/// reduction, 30/32 and 7 above).
/// </summary>
public sealed record RatioSpec(double? Target = null, double? MeanRatio = null, int? PrunedLayers = null, double? Alpha = null, double MaxRatio = 0.9)
{
    public double Level => Target ?? MeanRatio ?? throw new InvalidOperationException("RatioSpec needs Target or MeanRatio");

    public int ResolvePrunedLayers(int layers) =>
        Math.Clamp(PrunedLayers ?? (int)Math.Round(layers * (Level < 0.35 ? 26.0 : 30.0) / 32.0, MidpointRounding.AwayFromZero), 1, layers);

    public double ResolveAlpha() => Alpha ?? (Level < 0.35 ? 10.0 : 7.0);
}

public sealed record PruneSettings
{
    /// <summary>Which importance criterion picks the pruned KV groups and FFN channels.</summary>
    public PruningMethod Method { get; init; } = MethodRegistry.DefaultMethod;
    /// <summary>Ablation: a different criterion for attention units than <see cref="Method"/> (null: the same).</summary>
    public PruningMethod? AttentionMethod { get; init; }
    /// <summary>Ablation: a different criterion for FFN channels than <see cref="Method"/> (null: the same).</summary>
    public PruningMethod? FfnMethod { get; init; }

    public PruningMethod EffectiveAttentionMethod => AttentionMethod ?? Method;
    public PruningMethod EffectiveFfnMethod => FfnMethod ?? Method;
    public required RatioSpec Ratio { get; init; }
    public CalibrationMode Mode { get; init; } = CalibrationMode.Sequential;
    /// <summary>Null: the method's own (<see cref="PruningMethod.DefaultRecovery"/>).</summary>
    public PruningRecovery? Recovery { get; init; }
    /// <summary>Explicitly no recovery (overrides the method's default).</summary>
    public bool NoRecovery { get; init; }
    /// <summary>The authors' rule of protecting the lowest-scoring 1% of FFN channels (SlimLLM only; on by default).</summary>
    public bool KeepLowestOnePercent { get; init; } = true;
    /// <summary>Calibration sequences per forward batch.</summary>
    public int BatchSize { get; init; } = 8;

    public PruningRecovery? EffectiveRecovery => NoRecovery ? null : Recovery ?? Method.DefaultRecovery;

    public FfnSelectionRule FfnRule => EffectiveFfnMethod.ProtectsLowestOnePercent && KeepLowestOnePercent
        ? FfnSelectionRule.ProtectLowestOnePercent : FfnSelectionRule.PruneLowest;
}
