namespace SlimLLM.Pruning.Selection;

/// <summary>Which FFN channels a ratio removes, given their scores (lower = less important).</summary>
public enum FfnSelectionRule
{
    /// <summary>
    /// The authors' code: sort ascending, keep the lowest round(0.01 m) channels (protect them), prune the next round(ratio m).
    /// (If fewer than round(ratio m) channels remain above the protected ones, all of them are pruned.)
    /// </summary>
    ProtectLowestOnePercent,
    /// <summary>Prune the round(ratio m) lowest-scoring channels.</summary>
    PruneLowest,
}
