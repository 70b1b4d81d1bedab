namespace SlimLLM.Pruning.Engine;

/// <summary>What was decided for one decoder layer.</summary>
public sealed record LayerDecision(
    int Layer,
    double Similarity,
    double Ratio,
    IReadOnlyList<int> KeptKvGroups,
    IReadOnlyList<int> KeptChannels,
    int DenseKvGroups,
    int DenseChannels,
    long ParametersBefore,
    long ParametersAfter,
    double? AttentionObjective = null,
    int GreedySwaps = 0,
    double? RidgeStrengthAttention = null,
    double? RidgeStrengthFfn = null);
