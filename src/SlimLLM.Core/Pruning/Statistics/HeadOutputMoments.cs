using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Statistics;

/// <summary>
/// Streaming second moments of the per-head attention outputs X (n x H*h, before o_proj): token count, column sums s and the
/// Gram matrix M = X^T X, float64. The KV-group contribution statistics follow from them and o_proj's weight alone
/// (<see cref="UnitContributionStats.FromHeadOutputMoments"/>), so the N x G x d contributions themselves are never formed:
/// accumulating costs one (H*h)^2 GEMM per token, the same order as o_proj's forward.
/// </summary>
public sealed class HeadOutputMoments : IDisposable
{
    public HeadOutputMoments(int width, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        Width = width;
        Sum = StatsTensors.NewState([width], device);
        Gram = StatsTensors.NewState([width, width], device);
    }

    /// <summary>H*h, the width of the concatenated head outputs.</summary>
    public int Width { get; }
    public long Count { get; private set; }
    /// <summary>sum_n X[n, :], float64. Owned by this object.</summary>
    public Tensor Sum { get; }
    /// <summary>X^T X, float64. Owned by this object.</summary>
    public Tensor Gram { get; }

    /// <summary>Adds head outputs n x H x h (or b x s x H x h, or n x H*h); upcast to float64 before the product.</summary>
    public void Accumulate(Tensor headOutputs)
    {
        using var scope = NewDisposeScope();
        var x = StatsTensors.AsDouble(headOutputs, Sum.device).reshape(-1, Width);
        Sum.add_(x.sum(dim: 0));
        Gram.addmm_(x.t(), x);
        Count += x.shape[0];
    }

    public void Dispose()
    {
        Sum.Dispose();
        Gram.Dispose();
    }
}
