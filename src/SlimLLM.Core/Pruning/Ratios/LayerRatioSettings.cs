namespace SlimLLM.Pruning.Ratios;

/// <summary>The settings of the layer-based importance ratio.</summary>
/// <param name="MeanRatio">R: the mean pruning ratio over the pruned layers.</param>
/// <param name="PrunedLayers">P: how many of the most self-similar layers are pruned.</param>
/// <param name="Alpha">Softmax temperature: larger spreads the ratios further apart.</param>
/// <param name="MaxRatio">No layer is pruned beyond this ratio; the excess is redistributed.</param>
public sealed record LayerRatioSettings(double MeanRatio, int PrunedLayers, double Alpha, double MaxRatio = LayerRatioPlanner.DefaultMaxRatio);
