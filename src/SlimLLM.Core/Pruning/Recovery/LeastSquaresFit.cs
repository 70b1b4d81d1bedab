using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>
/// Refits a pruned output projection on its kept inputs: W', b' = argmin sum_n ||y_n - W' x_n - b'||^2 + lambda ||W'||^2, with
/// lambda = damping * mean diagonal of the kept inputs' centred Gram C (so the damping is dimensionless). Closed form:
/// W'^T = (C + lambda I)^-1 C_xy by a Cholesky solve, b' = mean(y) - W' mean(x); all in float64.
/// </summary>
public static class LeastSquaresFit
{
    /// <summary>The relative dampings <see cref="Choose"/> tries (see docs/quality.md for how the grid was chosen).</summary>
    public static readonly IReadOnlyList<double> DefaultDampingGrid = [1e-4, 1e-3, 1e-2, 1e-1, 1.0];

    /// <summary>The damping used when no samples are held out to choose one on.</summary>
    public const double DefaultDamping = 1e-2;

    public static RefittedLinear Solve(KeptInputGram stats, double damping)
    {
        if (!(damping >= 0) || double.IsInfinity(damping))
            throw new ArgumentOutOfRangeException(nameof(damping), damping, "The damping must be finite and >= 0.");
        if (stats.Count == 0) throw new InvalidOperationException("No tokens have been accumulated.");
        using var scope = NewDisposeScope();
        double n = stats.Count;
        var meanX = stats.SumX / n;
        var meanY = stats.SumY / n;
        var c = stats.Gram - n * outer(meanX, meanX);
        var cxy = stats.Cross - n * outer(meanX, meanY);
        double meanDiagonal = c.diagonal().sum().item<double>() / stats.Inputs;
        // Inputs that never vary give C = 0: any lambda > 0 then yields W' = 0, b' = mean(y).
        double scale = meanDiagonal > 0 ? meanDiagonal : 1.0;
        var factor = CholeskyInPlace(c, damping * scale, scale);
        var wT = cxy.cholesky_solve(factor);
        var w = wT.t().contiguous();
        var b = meanY - w.matmul(meanX);
        return new RefittedLinear(w.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The Cholesky factor of C + lambda I, adding lambda to C's diagonal in place (at k = 11,008 each k x k float64 copy is
    /// 0.97 GB). Where that is not numerically positive definite (lambda = 0 on rank-deficient inputs, or a tiny lambda lost to
    /// rounding) lambda is raised from 1e-12 of the mean diagonal by factors of 10.
    /// </summary>
    private static Tensor CholeskyInPlace(Tensor c, double lambda, double scale)
    {
        var diagonal = c.diagonal();
        diagonal.add_(lambda);
        for (double floor = 1e-12 * scale; ; floor *= 10)
        {
            var (factor, info) = linalg.cholesky_ex(c);
            if (info.item<int>() == 0) return factor;
            factor.Dispose();
            if (floor > scale) throw new InvalidOperationException("The kept inputs' Gram matrix is not positive semi-definite (non-finite statistics?).");
            if (floor > lambda) { diagonal.add_(floor - lambda); lambda = floor; }
        }
    }

    /// <summary>sum_n ||y_n - W x_n - b||^2 of <paramref name="fit"/> on the tokens of <paramref name="stats"/>, clamped at 0.</summary>
    public static double SquaredError(KeptInputGram stats, RefittedLinear fit)
    {
        using var scope = NewDisposeScope();
        var w = fit.Weight;
        var b = fit.Bias;
        var fitted = (w.matmul(stats.Gram) * w).sum() + 2 * b.dot(w.matmul(stats.SumX)) + stats.Count * b.dot(b);
        var cross = (w.t() * stats.Cross).sum() + b.dot(stats.SumY);
        return Math.Max(0, (stats.SumYY.sum() - 2 * cross + fitted).item<double>());
    }

    /// <summary>
    /// The damping from <paramref name="grid"/> (default <see cref="DefaultDampingGrid"/>) whose fit on <paramref name="fit"/> has
    /// the smallest squared error on <paramref name="heldOut"/> (the first on ties), with the held-out error of every candidate.
    /// </summary>
    public static RidgeChoice Choose(KeptInputGram fit, KeptInputGram heldOut, IReadOnlyList<double>? grid = null)
    {
        grid ??= DefaultDampingGrid;
        if (grid.Count == 0) throw new ArgumentException("The damping grid is empty.", nameof(grid));
        var errors = new double[grid.Count];
        for (int i = 0; i < grid.Count; i++)
        {
            using var candidate = Solve(fit, grid[i]);
            errors[i] = SquaredError(heldOut, candidate);
        }
        int best = 0;
        for (int i = 1; i < errors.Length; i++)
            if (errors[i] < errors[best]) best = i;
        return new RidgeChoice(grid[best], grid.ToArray(), errors);
    }
}
