using SlimLLM.Pruning.Recovery;

namespace SlimLLM.Pruning.Methods;

/// <summary>SlimLLM's recovery: per-dimension least squares (<see cref="RecoveryMethod.Regression"/>).</summary>
public sealed class RegressionRecovery : PruningRecovery
{
    public override string Name => "regression";
    public override RecoveryMethod Formula => RecoveryMethod.Regression;
}
