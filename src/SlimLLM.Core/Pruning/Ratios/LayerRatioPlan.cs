namespace SlimLLM.Pruning.Ratios;

/// <summary>The settings of the layer-based importance ratio.</summary>
/// <param name="MeanRatio">R: the mean pruning ratio over the pruned layers.</param>
/// <param name="PrunedLayers">P: how many of the most self-similar layers are pruned.</param>
/// <param name="Alpha">Softmax temperature: larger spreads the ratios further apart.</param>
/// <param name="MaxRatio">No layer is pruned beyond this ratio; the excess is redistributed.</param>
public sealed record LayerRatioSettings(double MeanRatio, int PrunedLayers, double Alpha, double MaxRatio = LayerRatioPlanner.DefaultMaxRatio);

/// <summary>Per-layer pruning ratios.</summary>
/// <param name="Ratios">One ratio per layer (0 for layers left intact).</param>
/// <param name="PrunedLayers">The pruned layers, most self-similar first.</param>
/// <param name="Clipped">Per layer: whether its ratio was capped at the maximum.</param>
/// <param name="Settings">The settings the plan was made with.</param>
public sealed record LayerRatioPlan(IReadOnlyList<double> Ratios, IReadOnlyList<int> PrunedLayers, IReadOnlyList<bool> Clipped, LayerRatioSettings Settings)
{
    /// <summary>Mean ratio over the pruned layers (equals R whenever R ≤ the maximum).</summary>
    public double MeanPrunedRatio => PrunedLayers.Count == 0 ? 0 : PrunedLayers.Average(l => Ratios[l]);
}

/// <summary>The mean ratio R solved for a target fraction of decoder-layer parameters removed, with what it achieves.</summary>
/// <param name="MeanRatio">The solved R.</param>
/// <param name="TargetFraction">The requested fraction of decoder-layer parameters to remove.</param>
/// <param name="AchievedFraction">The fraction actually removed with whole KV groups and channels (recovery biases included).</param>
/// <param name="ParametersRemoved">Parameters removed over all layers.</param>
/// <param name="DenseParameters">Decoder-layer parameters of the dense model (all layers).</param>
/// <param name="Plan">The per-layer ratios at R.</param>
public sealed record RatioSolution(double MeanRatio, double TargetFraction, double AchievedFraction, long ParametersRemoved, long DenseParameters, LayerRatioPlan Plan);
