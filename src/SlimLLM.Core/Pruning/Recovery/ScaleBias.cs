using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>A per-dimension affine correction y ≈ Scale * x + Bias (both length d, float64). Disposing frees both tensors.</summary>
public sealed record ScaleBias(Tensor Scale, Tensor Bias) : IDisposable
{
    public void Dispose()
    {
        Scale.Dispose();
        Bias.Dispose();
    }
}

/// <summary>The weight and bias of a pruned, recovered linear layer (output x input, and output), in the original weight dtype.</summary>
public sealed record FoldedLinear(Tensor Weight, Tensor Bias) : IDisposable
{
    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}

/// <summary>The ridge strength chosen on held-out statistics, with the held-out squared error of every candidate.</summary>
public sealed record RidgeChoice(double Strength, IReadOnlyList<double> Grid, IReadOnlyList<double> HeldOutErrors);
