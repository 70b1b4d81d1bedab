using SlimLLM.Pruning.Statistics;
using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Selection;

/// <summary>
/// sim(S) = sum_j |Pearson_j(sum_{i in S} T_i, Y)| evaluated for a batch of unit subsets from cached second moments only:
/// cov(Z, Y)_j = m·Cov[:, :, j]·1, var(Z)_j = m·Cov[:, :, j]·m for the 0/1 membership vector m of S.
/// A dimension where Z or Y does not vary (variance at most 1e-12 of its mean square: constant or exactly zero there) has
/// no defined correlation and contributes 0, so constant dimensions never yield NaN and never change a ranking.
/// </summary>
internal sealed class UnitSimilarity : IDisposable
{
    private readonly Tensor _cov;       // G x G x d
    private readonly Tensor _means;     // G x d
    private readonly Tensor _covWithY;  // G x d: cov(T_i, Y)
    private readonly Tensor _varY;      // d, with non-varying dimensions set to 1 (masked out by _yVaries)
    private readonly Tensor _yVaries;   // d, bool

    public UnitSimilarity(UnitContributionStats stats)
    {
        Units = stats.Units;
        using var scope = NewDisposeScope();
        var cov = stats.Covariance();
        var means = stats.Means();
        var varY = cov.sum(dim: 0).sum(dim: 0);
        var meanY = means.sum(dim: 0);
        var yVaries = varY > StatsTensors.RelativeZeroVariance * (varY + meanY.square());
        _cov = cov.DetachFromDisposeScope();
        _means = means.DetachFromDisposeScope();
        _covWithY = cov.sum(1).DetachFromDisposeScope();
        _varY = where(yVaries, varY, ones_like(varY)).DetachFromDisposeScope();
        _yVaries = yVaries.DetachFromDisposeScope();
    }

    public int Units { get; }

    /// <summary>sim() of each subset given as a row of a C x G 0/1 float64 mask; returns C values.</summary>
    public double[] Evaluate(Tensor masks)
    {
        using var scope = NewDisposeScope();
        long c = masks.shape[0], g = Units, d = _means.shape[1];
        var covZY = masks.matmul(_covWithY);                                                   // C x d
        var varZ = (masks.matmul(_cov.reshape(g, g * d)).reshape(c, g, d) * masks.unsqueeze(2)).sum(1);
        var meanZ = masks.matmul(_means);
        var valid = (varZ > StatsTensors.RelativeZeroVariance * (varZ + meanZ.square())).logical_and(_yVaries);
        var safeVarZ = where(valid, varZ, ones_like(varZ));
        var r = where(valid, covZY.abs() / (safeVarZ * _varY).sqrt(), zeros_like(varZ));
        return r.sum(1).cpu().data<double>().ToArray();
    }

    /// <summary>Builds the C x G mask of the given subsets.</summary>
    public Tensor Masks(IReadOnlyList<IReadOnlyList<int>> subsets)
    {
        var data = new double[subsets.Count * Units];
        for (var row = 0; row < subsets.Count; row++)
            foreach (var u in subsets[row])
            {
                if (u < 0 || u >= Units) throw new ArgumentOutOfRangeException(nameof(subsets), $"Unit {u} is outside 0..{Units - 1}.");
                data[row * Units + u] = 1;
            }
        return tensor(data, new long[] { subsets.Count, Units }, ScalarType.Float64, _means.device);
    }

    public void Dispose()
    {
        _cov.Dispose();
        _means.Dispose();
        _covWithY.Dispose();
        _varY.Dispose();
        _yVaries.Dispose();
    }
}
