using SlimLLM.Errors;
using static System.FormattableString;
using SlimLLM.Pruning.Selection;

namespace SlimLLM.Pruning.Ratios;

/// <summary>
/// SlimLLM's layer-based importance ratio: the P layers with the largest self-similarity s are pruned with
/// ratio_l = R P softmax(alpha s)_l (softmax over those P), so their mean is R; the others are left intact. Beyond the paper:
/// ratios are capped at a maximum with the excess redistributed, and R can be solved from a target parameter reduction.
/// Settings errors are <see cref="SlimLLMException"/>s naming <c>source</c> (the settings file or command line).
/// </summary>
public static class LayerRatioPlanner
{
    public const double DefaultMaxRatio = 0.9;

    public static LayerRatioPlan Plan(IReadOnlyList<double> similarities, LayerRatioSettings settings, string? source = null)
    {
        Validate(similarities, settings, source);
        int layers = similarities.Count, p = settings.PrunedLayers;
        // Stable: equal similarities keep the lower layer index first.
        var chosen = Enumerable.Range(0, layers).OrderByDescending(l => similarities[l]).Take(p).ToArray();
        var ratios = new double[layers];
        var clipped = new bool[layers];
        if (p == 0) return new LayerRatioPlan(ratios, chosen, clipped, settings);

        // Softmax with the maximum subtracted, so a large alpha cannot overflow.
        var top = chosen.Max(l => settings.Alpha * similarities[l]);
        var exp = chosen.Select(l => Math.Exp(settings.Alpha * similarities[l] - top)).ToArray();
        var total = exp.Sum();
        for (var i = 0; i < p; i++) ratios[chosen[i]] = settings.MeanRatio * p * exp[i] / total;

        Redistribute(ratios, clipped, chosen, settings.MaxRatio);
        return new LayerRatioPlan(ratios, chosen, clipped, settings);
    }

    /// <summary>
    /// Caps ratios at <paramref name="max"/> and gives the excess to the uncapped pruned layers in proportion to their ratios
    /// (equally if all of theirs are 0), repeating until none exceeds the cap. The sum over pruned layers is preserved.
    /// </summary>
    private static void Redistribute(double[] ratios, bool[] clipped, int[] chosen, double max)
    {
        while (true)
        {
            var over = chosen.Where(l => !clipped[l] && ratios[l] > max).ToArray();
            if (over.Length == 0) return;
            var excess = 0.0;
            foreach (var l in over)
            {
                excess += ratios[l] - max;
                ratios[l] = max;
                clipped[l] = true;
            }
            var free = chosen.Where(l => !clipped[l]).ToArray();
            if (free.Length == 0) return; // only when R == max, up to rounding: everything sits at the cap
            var freeTotal = free.Sum(l => ratios[l]);
            foreach (var l in free)
                ratios[l] += freeTotal > 0 ? excess * ratios[l] / freeTotal : excess / free.Length;
        }
    }

