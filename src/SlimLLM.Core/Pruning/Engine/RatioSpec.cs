namespace SlimLLM.Pruning.Engine;

/// <summary>
/// How much to prune. Either <see cref="Target"/> (fraction of decoder-layer parameters to remove, solved for R), or the
/// paper's explicit mean ratio <see cref="MeanRatio"/> (R). <see cref="PrunedLayers"/> (P) and <see cref="Alpha"/> default
/// to the paper's LLaMA-7B settings scaled to the model's depth (P = 26/32 of the layers and alpha = 10 below 35%
/// reduction, 30/32 and 7 above).
/// </summary>
public sealed record RatioSpec(double? Target = null, double? MeanRatio = null, int? PrunedLayers = null, double? Alpha = null, double MaxRatio = 0.9)
{
    public double Level => Target ?? MeanRatio ?? throw new InvalidOperationException("RatioSpec needs Target or MeanRatio");

    public int ResolvePrunedLayers(int layers) =>
        Math.Clamp(PrunedLayers ?? (int)Math.Round(layers * (Level < 0.35 ? 26.0 : 30.0) / 32.0, MidpointRounding.AwayFromZero), 1, layers);

    public double ResolveAlpha() => Alpha ?? (Level < 0.35 ? 10.0 : 7.0);
}
