namespace SlimLLM.Pruning.Recovery;

/// <summary>How a pruned output projection is corrected, per output dimension j, by y_j ≈ a_j x_j + b_j.</summary>
public enum RecoveryMethod
{
    /// <summary>SlimLLM: ordinary least squares, a = cov(x,y)/var(x), b = mean(y) - a mean(x).</summary>
    Regression,
    /// <summary>FLAP: a = 1, b = mean(y) - mean(x) (the mean of the removed contributions becomes a bias).</summary>
    MeanBias,
    /// <summary>
    /// Least squares with the scale shrunk toward 1: minimises sum_n (y - a x - b)^2 + lambda N var(x) (a - 1)^2, whose closed
    /// form is a = (a_ols + lambda) / (1 + lambda), b = mean(y) - a mean(x). lambda = 0 is <see cref="Regression"/>; lambda → ∞ is
    /// <see cref="MeanBias"/>. The penalty is scaled by N var(x) so lambda is dimensionless and one value serves every dimension.
    /// </summary>
    Ridge,
    /// <summary>
    /// Not a per-dimension formula: the whole kept weight refitted by damped least squares (<see cref="LeastSquaresFit"/>);
    /// <see cref="LinearRecovery.Fit"/> rejects it.
    /// </summary>
    LeastSquares,
}
