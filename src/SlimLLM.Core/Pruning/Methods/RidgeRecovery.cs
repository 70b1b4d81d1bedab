using SlimLLM.Pruning.Recovery;

namespace SlimLLM.Pruning.Methods;

/// <summary>
/// Regression with the scale shrunk toward 1 (<see cref="RecoveryMethod.Ridge"/>), its strength chosen on held-out samples;
/// plain regression where none are held out.
/// </summary>
public sealed class RidgeRecovery : PruningRecovery
{
    public override string Name => "ridge";
    public override RecoveryMethod Formula => RecoveryMethod.Ridge;
    public override bool HoldsOut => true;

    public override (ScaleBias Fit, double? RidgeStrength) Fit(PerDimRegressionStats all, PerDimRegressionStats? fit, PerDimRegressionStats? heldOut)
    {
        if (fit is null || heldOut is not { Count: > 0 }) return (LinearRecovery.Fit(all, RecoveryMethod.Regression), null);
        var choice = LinearRecovery.ChooseRidgeStrength(fit, heldOut);
        return (LinearRecovery.Fit(all, RecoveryMethod.Ridge, choice.Strength), choice.Strength);
    }
}
