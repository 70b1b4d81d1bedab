namespace SlimLLM.Pruning.Recovery;

/// <summary>The ridge strength chosen on held-out statistics, with the held-out squared error of every candidate.</summary>
public sealed record RidgeChoice(double Strength, IReadOnlyList<double> Grid, IReadOnlyList<double> HeldOutErrors);
