namespace SlimLLM.Pruning.Ratios;

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
