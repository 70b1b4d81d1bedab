using TorchSharp;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Recovery;

/// <summary>
/// Closed-form recovery of a pruned output projection (SlimLLM's linear regression, FLAP's mean bias, or a ridge between them),
/// vectorised over the output dimensions and computed in float64 from <see cref="PerDimRegressionStats"/>.
/// </summary>
public static class LinearRecovery
{
    /// <summary>The default ridge strengths tried by <see cref="ChooseRidgeStrength"/> (dimensionless; 0 is plain regression).</summary>
    public static readonly IReadOnlyList<double> DefaultRidgeGrid = new[] { 0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0 };

    /// <summary>
    /// Fits y_j ≈ a_j x_j + b_j for every dimension j.
    /// Regression: a = cov(x,y)/var(x); Ridge: a = (cov/var + lambda)/(1 + lambda); MeanBias: a = 1; always b = mean(y) - a mean(x).
    /// Where x does not vary (variance at most 1e-12 of its mean square, e.g. every kept contribution is zero on that dimension)
    /// the slope is undefined; a = 1 is used, so b = mean(y) - mean(x) and no NaN can appear.
    /// </summary>
    public static ScaleBias Fit(PerDimRegressionStats stats, RecoveryMethod method = RecoveryMethod.Regression, double ridgeStrength = 0)
    {
        if (!(ridgeStrength >= 0) || double.IsInfinity(ridgeStrength))
            throw new ArgumentOutOfRangeException(nameof(ridgeStrength), ridgeStrength, "The ridge strength must be finite and >= 0.");
        using var scope = NewDisposeScope();
        var m = stats.ComputeMoments();
        var one = ones_like(m.MeanX);
        var ols = where(m.XVaries, m.Cov / where(m.XVaries, m.VarX, one), one);
        var a = method switch
        {
            RecoveryMethod.Regression => ols,
            RecoveryMethod.MeanBias => one,
            RecoveryMethod.Ridge => (ols + ridgeStrength) / (1 + ridgeStrength),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
        var b = m.MeanY - a * m.MeanX;
        return new ScaleBias(a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Per-dimension sum of squared residuals sum_n (y - a x - b)^2 of <paramref name="fit"/> on the tokens summarised by
    /// <paramref name="stats"/>: N [var(y) - 2a cov + a^2 var(x) + (mean(y) - a mean(x) - b)^2], clamped at 0.
    /// </summary>
    public static Tensor SquaredErrors(PerDimRegressionStats stats, ScaleBias fit)
    {
        using var scope = NewDisposeScope();
        var m = stats.ComputeMoments();
        var a = fit.Scale;
        var offset = m.MeanY - a * m.MeanX - fit.Bias;
        var sse = (m.VarY - 2 * a * m.Cov + a.square() * m.VarX + offset.square()) * m.N;
        return sse.clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>Total squared error over all dimensions (see <see cref="SquaredErrors"/>).</summary>
    public static double SquaredError(PerDimRegressionStats stats, ScaleBias fit)
    {
        using var scope = NewDisposeScope();
        return SquaredErrors(stats, fit).sum().item<double>();
    }

    /// <summary>
    /// Picks the ridge strength from <paramref name="grid"/> (default <see cref="DefaultRidgeGrid"/>) whose fit on
    /// <paramref name="fitStats"/> has the smallest total squared error on <paramref name="heldOutStats"/> (the first on ties).
    /// </summary>
    public static RidgeChoice ChooseRidgeStrength(PerDimRegressionStats fitStats, PerDimRegressionStats heldOutStats, IReadOnlyList<double>? grid = null)
    {
        grid ??= DefaultRidgeGrid;
        if (grid.Count == 0) throw new ArgumentException("The ridge grid is empty.", nameof(grid));
        if (fitStats.Dims != heldOutStats.Dims)
            throw new ArgumentException($"Fit statistics have {fitStats.Dims} dimensions, held-out statistics {heldOutStats.Dims}.");
        var errors = new double[grid.Count];
        for (var i = 0; i < grid.Count; i++)
        {
            using var fit = Fit(fitStats, RecoveryMethod.Ridge, grid[i]);
            errors[i] = SquaredError(heldOutStats, fit);
        }
        var best = 0;
        for (var i = 1; i < errors.Length; i++)
            if (errors[i] < errors[best]) best = i;
        return new RidgeChoice(grid[best], grid.ToArray(), errors);
    }

    /// <summary>
    /// Folds a fit into the pruned layer: W' = diag(a) W[:, kept], bias' = b + b0, computed in float64 and returned in
    /// <paramref name="weight"/>'s dtype. The fit is made on outputs without the layer's existing bias b0 (the kept units'
    /// contributions against the dense ones), so b0 is added unscaled: a W_kept u + b + b0 = W' u + bias'.
    /// </summary>
    /// <param name="weight">The dense layer weight, d_out x d_in (o_proj: d x H*h; down_proj: d x m).</param>
    /// <param name="keptColumns">Input columns to keep (int64), in the order the pruned layer will use them.</param>
    /// <param name="fit">Scale and bias, length d_out.</param>
    /// <param name="existingBias">The layer's bias before pruning, length d_out, or null.</param>
    public static FoldedLinear Fold(Tensor weight, Tensor keptColumns, ScaleBias fit, Tensor? existingBias = null)
    {
        if (weight.dim() != 2 || fit.Scale.shape[0] != weight.shape[0] || fit.Bias.shape[0] != weight.shape[0])
            throw new ArgumentException($"A fit of length {fit.Scale.shape[0]} does not match a weight of shape [{string.Join(", ", weight.shape)}].");
        if (existingBias is not null && (existingBias.dim() != 1 || existingBias.shape[0] != weight.shape[0]))
            throw new ArgumentException($"The existing bias must have length {weight.shape[0]}.", nameof(existingBias));
        using var scope = NewDisposeScope();
        var kept = weight.index_select(1, keptColumns.to(ScalarType.Int64, weight.device));
        var bias = fit.Bias.to(ScalarType.Float64);
        if (existingBias is not null) bias = bias + existingBias.to(ScalarType.Float64);
        return new FoldedLinear(ScaleRows(kept, fit.Scale).MoveToOuterDisposeScope(), bias.to(weight.dtype).MoveToOuterDisposeScope());
    }

    /// <summary>diag(scale) W in float64, returned in W's dtype; a block of rows at a time (a float64 copy of a 7B down_proj is 288 MB).</summary>
    private static Tensor ScaleRows(Tensor w, Tensor scale)
    {
        const long rowsPerBlock = 512;
        var blocks = new List<Tensor>();
        for (long r = 0; r < w.shape[0]; r += rowsPerBlock)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(rowsPerBlock, w.shape[0] - r);
            var block = w.narrow(0, r, n).to(ScalarType.Float64) * scale.narrow(0, r, n).to(ScalarType.Float64).unsqueeze(1);
            blocks.Add(block.to(w.dtype).MoveToOuterDisposeScope());
        }
        return cat(blocks, 0);
    }
}
