using SlimLLM.Pruning.Selection;

namespace SlimLLM.Pruning.Methods;

/// <summary>The kept KV groups, ascending, and the holistic search that chose them (null for score-based criteria).</summary>
public sealed record KvGroupSelection(int[] Kept, UnitSelectionResult? Holistic);
