using SlimLLM.Pruning.Baselines;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Methods;

/// <summary>The FLAP baseline: input variance times squared output-column norm (<see cref="FlapScores"/>); recovered by a mean bias.</summary>
public sealed class FlapMethod : PruningMethod
{
    public override string Name => "flap";
    public override PruningRecovery? DefaultRecovery => new MeanBiasRecovery();

    public override KvGroupSelection SelectKvGroups(AttentionUnits units, int pruneCount)
    {
        using var variances = units.Statistics.HeadOutput.Variances();
        return KeepHighest(FlapScores.KvGroups(units.Projections, variances), pruneCount);
    }

    public override Tensor ChannelScores(FfnUnits units)
    {
        using var variances = units.Statistics.Activation.Variances();
        return FlapScores.FfnChannels(units.Projections, variances);
    }
}
