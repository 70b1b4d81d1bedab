using SlimLLM.Pruning.Methods;

namespace SlimLLM.Manifest;

/// <summary>The <c>pruning:</c> section. Exactly one of <see cref="Target"/> and <see cref="Ratio"/> is set.</summary>
/// <param name="Recovery">The <c>recovery:</c> name (see <see cref="MethodRegistry.RecoveryNames"/>); null when absent: the method's default.</param>
public sealed record PruningSpec(
    PruningMethod Method,
    double? Target,
    double? Ratio,
    int? PrunedLayers,
    double? Alpha,
    double MaxRatio,
    string? Recovery,
    bool KeepLowestOnePercent,
    int ChannelMultiple = 1)
{
    public const double DefaultMaxRatio = 0.9;
    /// <summary>The largest <c>channel_multiple</c> accepted (llama.cpp's largest block is 256).</summary>
    public const int MaxChannelMultiple = 4096;

    /// <summary>The <c>attention_criterion:</c>: picks the KV groups instead of <see cref="Method"/> (null: the method's).</summary>
    public PruningMethod? AttentionCriterion { get; init; }

    /// <summary>The <c>ffn_criterion:</c>: picks the FFN channels instead of <see cref="Method"/> (null: the method's).</summary>
    public PruningMethod? FfnCriterion { get; init; }

    /// <summary>True for <c>recovery: none</c>.</summary>
    public bool NoRecovery => Recovery == MethodRegistry.NoRecovery;

    /// <summary>The recovery named by <see cref="Recovery"/>; null when absent (the method's default) and for <c>none</c>.</summary>
    public PruningRecovery? ExplicitRecovery => Recovery is null ? null : MethodRegistry.Recovery(Recovery);
}
