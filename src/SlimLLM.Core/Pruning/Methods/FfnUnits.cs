using SlimLLM.Models;
using SlimLLM.Pruning.Baselines;
using SlimLLM.Pruning.Engine;

namespace SlimLLM.Pruning.Methods;

/// <summary>
/// What an FFN criterion may read about one layer: its weights (attention already pruned in sequential mode) and its FFN
/// statistics. Borrowed from the engine: a criterion disposes none of them.
/// </summary>
public sealed record FfnUnits(DecoderLayerWeights Weights, FfnStatistics Statistics)
{
    public FfnWeights Projections => new(Weights.Gate, Weights.Up, Weights.Down);
}
