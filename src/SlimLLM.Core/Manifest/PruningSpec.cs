using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Recovery;

namespace SlimLLM.Manifest;

/// <summary>The manifest's <c>recovery:</c>; <see cref="MethodDefault"/> when absent.</summary>
public enum RecoveryChoice { MethodDefault, Regression, MeanBias, Ridge, None }

/// <summary>The <c>pruning:</c> section. Exactly one of <see cref="Target"/> and <see cref="Ratio"/> is set.</summary>
public sealed record PruningSpec(
    PruningMethod Method,
    double? Target,
    double? Ratio,
    int? PrunedLayers,
    double? Alpha,
    double MaxRatio,
    RecoveryChoice Recovery,
    bool KeepLowestOnePercent)
{
    public const double DefaultMaxRatio = 0.9;

    /// <summary>True for <c>recovery: none</c>.</summary>
    public bool NoRecovery => Recovery == RecoveryChoice.None;

    /// <summary>
    /// The explicit recovery for <see cref="PruneSettings.Recovery"/>; null for the method's default and for
    /// <c>none</c> (accepted only where the method's default is no recovery: magnitude and wanda-sp).
    /// </summary>
    public RecoveryMethod? RecoveryMethod => Recovery switch
    {
        RecoveryChoice.Regression => Pruning.Recovery.RecoveryMethod.Regression,
        RecoveryChoice.MeanBias => Pruning.Recovery.RecoveryMethod.MeanBias,
        RecoveryChoice.Ridge => Pruning.Recovery.RecoveryMethod.Ridge,
        _ => null,
    };
}
