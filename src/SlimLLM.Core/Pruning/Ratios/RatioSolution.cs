namespace SlimLLM.Pruning.Ratios;

/// <summary>The mean ratio R solved for a target fraction of decoder-layer parameters removed, with what it achieves.</summary>
/// <param name="MeanRatio">The solved R.</param>
/// <param name="TargetFraction">The requested fraction of decoder-layer parameters to remove.</param>
/// <param name="AchievedFraction">The fraction actually removed with whole KV groups and channels (recovery biases included).</param>
/// <param name="ParametersRemoved">Parameters removed over all layers.</param>
/// <param name="DenseParameters">Decoder-layer parameters of the dense model (all layers).</param>
/// <param name="Plan">The per-layer ratios at R.</param>
public sealed record RatioSolution(double MeanRatio, double TargetFraction, double AchievedFraction, long ParametersRemoved, long DenseParameters, LayerRatioPlan Plan);
