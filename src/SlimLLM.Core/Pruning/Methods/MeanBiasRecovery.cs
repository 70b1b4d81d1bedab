using SlimLLM.Pruning.Recovery;

namespace SlimLLM.Pruning.Methods;

/// <summary>FLAP's recovery: the mean of the removed contributions becomes a bias (<see cref="RecoveryMethod.MeanBias"/>).</summary>
public sealed class MeanBiasRecovery : PruningRecovery
{
    public override string Name => "mean-bias";
    public override RecoveryMethod Formula => RecoveryMethod.MeanBias;
}
