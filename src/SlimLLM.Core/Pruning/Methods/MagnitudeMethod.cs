using SlimLLM.Pruning.Baselines;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Methods;

/// <summary>The magnitude baseline: the units with the smallest weight norms go (<see cref="MagnitudeScores"/>).</summary>
public sealed class MagnitudeMethod : PruningMethod
{
    public override string Name => "magnitude";
    public override KvGroupSelection SelectKvGroups(AttentionUnits units, int pruneCount) => KeepHighest(MagnitudeScores.KvGroups(units.Projections), pruneCount);
    public override Tensor ChannelScores(FfnUnits units) => MagnitudeScores.FfnChannels(units.Projections);
}
