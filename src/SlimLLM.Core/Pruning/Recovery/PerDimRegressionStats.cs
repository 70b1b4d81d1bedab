using SlimLLM.Pruning.Statistics;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>
/// Streaming sufficient statistics of d independent simple regressions y_j ~ a_j x_j + b_j over tokens: N and, per dimension,
/// sum x, sum y, sum x^2, sum xy, sum y^2 (the last only for measuring errors), all float64.
/// </summary>
public sealed class PerDimRegressionStats : IDisposable
{
    private const string Kind = "regression";
    private static readonly string[] Names = { "sum_x", "sum_y", "sum_xx", "sum_xy", "sum_yy" };

    private readonly Tensor[] _sums; // SumX, SumY, SumXX, SumXY, SumYY

    private PerDimRegressionStats(int dims, long count, Tensor[] sums)
    {
        Dims = dims;
        Count = count;
        _sums = sums;
    }

    public PerDimRegressionStats(int dims, Device? device = null)
        : this(dims, 0, Names.Select(_ => StatsTensors.NewState(new long[] { dims }, device)).ToArray())
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dims, 1);
    }

    /// <summary>Builds the statistics from sums already formed elsewhere (copied; the arguments stay the caller's).</summary>
    public static PerDimRegressionStats FromSums(long count, Tensor sumX, Tensor sumY, Tensor sumXX, Tensor sumXY, Tensor sumYY)
    {
        var sums = new[] { sumX, sumY, sumXX, sumXY, sumYY };
        if (sums.Any(s => s.dim() != 1 || s.shape[0] != sumX.shape[0]))
            throw new ArgumentException("All regression sums must be vectors of the same length.");
        return new PerDimRegressionStats((int)sumX.shape[0], count,
            sums.Select(s => s.to(ScalarType.Float64, copy: true).DetachFromDisposeScope()).ToArray());
    }

    public int Dims { get; }
    public long Count { get; private set; }
    public Tensor SumX => _sums[0];
    public Tensor SumY => _sums[1];
    public Tensor SumXX => _sums[2];
    public Tensor SumXY => _sums[3];
    public Tensor SumYY => _sums[4];

    /// <summary>Adds a batch: x and y are n x d (or b x s x d), any floating dtype (upcast to float64).</summary>
    public void Accumulate(Tensor x, Tensor y)
    {
        if (!x.shape.SequenceEqual(y.shape) || x.shape[^1] != Dims)
            throw new ArgumentException($"x and y must both be n x {Dims}, got [{string.Join(", ", x.shape)}] and [{string.Join(", ", y.shape)}].");
        using var scope = NewDisposeScope();
        var xd = StatsTensors.AsDouble(x, SumX.device).reshape(-1, Dims);
        var yd = StatsTensors.AsDouble(y, SumX.device).reshape(-1, Dims);
        SumX.add_(xd.sum(dim: 0));
        SumY.add_(yd.sum(dim: 0));
        SumXX.add_(xd.square().sum(dim: 0));
        SumXY.add_((xd * yd).sum(dim: 0));
        SumYY.add_(yd.square().sum(dim: 0));
        Count += xd.shape[0];
    }

    /// <summary>Population moments per dimension (means, variances, covariance, mean square of x), for the fits.</summary>
    internal Moments ComputeMoments()
    {
        if (Count == 0) throw new InvalidOperationException("No tokens have been accumulated.");
        var n = (double)Count;
        var meanX = SumX / n;
        var meanY = SumY / n;
        var meanSquareX = SumXX / n;
        var varX = meanSquareX - meanX.square();
        var varY = SumYY / n - meanY.square();
        var cov = SumXY / n - meanX * meanY;
        var xVaries = varX > StatsTensors.RelativeZeroVariance * meanSquareX;
        return new Moments(n, meanX, meanY, where(xVaries, varX, zeros_like(varX)), varY.clamp_min(0), cov, xVaries);
    }

    internal sealed record Moments(double N, Tensor MeanX, Tensor MeanY, Tensor VarX, Tensor VarY, Tensor Cov, Tensor XVaries);

    /// <summary>Plain tensors for a cache: "count" (int64 [1]), "sum_x", "sum_y", "sum_xx", "sum_xy", "sum_yy" (d each). The caller owns them.</summary>
    public Dictionary<string, Tensor> ToTensors()
    {
        var result = new Dictionary<string, Tensor> { ["count"] = StatsTensors.CountTensor(Count) };
        for (var i = 0; i < Names.Length; i++) result[Names[i]] = _sums[i].clone();
        return result;
    }

    public static PerDimRegressionStats FromTensors(IReadOnlyDictionary<string, Tensor> tensors, string source, Device? device = null)
    {
        var d = StatsTensors.ShapeOf(tensors, Names[0], 1, source, Kind)[0];
        var count = StatsTensors.ReadCount(tensors, "count", source, Kind);
        var sums = Names.Select(name => StatsTensors.ReadState(tensors, name, new[] { d }, source, Kind, device)).ToArray();
        return new PerDimRegressionStats((int)d, count, sums);
    }

    public void Dispose()
    {
        foreach (var s in _sums) s.Dispose();
    }
}
