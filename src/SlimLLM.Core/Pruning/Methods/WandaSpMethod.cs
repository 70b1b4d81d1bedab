using SlimLLM.Pruning.Baselines;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Methods;

/// <summary>The Wanda-sp baseline: |W| weighted by the L2 norm of each weight's input (<see cref="WandaSpScores"/>).</summary>
public sealed class WandaSpMethod : PruningMethod
{
    public override string Name => "wanda-sp";

    public override KvGroupSelection SelectKvGroups(AttentionUnits units, int pruneCount)
    {
        using var inputNorms = units.Statistics.Input.Norms();
        using var headOutputNorms = units.Statistics.HeadOutput.Norms();
        return KeepHighest(WandaSpScores.KvGroups(units.Projections, inputNorms, headOutputNorms), pruneCount);
    }

    public override Tensor ChannelScores(FfnUnits units)
    {
        using var inputNorms = units.Statistics.Input.Norms();
        using var activationNorms = units.Statistics.Activation.Norms();
        return WandaSpScores.FfnChannels(units.Projections, inputNorms, activationNorms);
    }
}
