using SlimLLM.Pruning.Statistics;
using static TorchSharp.torch;

namespace SlimLLM.Pruning.Selection;

/// <summary>
/// SlimLLM's holistic selection of attention units (heads, or GQA KV groups) from <see cref="UnitContributionStats"/>:
/// Score_i = sim(Y - T_i); sort descending (stable: ties keep the lower index first); prune the first k; then one greedy pass:
/// for each initially pruned unit p, in that order, evaluate replacing each kept slot with p and apply the best replacement if it
/// raises sim strictly (ties between slots: the first slot). sim is defined in <see cref="UnitSimilarity"/>.
/// </summary>
public static class HolisticUnitSelector
{
    public static UnitSelectionResult Select(UnitContributionStats stats, int pruneCount)
    {
        if (pruneCount < 0 || pruneCount > stats.Units)
            throw new ArgumentOutOfRangeException(nameof(pruneCount), pruneCount, $"Can prune between 0 and {stats.Units} units.");
        using var sim = new UnitSimilarity(stats);
        int g = stats.Units;

        var leaveOneOut = Enumerable.Range(0, g).Select(i => (IReadOnlyList<int>)Enumerable.Range(0, g).Where(u => u != i).ToArray()).ToArray();
        double[] scores;
        using (var masks = sim.Masks(leaveOneOut)) scores = sim.Evaluate(masks);

        // OrderBy is a stable sort: equal scores keep ascending unit order.
        var order = Enumerable.Range(0, g).OrderByDescending(i => scores[i]).ToArray();
        var initiallyPruned = order[..pruneCount];
        var kept = order[pruneCount..];

        var initial = Objective(sim, kept);
        var best = initial;
        var swaps = new List<UnitSwap>();
        if (kept.Length > 0)
        {
            foreach (var p in initiallyPruned)
            {
                var candidates = Enumerable.Range(0, kept.Length).Select(slot =>
                {
                    var c = (int[])kept.Clone();
                    c[slot] = p;
                    return (IReadOnlyList<int>)c;
                }).ToArray();
                double[] values;
                using (var masks = sim.Masks(candidates)) values = sim.Evaluate(masks);
                var bestSlot = -1;
                for (var slot = 0; slot < values.Length; slot++)
                    if (values[slot] > (bestSlot < 0 ? best : values[bestSlot])) bestSlot = slot;
                if (bestSlot < 0) continue;
                swaps.Add(new UnitSwap(p, kept[bestSlot]));
                kept[bestSlot] = p;
                best = values[bestSlot];
            }
        }
        var pruned = Enumerable.Range(0, g).Except(kept).ToArray();
        return new UnitSelectionResult(scores, order, swaps, initial, best, kept, pruned);
    }

    /// <summary>sim(sum of the given units' contributions) (0 for an empty set).</summary>
    public static double Objective(UnitContributionStats stats, IReadOnlyList<int> units)
    {
        using var sim = new UnitSimilarity(stats);
        return Objective(sim, units);
    }

    private static double Objective(UnitSimilarity sim, IReadOnlyList<int> units)
    {
        using var masks = sim.Masks(new[] { units });
        return sim.Evaluate(masks)[0];
    }
}
