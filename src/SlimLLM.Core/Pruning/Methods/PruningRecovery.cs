using SlimLLM.Pruning.Recovery;

namespace SlimLLM.Pruning.Methods;

/// <summary>
/// A recovery, registered in <see cref="MethodRegistry"/> under <see cref="Name"/>: the per-dimension scale and bias that restore
/// a pruned o_proj's or down_proj's output. Instances are compared by name.
/// </summary>
public abstract class PruningRecovery
{
    public abstract string Name { get; }

    /// <summary>Its formula in <see cref="LinearRecovery.Fit"/>; also what the fit cache keys record.</summary>
    public abstract RecoveryMethod Formula { get; }

    /// <summary>Whether a quarter of the calibration samples is held out for it (to choose a strength on).</summary>
    public virtual bool HoldsOut => false;

    /// <summary>The fit on <paramref name="all"/> samples; the caller disposes it.</summary>
    /// <param name="fit">The samples a strength is fitted on (when <see cref="HoldsOut"/>; else null or unused).</param>
    /// <param name="heldOut">The held-out samples a strength is chosen on (likewise).</param>
    public virtual (ScaleBias Fit, double? RidgeStrength) Fit(PerDimRegressionStats all, PerDimRegressionStats? fit, PerDimRegressionStats? heldOut) =>
        (LinearRecovery.Fit(all, Formula), null);

    /// <summary>
    /// Whether it refits the whole kept weight from the kept inputs' Gram matrix (<see cref="Refit"/>, after selection, on the
    /// layer's calibration inputs) instead of a per-dimension scale and bias (<see cref="Fit"/>).
    /// </summary>
    public virtual bool RefitsWeight => false;

    /// <summary>
    /// The refit on all tokens; the caller disposes it. <paramref name="fit"/> holds the fit samples' statistics and
    /// <paramref name="heldOut"/> (when <see cref="HoldsOut"/>; else null) the held-out ones', which it adds to
    /// <paramref name="fit"/> once a strength is chosen (so that one k x k Gram fewer is held).
    /// </summary>
    public virtual (RefittedLinear Fit, double? Strength) Refit(KeptInputGram fit, KeptInputGram? heldOut) =>
        throw new NotSupportedException($"{Name} recovery fits a scale and bias per dimension, not a whole weight.");

    /// <summary>What the fit cache keys record of it (its formula and any setting that changes the fit).</summary>
    public virtual string CacheTag => Formula.ToString();

    public sealed override bool Equals(object? obj) => obj is PruningRecovery r && r.Name == Name;
    public sealed override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
    public sealed override string ToString() => Name;
}
