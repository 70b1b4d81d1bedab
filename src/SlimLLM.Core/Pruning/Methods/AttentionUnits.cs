using SlimLLM.Models;
using SlimLLM.Pruning.Baselines;
using SlimLLM.Pruning.Engine;
using SlimLLM.Pruning.Statistics;

namespace SlimLLM.Pruning.Methods;

/// <summary>
/// What an attention criterion may read about one layer: its dense weights, its attention statistics and their KV-group
/// contribution statistics over all samples. Borrowed from the engine: a criterion disposes none of them.
/// </summary>
public sealed record AttentionUnits(DecoderLayerWeights Weights, int KvGroups, AttentionStatistics Statistics, UnitContributionStats Contributions)
{
    public AttentionWeights Projections => new(Weights.Q, Weights.K, Weights.V, Weights.O, KvGroups);
}
