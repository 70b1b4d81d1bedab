using SlimLLM.Pruning.Methods;
using SlimLLM.Pruning.Selection;

namespace SlimLLM.Pruning.Engine;

public sealed record PruneSettings
{
    /// <summary>Which importance criterion picks the pruned KV groups and FFN channels.</summary>
    public PruningMethod Method { get; init; } = MethodRegistry.DefaultMethod;
    /// <summary>A different criterion for attention units than <see cref="Method"/> (null: the same; <c>attention_criterion</c>).</summary>
    public PruningMethod? AttentionMethod { get; init; }
    /// <summary>A different criterion for FFN channels than <see cref="Method"/> (null: the same; <c>ffn_criterion</c>).</summary>
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
    /// <summary>Every layer's kept FFN width is rounded to a multiple of this (1: as the ratio gives it), for quantised GGUF blocks.</summary>
    public int ChannelMultiple { get; init; } = 1;
    /// <summary>Calibration sequences per forward batch.</summary>
    public int BatchSize { get; init; } = 8;

    public PruningRecovery? EffectiveRecovery => NoRecovery ? null : Recovery ?? Method.DefaultRecovery;

    public FfnSelectionRule FfnRule => EffectiveFfnMethod.ProtectsLowestOnePercent && KeepLowestOnePercent
        ? FfnSelectionRule.ProtectLowestOnePercent : FfnSelectionRule.PruneLowest;
}
