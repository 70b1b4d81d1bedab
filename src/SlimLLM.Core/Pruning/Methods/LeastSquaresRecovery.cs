using System.Globalization;
using SlimLLM.Pruning.Recovery;

namespace SlimLLM.Pruning.Methods;

/// <summary>
/// Beyond the paper: o_proj and down_proj refitted as a whole on the kept inputs by damped least squares
/// (<see cref="LeastSquaresFit"/>), which uses the kept inputs' correlations where regression fits one scale per dimension. The
/// damping is chosen per layer and block on held-out samples from <see cref="LeastSquaresFit.DefaultDampingGrid"/>;
/// <see cref="LeastSquaresFit.DefaultDamping"/> where none are held out.
/// </summary>
public sealed class LeastSquaresRecovery : PruningRecovery
{
    public override string Name => "least-squares";
    public override RecoveryMethod Formula => RecoveryMethod.LeastSquares;
    public override bool HoldsOut => true;
    public override bool RefitsWeight => true;

    public override string CacheTag => "LeastSquares:" + string.Join(";", LeastSquaresFit.DefaultDampingGrid.Select(d => d.ToString("R", CultureInfo.InvariantCulture)))
        + ":" + LeastSquaresFit.DefaultDamping.ToString("R", CultureInfo.InvariantCulture);

    public override (ScaleBias Fit, double? RidgeStrength) Fit(PerDimRegressionStats all, PerDimRegressionStats? fit, PerDimRegressionStats? heldOut) =>
        throw new NotSupportedException("least-squares recovery refits the whole weight (Refit), not a scale per dimension.");

    public override (RefittedLinear Fit, double? Strength) Refit(KeptInputGram fit, KeptInputGram? heldOut)
    {
        double damping = heldOut is { Count: > 0 } ? LeastSquaresFit.Choose(fit, heldOut).Strength : LeastSquaresFit.DefaultDamping;
        if (heldOut is not null) fit.Add(heldOut);
        return (LeastSquaresFit.Solve(fit, damping), damping);
    }
}