    /// <summary>
    /// Finds R such that the fraction of all decoder-layer parameters removed (whole KV groups and FFN channels, rounded as the
    /// pruning will round them, recovery biases counted) is as close as possible to <paramref name="targetFraction"/>.
    /// The removed fraction is a non-decreasing step function of R, so bisection finds the step where it crosses the target;
    /// the closer of the two steps around the crossing wins (the smaller on a tie). With a <paramref name="channelMultiple"/>
    /// the FFN widths are counted as rounded to it, in unpruned layers too (which lose the remainder of a width that is not
    /// a multiple), so the steps are coarser but the target is still met as closely as the rounding allows.
    /// </summary>
    public static RatioSolution SolveForParameterFraction(
        IReadOnlyList<double> similarities, IReadOnlyList<LayerShape> shapes, double targetFraction,
        int prunedLayers, double alpha, double maxRatio = DefaultMaxRatio,
        FfnSelectionRule rule = FfnSelectionRule.ProtectLowestOnePercent, string? source = null, int channelMultiple = 1)
    {
        if (shapes.Count != similarities.Count)
            throw new ArgumentException($"{shapes.Count} layer shapes for {similarities.Count} similarities.", nameof(shapes));
        if (!(targetFraction > 0 && targetFraction < 1))
            throw new SlimLLMException(source, Invariant($"The target parameter reduction {targetFraction} is outside (0, 1)."),
                "Give the fraction of decoder-layer parameters to remove, e.g. 0.2 for 20%.");
        var dense = shapes.Sum(s => s.DenseParameters);

        (long Removed, LayerRatioPlan Plan) Evaluate(double r)
        {
            var plan = Plan(similarities, new LayerRatioSettings(r, prunedLayers, alpha, maxRatio), source);
            long removed = 0;
            for (var l = 0; l < shapes.Count; l++)
                if (plan.Ratios[l] > 0 || channelMultiple > 1) removed += shapes[l].ParametersRemoved(plan.Ratios[l], rule, channelMultiple);
            return (removed, plan);
        }

        double lo = 0, hi = maxRatio;
        var atMax = Evaluate(hi);
        var targetRemoved = targetFraction * dense;
        if (atMax.Removed < targetRemoved)
            throw new SlimLLMException(source,
                Invariant($"Cannot remove {100 * targetFraction:0.0}% of the decoder-layer parameters: pruning {prunedLayers} of {shapes.Count} layers at most {100 * maxRatio:0.#}% each removes {100.0 * atMax.Removed / dense:0.0}%."),
                "Lower the target, prune more layers, or raise the maximum per-layer ratio.");
        var below = Evaluate(lo);
        var above = atMax;
        for (var i = 0; i < 64 && hi - lo > 1e-12; i++)
        {
            var mid = (lo + hi) / 2;
            var at = Evaluate(mid);
            if (at.Removed >= targetRemoved) { hi = mid; above = at; }
            else { lo = mid; below = at; }
        }
        var useBelow = targetRemoved - below.Removed <= above.Removed - targetRemoved;
        var (r, chosen) = useBelow ? (lo, below) : (hi, above);
        return new RatioSolution(r, targetFraction, (double)chosen.Removed / dense, chosen.Removed, dense, chosen.Plan);
    }

    private static void Validate(IReadOnlyList<double> similarities, LayerRatioSettings s, string? source)
    {
        if (similarities.Any(v => !double.IsFinite(v)))
            throw new ArgumentException("Layer similarities must be finite.", nameof(similarities));
        if (s.PrunedLayers < 0 || s.PrunedLayers > similarities.Count)
            throw new SlimLLMException(source, Invariant($"pruned_layers is {s.PrunedLayers}, but the model has {similarities.Count} layers."),
                $"Set pruned_layers between 0 and {similarities.Count}.");
        if (!(s.MaxRatio > 0 && s.MaxRatio <= 1))
            throw new SlimLLMException(source, Invariant($"The maximum per-layer ratio {s.MaxRatio} is outside (0, 1]."), "Set it to e.g. 0.9.");
        if (!(s.MeanRatio >= 0))
            throw new SlimLLMException(source, Invariant($"The pruning ratio {s.MeanRatio} is negative or not a number."), "Set a ratio in [0, 1).");
        if (s.MeanRatio > s.MaxRatio)
            throw new SlimLLMException(source,
                Invariant($"The mean pruning ratio {s.MeanRatio} exceeds the maximum per-layer ratio {s.MaxRatio}, so no per-layer ratios can average to it."),
                "Lower the pruning ratio, prune more layers at a lower ratio, or raise the maximum per-layer ratio.");
        if (!double.IsFinite(s.Alpha))
            throw new SlimLLMException(source, Invariant($"alpha {s.Alpha} is not a finite number."), "Set alpha to e.g. 10.");
    }
}
