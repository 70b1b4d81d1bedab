using SlimLLM.Pruning.Selection;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Methods;

/// <summary>
/// SlimLLM: KV groups chosen together by the holistic greedy search over their output contributions, FFN channels by the
/// Pearson-based channel scores computed with the statistics; recovered by linear regression.
/// </summary>
public sealed class SlimLlmMethod : PruningMethod
{
    public override string Name => "slimllm";
    public override PruningRecovery? DefaultRecovery => new RegressionRecovery();
    public override bool ProtectsLowestOnePercent => true;

    public override KvGroupSelection SelectKvGroups(AttentionUnits units, int pruneCount)
    {
        var holistic = HolisticUnitSelector.Select(units.Contributions, pruneCount);
        return new KvGroupSelection(holistic.KeptAscending, holistic);
    }

    public override Tensor ChannelScores(FfnUnits units) => units.Statistics.ChannelScores.alias();
}
