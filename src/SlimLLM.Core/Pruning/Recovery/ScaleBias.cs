using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>A per-dimension affine correction y ≈ Scale * x + Bias (both length d, float64). Disposing frees both tensors.</summary>
public sealed record ScaleBias(Tensor Scale, Tensor Bias) : IProjectionFit
{
    public IReadOnlyList<(string Name, Tensor Tensor)> Tensors => [("scale", Scale), ("bias", Bias)];

    public FoldedLinear Fold(Tensor weight, Tensor keptColumns, Tensor? existingBias) => LinearRecovery.Fold(weight, keptColumns, this, existingBias);

    public void Dispose()
    {
        Scale.Dispose();
        Bias.Dispose();
    }
}
