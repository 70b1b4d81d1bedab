using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Statistics;

/// <summary>
/// Streaming second-moment statistics of a layer output Y (the FFN's down_proj output): token count N, column sums (d) and the
/// Gram matrix Y^T Y (d x d), float64. Gives the centred scatter matrix C = (Y - mean)^T (Y - mean) of the SlimLLM PCA.
/// </summary>
public sealed class OutputCovarianceStats : IDisposable
{
    private const string Kind = "FFN output covariance";

    private OutputCovarianceStats(int hidden, long count, Tensor sum, Tensor gram)
    {
        Hidden = hidden;
        Count = count;
        Sum = sum;
        Gram = gram;
    }

    public OutputCovarianceStats(int hidden, Device? device = null)
        : this(hidden, 0, StatsTensors.NewState(new long[] { hidden }, device), StatsTensors.NewState(new long[] { hidden, hidden }, device))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
    }

    public int Hidden { get; }
    public long Count { get; private set; }
    /// <summary>Column sums of Y, length d, float64. Owned by this object.</summary>
    public Tensor Sum { get; }
    /// <summary>Y^T Y, d x d, float64. Owned by this object.</summary>
    public Tensor Gram { get; }

    /// <summary>Adds a batch of outputs, n x d or b x s x d (any floating dtype; upcast to float64).</summary>
    public void Accumulate(Tensor y)
    {
        if (y.dim() < 2 || y.shape[^1] != Hidden)
            throw new ArgumentException($"Outputs must be n x {Hidden}, got [{string.Join(", ", y.shape)}].", nameof(y));
        using var scope = NewDisposeScope();
        var t = StatsTensors.AsDouble(y, Sum.device).reshape(-1, Hidden);
        Sum.add_(t.sum(dim: 0));
        Gram.add_(t.t().matmul(t));
        Count += t.shape[0];
    }

    /// <summary>C = (Y - mean)^T (Y - mean) = Y^T Y - N mean mean^T, d x d (a scatter matrix: not divided by N, as in the paper).</summary>
    public Tensor CenteredScatter()
    {
        if (Count == 0) throw new InvalidOperationException("No tokens have been accumulated.");
        using var scope = NewDisposeScope();
        var c = Gram - Sum.outer(Sum).div_(Count);
        // Exact symmetry for eigh (the subtraction is symmetric up to rounding already). In place: d x d float64 is 134 MB at 7B.
        return (c + c.t()).mul_(0.5).MoveToOuterDisposeScope();
    }

    /// <summary>Plain tensors for a cache: "count" (int64 [1]), "sum" (d), "gram" (d x d). The caller owns them.</summary>
    public Dictionary<string, Tensor> ToTensors() => new()
    {
        ["count"] = StatsTensors.CountTensor(Count),
        ["sum"] = Sum.clone(),
        ["gram"] = Gram.clone(),
    };

    public static OutputCovarianceStats FromTensors(IReadOnlyDictionary<string, Tensor> tensors, string source, Device? device = null)
    {
        var d = StatsTensors.ShapeOf(tensors, "sum", 1, source, Kind)[0];
        var count = StatsTensors.ReadCount(tensors, "count", source, Kind);
        var sum = StatsTensors.ReadState(tensors, "sum", new[] { d }, source, Kind, device);
        var gram = StatsTensors.ReadState(tensors, "gram", new[] { d, d }, source, Kind, sum.device);
        return new OutputCovarianceStats((int)d, count, sum, gram);
    }

    public void Dispose()
    {
        Sum.Dispose();
        Gram.Dispose();
    }
}
