namespace SlimLLM.Pruning.Selection;

/// <summary>One accepted greedy swap: the pruned unit <see cref="SwappedIn"/> took the slot of the kept unit <see cref="SwappedOut"/>.</summary>
public readonly record struct UnitSwap(int SwappedIn, int SwappedOut);

/// <summary>
/// The outcome of the holistic unit selection.
/// </summary>
/// <param name="Scores">Score_i = sim(Y - T_i) per unit (higher = less important).</param>
/// <param name="InitialOrder">Units sorted by score descending (ties: lower index first); the first k were pruned initially.</param>
/// <param name="Swaps">Accepted greedy swaps, in the order they happened.</param>
/// <param name="InitialObjective">sim(sum of the initially kept units).</param>
/// <param name="FinalObjective">sim(sum of the finally kept units).</param>
/// <param name="Kept">Kept units in slot order: InitialOrder[k..] with each swap writing the incoming unit into the outgoing unit's slot.</param>
/// <param name="Pruned">Pruned units, ascending.</param>
public sealed record UnitSelectionResult(
    IReadOnlyList<double> Scores,
    IReadOnlyList<int> InitialOrder,
    IReadOnlyList<UnitSwap> Swaps,
    double InitialObjective,
    double FinalObjective,
    IReadOnlyList<int> Kept,
    IReadOnlyList<int> Pruned)
{
    /// <summary>Kept units ascending: the order to slice q/k/v rows and o_proj columns in.</summary>
    public int[] KeptAscending => Kept.Order().ToArray();
}
